// Decoder of .pftrace bytes back into plain structs, a validity checker, and a summary: how tests (and
// anyone without trace_processor, which cannot be built offline) verify what PerfettoTraceWriter
// wrote. The checker implements the checklist of peers-perfetto-profiler.md §2(c). It decodes only
// the TrackEvent subset of the protos that our writer uses (field numbers in perfetto_fields.hpp);
// other fields are skipped.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tn::trace {

struct DecodedInternedString {
  uint64_t iid = 0;
  std::string value;
  bool operator==(const DecodedInternedString&) const = default;
};

struct DecodedAnnotation {
  std::string name;           // inline name, or resolved through name_iid
  uint64_t name_iid = 0;      // 0: the name was inline
  bool name_resolved = true;  // false: name_iid was not defined on the sequence
  // An interned string value (string_value_iid) is resolved into a std::string, as an inline one.
  std::variant<std::monostate, bool, uint64_t, int64_t, double, std::string> value;
  uint64_t value_iid = 0;      // 0: the value was not interned
  bool value_resolved = true;  // false: value_iid was not defined on the sequence
};

struct DecodedTrackDescriptor {
  uint64_t uuid = 0;
  std::optional<uint64_t> parent_uuid;
  std::string name;
  bool has_process = false;
  int32_t pid = 0;
  std::string process_name;
  bool has_thread = false;
  int32_t tid = 0;
  bool is_counter = false;
  std::string counter_unit_name;
  int child_ordering = 0;  // 3 = EXPLICIT
  std::optional<int32_t> sibling_order_rank;
  int sibling_merge_behavior = 0;  // 1 BY_TRACK_NAME, 2 NONE, 3 BY_SIBLING_MERGE_KEY
  std::string sibling_merge_key;
};

enum class EventType : int { kUnspecified = 0, kSliceBegin = 1, kSliceEnd = 2, kInstant = 3, kCounter = 4 };

struct DecodedTrackEvent {
  EventType type = EventType::kUnspecified;
  // The event's own track_uuid, or else its sequence's TrackEventDefaults.track_uuid.
  std::optional<uint64_t> track_uuid;
  bool track_uuid_from_defaults = false;
  std::string name;  // inline name, or resolved through name_iid; empty for SLICE_END
  uint64_t name_iid = 0;
  bool name_resolved = true;
  std::vector<DecodedAnnotation> annotations;
  std::vector<uint64_t> flow_ids;
  std::vector<uint64_t> terminating_flow_ids;
  std::optional<int64_t> counter_value;
  std::optional<double> double_counter_value;
};

struct DecodedClock {
  uint32_t clock_id = 0;
  uint64_t timestamp = 0;
  bool is_incremental = false;
  uint64_t unit_multiplier_ns = 0;  // 0: not set (means 1)
};

struct DecodedPacket {
  size_t index = 0;  // position in the trace
  // Trace time (BOOTTIME ns), resolved as trace_processor does: through the packet's clock (its own
  // timestamp_clock_id, else its sequence's default), a sequence-scoped clock by the sequence's latest
  // ClockSnapshot, an incremental one by adding the packet's delta to the sequence's running value. When
  // that fails (no snapshot defines the clock), the value as written and timestamp_resolved = false.
  std::optional<uint64_t> timestamp;
  std::optional<uint64_t> encoded_timestamp;  // TracePacket.timestamp as written
  bool timestamp_resolved = true;
  std::optional<uint32_t> timestamp_clock;  // the clock the timestamp was read in, if not the trace clock
  bool timestamp_clock_from_defaults = false;
  uint32_t trusted_packet_sequence_id = 0;
  uint32_t sequence_flags = 0;
  std::optional<uint32_t> timestamp_clock_id;           // TracePacket.timestamp_clock_id
  std::optional<uint32_t> defaults_timestamp_clock_id;  // TracePacketDefaults.timestamp_clock_id
  std::optional<uint64_t> defaults_track_uuid;          // TracePacketDefaults.track_event_defaults.track_uuid
  bool has_trace_packet_defaults = false;
  bool has_clock_snapshot = false;
  std::vector<DecodedClock> clock_snapshot;
  std::vector<DecodedInternedString> interned_event_names;
  std::vector<DecodedInternedString> interned_annotation_names;
  std::vector<DecodedInternedString> interned_string_values;  // debug_annotation_string_values
  std::optional<DecodedTrackDescriptor> track_descriptor;
  std::optional<DecodedTrackEvent> track_event;
};

struct DecodedTrace {
  std::vector<DecodedPacket> packets;
};

