#include "traces/perfetto_trace_reader.hpp"

#include <fstream>
#include <iterator>
#include <map>
#include <stdexcept>
#include <unordered_map>

#include "traces/perfetto_fields.hpp"
#include "traces/protobuf_reader.hpp"

namespace tn::trace {

namespace {

// Interning state of one packet sequence (§2(b) "Interning").
struct SequenceState {
  std::unordered_map<uint64_t, std::string> event_names;
  std::unordered_map<uint64_t, std::string> annotation_names;
  std::unordered_map<uint64_t, std::string> string_values;
};

// Calls `f(value)` for each element of a repeated fixed64 field, packed or not.
template <typename F>
void for_each_fixed64(const ProtoField& f, F&& fn) {
  if (f.wire_type == WireType::kFixed64) {
    fn(f.int_value);
    return;
  }
  if (f.wire_type != WireType::kLengthDelimited || f.bytes.size() % 8 != 0) {
    throw std::runtime_error("protobuf: field " + std::to_string(f.number) + " is not fixed64");
  }
  for (size_t i = 0; i < f.bytes.size(); i += 8) {
    uint64_t v = 0;
    for (size_t b = 0; b < 8; ++b) {
      v |= static_cast<uint64_t>(static_cast<uint8_t>(f.bytes[i + b])) << (8 * b);
    }
    fn(v);
  }
}

DecodedInternedString decode_interned_entry(std::string_view bytes) {
  DecodedInternedString e;
  ProtoReader r(bytes);
  ProtoField f;
  while (r.next(f)) {
    if (f.number == pf::interned::kEntryIid) {
      e.iid = f.int_value;
    } else if (f.number == pf::interned::kEntryName) {
      e.value = std::string(f.bytes);
    }
  }
  return e;
}

void decode_interned_data(std::string_view bytes, DecodedPacket& p) {
  ProtoReader r(bytes);
  ProtoField f;
  while (r.next(f)) {
    if (f.number == pf::interned::kEventNames) {
      p.interned_event_names.push_back(decode_interned_entry(f.bytes));
    } else if (f.number == pf::interned::kDebugAnnotationNames) {
      p.interned_annotation_names.push_back(decode_interned_entry(f.bytes));
    } else if (f.number == pf::interned::kDebugAnnotationStringValues) {
      p.interned_string_values.push_back(decode_interned_entry(f.bytes));
    }
  }
}

DecodedTrackDescriptor decode_track_descriptor(std::string_view bytes) {
  DecodedTrackDescriptor d;
  ProtoReader r(bytes);
  ProtoField f;
  while (r.next(f)) {
    switch (f.number) {
      case pf::track::kUuid:
        d.uuid = f.int_value;
        break;
      case pf::track::kParentUuid:
        d.parent_uuid = f.int_value;
        break;
      case pf::track::kName:
      case pf::track::kStaticName:
        d.name = std::string(f.bytes);
        break;
      case pf::track::kProcess: {
        d.has_process = true;
        ProtoReader pr(f.bytes);
        ProtoField g;
        while (pr.next(g)) {
          if (g.number == pf::process::kPid) {
            d.pid = static_cast<int32_t>(g.int_value);
          } else if (g.number == pf::process::kProcessName) {
            d.process_name = std::string(g.bytes);
          }
        }
        break;
      }
      case pf::track::kThread: {
        d.has_thread = true;
        ProtoReader tr(f.bytes);
        ProtoField g;
        while (tr.next(g)) {
          if (g.number == pf::thread::kPid) {
            d.pid = static_cast<int32_t>(g.int_value);
          } else if (g.number == pf::thread::kTid) {
            d.tid = static_cast<int32_t>(g.int_value);
          }
        }
        break;
      }
      case pf::track::kCounter: {
        d.is_counter = true;
        ProtoReader cr(f.bytes);
        ProtoField g;
        while (cr.next(g)) {
          if (g.number == pf::counter::kUnitName) {
            d.counter_unit_name = std::string(g.bytes);
          }
        }
        break;
      }
      case pf::track::kChildOrdering:
        d.child_ordering = static_cast<int>(f.int_value);
        break;
      case pf::track::kSiblingOrderRank:
        d.sibling_order_rank = static_cast<int32_t>(f.int_value);
        break;
      case pf::track::kSiblingMergeBehavior:
        d.sibling_merge_behavior = static_cast<int>(f.int_value);
        break;
      case pf::track::kSiblingMergeKey:
        d.sibling_merge_key = std::string(f.bytes);
        break;
      default:
        break;
    }
  }
  return d;
}

std::string resolve(const std::unordered_map<uint64_t, std::string>& table, uint64_t iid, bool& resolved) {
  const auto it = table.find(iid);
  resolved = it != table.end();
  return resolved ? it->second : std::string();
}

DecodedAnnotation decode_annotation(std::string_view bytes, const SequenceState& seq) {
  DecodedAnnotation a;
  ProtoReader r(bytes);
  ProtoField f;
  while (r.next(f)) {
    switch (f.number) {
      case pf::annotation::kName:
        a.name = std::string(f.bytes);
        break;
      case pf::annotation::kNameIid:
        a.name_iid = f.int_value;
        a.name = resolve(seq.annotation_names, f.int_value, a.name_resolved);
        break;
      case pf::annotation::kBoolValue:
        a.value = f.int_value != 0;
        break;
      case pf::annotation::kUintValue:
        a.value = f.int_value;
        break;
      case pf::annotation::kIntValue:
        a.value = static_cast<int64_t>(f.int_value);
        break;
      case pf::annotation::kDoubleValue:
        a.value = f.as_double();
        break;
      case pf::annotation::kStringValue:
        a.value = std::string(f.bytes);
        break;
      case pf::annotation::kStringValueIid:
        a.value_iid = f.int_value;
        a.value = resolve(seq.string_values, f.int_value, a.value_resolved);
        break;
      default:
        break;
    }
  }
  return a;
}

DecodedTrackEvent decode_track_event(std::string_view bytes, const SequenceState& seq) {
  DecodedTrackEvent e;
  ProtoReader r(bytes);
  ProtoField f;
  while (r.next(f)) {
    switch (f.number) {
      case pf::event::kType:
        e.type = static_cast<EventType>(f.int_value);
        break;
      case pf::event::kTrackUuid:
        e.track_uuid = f.int_value;
        break;
      case pf::event::kName:
        e.name = std::string(f.bytes);
        break;
      case pf::event::kNameIid:
        e.name_iid = f.int_value;
        e.name = resolve(seq.event_names, f.int_value, e.name_resolved);
        break;
      case pf::event::kDebugAnnotations:
        e.annotations.push_back(decode_annotation(f.bytes, seq));
        break;
      case pf::event::kFlowIds:
        for_each_fixed64(f, [&](uint64_t v) { e.flow_ids.push_back(v); });
        break;
      case pf::event::kTerminatingFlowIds:
        for_each_fixed64(f, [&](uint64_t v) { e.terminating_flow_ids.push_back(v); });
        break;
      case pf::event::kCounterValue:
        e.counter_value = static_cast<int64_t>(f.int_value);
        break;
      case pf::event::kDoubleCounterValue:
        e.double_counter_value = f.as_double();
        break;
      default:
        break;
    }
  }
  return e;
}

DecodedPacket decode_packet(std::string_view bytes, size_t index,
                            std::map<uint32_t, SequenceState>& sequences) {
  DecodedPacket p;
  p.index = index;
  // Pass 1: the packet-level fields that decide how the rest is read (sequence, flags, interning).
  std::string_view track_event_bytes;
  bool has_track_event = false;
  ProtoReader r(bytes);
  ProtoField f;
  while (r.next(f)) {
    switch (f.number) {
      case pf::packet::kTimestamp:
        p.timestamp = f.int_value;
        break;
      case pf::packet::kTrustedPacketSequenceId:
        p.trusted_packet_sequence_id = static_cast<uint32_t>(f.int_value);
        break;
      case pf::packet::kSequenceFlags:
        p.sequence_flags = static_cast<uint32_t>(f.int_value);
        break;
      case pf::packet::kTimestampClockId:
        p.timestamp_clock_id = static_cast<uint32_t>(f.int_value);
        break;
      case pf::packet::kClockSnapshot:
        p.has_clock_snapshot = true;
        break;
      case pf::packet::kTracePacketDefaults: {
        ProtoReader dr(f.bytes);
        ProtoField g;
        while (dr.next(g)) {
          if (g.number == pf::defaults::kTimestampClockId) {
            p.defaults_timestamp_clock_id = static_cast<uint32_t>(g.int_value);
          }
        }
        break;
      }
      case pf::packet::kInternedData:
        decode_interned_data(f.bytes, p);
        break;
      case pf::packet::kTrackDescriptor:
        p.track_descriptor = decode_track_descriptor(f.bytes);
        break;
      case pf::packet::kTrackEvent:
        track_event_bytes = f.bytes;
        has_track_event = true;
        break;
      default:
        break;
    }
  }
  // Pass 2: update the sequence's interning state (a packet's own interned_data is visible to its
  // own event), then resolve the event's ids against it.
  SequenceState& seq = sequences[p.trusted_packet_sequence_id];
  if ((p.sequence_flags & pf::packet::kSeqIncrementalStateCleared) != 0) {
    seq = SequenceState{};
  }
  for (const auto& e : p.interned_event_names) {
    seq.event_names[e.iid] = e.value;
  }
  for (const auto& e : p.interned_annotation_names) {
    seq.annotation_names[e.iid] = e.value;
  }
  for (const auto& e : p.interned_string_values) {
    seq.string_values[e.iid] = e.value;
  }
  if (has_track_event) {
    p.track_event = decode_track_event(track_event_bytes, seq);
  }
  return p;
}

}  // namespace

void for_each_perfetto_packet(std::string_view bytes, const std::function<void(const DecodedPacket&)>& fn) {
  std::map<uint32_t, SequenceState> sequences;
  ProtoReader r(bytes);
  ProtoField f;
  size_t index = 0;
  while (r.next(f)) {
    if (f.number != pf::trace::kPacket || f.wire_type != WireType::kLengthDelimited) {
      throw std::runtime_error("pftrace: top-level field " + std::to_string(f.number) +
                               " is not a TracePacket (field 1)");
    }
    fn(decode_packet(f.bytes, index++, sequences));
  }
}

DecodedTrace decode_perfetto_trace(std::string_view bytes) {
  DecodedTrace trace;
  for_each_perfetto_packet(bytes, [&](const DecodedPacket& p) { trace.packets.push_back(p); });
  return trace;
}

std::string read_file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot open " + path.string());
  }
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

DecodedTrace read_perfetto_trace_file(const std::filesystem::path& path) {
  return decode_perfetto_trace(read_file_bytes(path));
}

}  // namespace tn::trace
