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

// A clock defined by a ClockSnapshot: `at_ns` on it (its snapshot value in ns) was BOOTTIME `trace_ns`.
struct ClockState {
  bool incremental = false;
  uint64_t unit_ns = 1;
  int64_t at_ns = 0;
  int64_t trace_ns = 0;
  int64_t last_ns = 0;  // incremental clocks: the running value
};

// The incremental state of one packet sequence (§2(b) "Interning"; TracePacketDefaults; its
// sequence-scoped clocks, ids 64-127).
struct SequenceState {
  std::unordered_map<uint64_t, std::string> event_names;
  std::unordered_map<uint64_t, std::string> annotation_names;
  std::unordered_map<uint64_t, std::string> string_values;
  std::optional<uint32_t> default_clock;
  std::optional<uint64_t> default_track_uuid;
  std::unordered_map<uint32_t, ClockState> clocks;
};

struct DecoderState {
  std::map<uint32_t, SequenceState> sequences;
  std::unordered_map<uint32_t, ClockState> global_clocks;  // ids outside 64-127, BOOTTIME excepted
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

void decode_trace_packet_defaults(std::string_view bytes, DecodedPacket& p) {
  ProtoReader r(bytes);
  ProtoField f;
  while (r.next(f)) {
    if (f.number == pf::defaults::kTimestampClockId) {
      p.defaults_timestamp_clock_id = static_cast<uint32_t>(f.int_value);
    } else if (f.number == pf::defaults::kTrackEventDefaults) {
      ProtoReader er(f.bytes);
      ProtoField g;
      while (er.next(g)) {
        if (g.number == pf::defaults::kTrackUuid) {
          p.defaults_track_uuid = g.int_value;
        }
      }
    }
  }
}

void decode_clock_snapshot(std::string_view bytes, DecodedPacket& p) {
  ProtoReader r(bytes);
  ProtoField f;
  while (r.next(f)) {
    if (f.number != pf::clock::kClocks) {
      continue;
    }
    DecodedClock c;
    ProtoReader cr(f.bytes);
    ProtoField g;
    while (cr.next(g)) {
      if (g.number == pf::clock::kClockId) {
        c.clock_id = static_cast<uint32_t>(g.int_value);
      } else if (g.number == pf::clock::kTimestamp) {
        c.timestamp = g.int_value;
      } else if (g.number == pf::clock::kIsIncremental) {
        c.is_incremental = g.int_value != 0;
      } else if (g.number == pf::clock::kUnitMultiplierNs) {
        c.unit_multiplier_ns = g.int_value;
      }
    }
    p.clock_snapshot.push_back(c);
  }
}

// Registers the clocks of a snapshot against the BOOTTIME value it gives (a snapshot without BOOTTIME
// defines nothing we can map: the writer never emits one).
void apply_clock_snapshot(const DecodedPacket& p, SequenceState& seq, DecoderState& state) {
  const DecodedClock* boottime = nullptr;
  for (const DecodedClock& c : p.clock_snapshot) {
    if (c.clock_id == pf::clock::kBoottime)
      boottime = &c;
  }
  if (!boottime)
    return;
  for (const DecodedClock& c : p.clock_snapshot) {
    if (c.clock_id == pf::clock::kBoottime)
      continue;
    ClockState clock;
    clock.incremental = c.is_incremental;
    clock.unit_ns = c.unit_multiplier_ns ? c.unit_multiplier_ns : 1;
    clock.at_ns = static_cast<int64_t>(c.timestamp * clock.unit_ns);
    clock.trace_ns = static_cast<int64_t>(boottime->timestamp);
    clock.last_ns = clock.at_ns;
    (pf::clock::is_sequence_clock(c.clock_id) ? seq.clocks : state.global_clocks)[c.clock_id] = clock;
  }
}

// DecodedPacket::timestamp from the encoded one (see its comment).
void resolve_timestamp(DecodedPacket& p, SequenceState& seq, DecoderState& state) {
  if (!p.encoded_timestamp)
    return;
  const uint64_t raw = *p.encoded_timestamp;
  p.timestamp = raw;
  std::optional<uint32_t> clock = p.timestamp_clock_id;
  if (!clock && seq.default_clock) {
    clock = seq.default_clock;
    p.timestamp_clock_from_defaults = true;
  }
  if (!clock || *clock == pf::clock::kBoottime)
    return;
  p.timestamp_clock = clock;
  auto& table = pf::clock::is_sequence_clock(*clock) ? seq.clocks : state.global_clocks;
  const auto it = table.find(*clock);
  if (it == table.end()) {
    p.timestamp_resolved = false;
    return;
  }
  ClockState& c = it->second;
  int64_t on_clock = static_cast<int64_t>(raw * c.unit_ns);
  if (c.incremental) {
    c.last_ns += on_clock;
    on_clock = c.last_ns;
  }
  p.timestamp = static_cast<uint64_t>(c.trace_ns + (on_clock - c.at_ns));
}

DecodedPacket decode_packet(std::string_view bytes, size_t index, DecoderState& state) {
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
        p.encoded_timestamp = f.int_value;
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
        decode_clock_snapshot(f.bytes, p);
        break;
      case pf::packet::kTracePacketDefaults:
        p.has_trace_packet_defaults = true;
        decode_trace_packet_defaults(f.bytes, p);
        break;
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
  // Pass 2, in trace_processor's order (proto_trace_reader.cc): a cleared state, then the packet's
  // defaults and interned data (a packet's own interned_data is visible to its own event), then its
  // ClockSnapshot (whose packet is read no further: its timestamp moves no clock); then the timestamp
  // and the event's ids are resolved against the sequence.
  SequenceState& seq = state.sequences[p.trusted_packet_sequence_id];
  if ((p.sequence_flags & pf::packet::kSeqIncrementalStateCleared) != 0) {
    // Clocks live in trace_processor's clock tracker, not in the sequence's incremental state.
    auto clocks = std::move(seq.clocks);
    seq = SequenceState{};
    seq.clocks = std::move(clocks);
  }
  if (p.has_trace_packet_defaults) {
    seq.default_clock = p.defaults_timestamp_clock_id;
    seq.default_track_uuid = p.defaults_track_uuid;
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
  if (p.has_clock_snapshot) {
    apply_clock_snapshot(p, seq, state);
    p.timestamp = p.encoded_timestamp;
  } else {
    resolve_timestamp(p, seq, state);
  }
  if (has_track_event) {
    p.track_event = decode_track_event(track_event_bytes, seq);
    if (!p.track_event->track_uuid && seq.default_track_uuid) {
      p.track_event->track_uuid = seq.default_track_uuid;
      p.track_event->track_uuid_from_defaults = true;
    }
  }
  return p;
}

}  // namespace

void for_each_perfetto_packet(std::string_view bytes, const std::function<void(const DecodedPacket&)>& fn) {
  DecoderState state;
  ProtoReader r(bytes);
  ProtoField f;
  size_t index = 0;
  while (r.next(f)) {
    if (f.number != pf::trace::kPacket || f.wire_type != WireType::kLengthDelimited) {
      throw std::runtime_error("pftrace: top-level field " + std::to_string(f.number) +
                               " is not a TracePacket (field 1)");
    }
    fn(decode_packet(f.bytes, index++, state));
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