// Decodes a serialized Trace one packet at a time, calling `fn` for each (the packet is only valid
// during the call). Interned names and annotation string values, TracePacketDefaults and sequence-scoped
// clocks are resolved per trusted_packet_sequence_id, with the state reset by
// SEQ_INCREMENTAL_STATE_CLEARED. Throws std::runtime_error on malformed wire data. Memory stays
// bounded by one packet plus the interning tables, so this scales to traces of millions of slices,
// with PerfettoTraceChecker / PerfettoTraceSummarizer below.
void for_each_perfetto_packet(std::string_view bytes, const std::function<void(const DecodedPacket&)>& fn);
// The same, materialised: convenient for tests, but ~1 KB of structs per packet.
DecodedTrace decode_perfetto_trace(std::string_view bytes);
DecodedTrace read_perfetto_trace_file(const std::filesystem::path& path);
std::string read_file_bytes(const std::filesystem::path& path);

// Human-readable problems, empty if the trace passes every check of §2(c):
//  - every packet has a non-zero trusted_packet_sequence_id;
//  - track uuids are non-zero and unique; process/thread tracks have no parent; a parent_uuid and
//    every track_event's track_uuid refer to a track defined earlier;
//  - per track, SLICE_BEGIN/SLICE_END balance and never overlap (a BEGIN while a slice is open is
//    reported: TraceSink slices never nest), and timestamps never go backwards;
//  - counter events only on counter tracks and with a value; slices only on non-counter tracks;
//  - interned ids are defined on the sequence before use, interned data only follows
//    SEQ_INCREMENTAL_STATE_CLEARED, and packets using them set SEQ_NEEDS_INCREMENTAL_STATE;
//  - every flow id appears at least twice (flow_ids + terminating_flow_ids);
//  - every timestamp resolves: no timestamp_clock_id (own or default) that no earlier ClockSnapshot
//    defines, incremental clocks only in the sequence-scoped range 64-127, no track_event in a
//    ClockSnapshot packet (trace_processor stops reading a packet at its snapshot), and packets that
//    rely on TracePacketDefaults set SEQ_NEEDS_INCREMENTAL_STATE; defaults only follow
//    SEQ_INCREMENTAL_STATE_CLEARED.
// At most `max_problems` are listed, followed by a line counting the rest.
class PerfettoTraceChecker {
 public:
  explicit PerfettoTraceChecker(size_t max_problems = 100);
  ~PerfettoTraceChecker();
  void add(const DecodedPacket& packet);  // packets in trace order
  std::vector<std::string> finish();      // end-of-trace checks, then the problems found

 private:
  struct State;
  std::unique_ptr<State> m_state;
};
std::vector<std::string> check_perfetto_trace(const DecodedTrace& trace, size_t max_problems = 100);
// Streams the bytes through PerfettoTraceChecker without materialising the trace.
std::vector<std::string> check_perfetto_trace_bytes(std::string_view bytes, size_t max_problems = 100);

// What a trace shows, in the UI's terms: processes in definition order, each with its tracks sorted
// by sibling_order_rank (definition order among equals). Lanes that the UI merges into one row (same
// sibling_merge_key, or same name under the default merge rule) are one TrackSummary.
struct TrackSummary {
  std::string name;
  bool is_counter = false;
  std::optional<int32_t> rank{};
  std::vector<uint64_t> uuids{};  // one per lane, in definition order
  size_t slices = 0;              // SLICE_BEGIN events over all lanes
  size_t counter_samples = 0;
};
struct ProcessSummary {
  uint64_t uuid = 0;
  int32_t pid = 0;
  std::string name;
  std::vector<TrackSummary> tracks{};
  std::vector<std::string> track_names() const;
  const TrackSummary* find(std::string_view track_name) const;  // first track with that name
};
struct TraceSummary {
  std::vector<ProcessSummary> processes;
  size_t slices = 0;
  size_t counter_samples = 0;
  size_t flows = 0;  // distinct flow ids
  const ProcessSummary* find(std::string_view process_name) const;
  std::string to_string() const;  // one line per process and per track, for logs and test failures
};
class PerfettoTraceSummarizer {
 public:
  PerfettoTraceSummarizer();
  ~PerfettoTraceSummarizer();
  void add(const DecodedPacket& packet);  // packets in trace order
  TraceSummary finish();

 private:
  struct State;
  std::unique_ptr<State> m_state;
};
TraceSummary summarize_perfetto_trace(const DecodedTrace& trace);
TraceSummary summarize_perfetto_trace_bytes(std::string_view bytes);

}  // namespace tn::trace
