// Field numbers and enum values of the Perfetto trace protos that the writer and the reader use,
// transcribed from the table in peers-perfetto-profiler.md §2(b) (google/perfetto, protos/perfetto/
// trace/...; the interned string values checked against the protos at google/perfetto ec5d16b). Only numbers
// live here, no .proto text: the writer and the reader share them, so the two cannot drift apart.
#pragma once
#include <cstdint>

namespace tn::trace::pf {

namespace trace {  // Trace (trace.proto)
inline constexpr uint32_t kPacket = 1;
}

namespace packet {  // TracePacket (trace_packet.proto)
inline constexpr uint32_t kClockSnapshot = 6;
inline constexpr uint32_t kTimestamp = 8;
inline constexpr uint32_t kTrustedPacketSequenceId = 10;
inline constexpr uint32_t kTrackEvent = 11;
inline constexpr uint32_t kInternedData = 12;
inline constexpr uint32_t kSequenceFlags = 13;
inline constexpr uint32_t kTimestampClockId = 58;
inline constexpr uint32_t kTracePacketDefaults = 59;
inline constexpr uint32_t kTrackDescriptor = 60;

inline constexpr uint32_t kSeqIncrementalStateCleared = 1;
inline constexpr uint32_t kSeqNeedsIncrementalState = 2;
}  // namespace packet

namespace defaults {  // TracePacketDefaults (trace_packet_defaults.proto)
inline constexpr uint32_t kTimestampClockId = 58;
inline constexpr uint32_t kTrackEventDefaults = 11;  // TrackEventDefaults{track_uuid = 11}
inline constexpr uint32_t kTrackUuid = 11;           // in TrackEventDefaults (track_event.proto)
}  // namespace defaults

namespace clock {                       // ClockSnapshot (clock_snapshot.proto), builtin_clock.proto
inline constexpr uint32_t kClocks = 1;  // repeated Clock
inline constexpr uint32_t kClockId = 1;
inline constexpr uint32_t kTimestamp = 2;
inline constexpr uint32_t kIsIncremental = 3;
inline constexpr uint32_t kUnitMultiplierNs = 4;

inline constexpr uint32_t kBoottime = 6;  // BUILTIN_CLOCK_BOOTTIME: a proto trace's default trace clock
// Ids 64-127 are scoped to one packet sequence; only those may be incremental (trace_processor's
// clock_synchronizer.cc refuses an incremental global clock).
inline constexpr uint32_t kFirstSequenceClock = 64;
inline constexpr uint32_t kLastSequenceClock = 127;
constexpr bool is_sequence_clock(uint32_t id) {
  return id >= kFirstSequenceClock && id <= kLastSequenceClock;
}
}  // namespace clock

namespace track {  // TrackDescriptor (track_event/track_descriptor.proto)
inline constexpr uint32_t kUuid = 1;
inline constexpr uint32_t kName = 2;
inline constexpr uint32_t kProcess = 3;
inline constexpr uint32_t kThread = 4;
inline constexpr uint32_t kParentUuid = 5;
inline constexpr uint32_t kCounter = 8;
inline constexpr uint32_t kStaticName = 10;
inline constexpr uint32_t kChildOrdering = 11;
inline constexpr uint32_t kSiblingOrderRank = 12;
inline constexpr uint32_t kSiblingMergeBehavior = 15;
inline constexpr uint32_t kSiblingMergeKey = 16;

inline constexpr int kChildOrderingExplicit = 3;
inline constexpr int kMergeByTrackName = 1;
inline constexpr int kMergeNone = 2;
inline constexpr int kMergeBySiblingMergeKey = 3;
}  // namespace track

namespace process {  // ProcessDescriptor
inline constexpr uint32_t kPid = 1;
inline constexpr uint32_t kProcessName = 6;
}  // namespace process

namespace thread {  // ThreadDescriptor
inline constexpr uint32_t kPid = 1;
inline constexpr uint32_t kTid = 2;
inline constexpr uint32_t kThreadName = 5;
}  // namespace thread

namespace counter {  // CounterDescriptor (track_event/counter_descriptor.proto)
inline constexpr uint32_t kUnit = 3;
inline constexpr uint32_t kUnitName = 6;
}  // namespace counter

namespace event {  // TrackEvent (track_event/track_event.proto)
inline constexpr uint32_t kDebugAnnotations = 4;
inline constexpr uint32_t kType = 9;
inline constexpr uint32_t kNameIid = 10;
inline constexpr uint32_t kTrackUuid = 11;
inline constexpr uint32_t kName = 23;
inline constexpr uint32_t kCounterValue = 30;
inline constexpr uint32_t kDoubleCounterValue = 44;
inline constexpr uint32_t kFlowIds = 47;             // fixed64
inline constexpr uint32_t kTerminatingFlowIds = 48;  // fixed64

inline constexpr int kTypeSliceBegin = 1;
inline constexpr int kTypeSliceEnd = 2;
inline constexpr int kTypeInstant = 3;
inline constexpr int kTypeCounter = 4;
}  // namespace event

namespace annotation {  // DebugAnnotation (track_event/debug_annotation.proto)
inline constexpr uint32_t kNameIid = 1;
inline constexpr uint32_t kBoolValue = 2;
inline constexpr uint32_t kUintValue = 3;
inline constexpr uint32_t kIntValue = 4;
inline constexpr uint32_t kDoubleValue = 5;
inline constexpr uint32_t kStringValue = 6;
inline constexpr uint32_t kName = 10;
// An iid into InternedData.debug_annotation_string_values (debug_annotation.proto, "string_value_iid =
// 17"; trace_processor resolves it in src/trace_processor/util/proto_to_args_parser.cc).
inline constexpr uint32_t kStringValueIid = 17;
}  // namespace annotation

namespace interned {                                  // InternedData (interned_data/interned_data.proto)
inline constexpr uint32_t kEventNames = 2;            // EventName{iid = 1, name = 2}
inline constexpr uint32_t kDebugAnnotationNames = 3;  // DebugAnnotationName{iid = 1, name = 2}
inline constexpr uint32_t kEntryIid = 1;
inline constexpr uint32_t kEntryName = 2;
// "repeated InternedString debug_annotation_string_values = 29;" with InternedString{iid = 1, bytes str =
// 2} (profiling/profile_common.proto): the same iid/text field numbers as the two entries above.
inline constexpr uint32_t kDebugAnnotationStringValues = 29;
}  // namespace interned

}  // namespace tn::trace::pf
