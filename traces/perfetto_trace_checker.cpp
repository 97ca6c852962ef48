// PerfettoTraceChecker and check_perfetto_trace* (declared in perfetto_trace_reader.hpp): the §2(c)
// checklist of peers-perfetto-profiler.md, one packet at a time.
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "traces/perfetto_fields.hpp"
#include "traces/perfetto_trace_reader.hpp"

namespace tn::trace {

namespace {

class Problems {
 public:
  explicit Problems(size_t max) : m_max(max) {}
  void add(size_t packet, const std::string& what) {
    if (m_list.size() < m_max) {
      m_list.push_back("packet " + std::to_string(packet) + ": " + what);
    } else {
      ++m_dropped;
    }
  }
  void add_global(const std::string& what) {
    if (m_list.size() < m_max) {
      m_list.push_back(what);
    } else {
      ++m_dropped;
    }
  }
  std::vector<std::string> take() {
    if (m_dropped > 0) {
      m_list.push_back("... and " + std::to_string(m_dropped) + " more problems");
    }
    return std::move(m_list);
  }

 private:
  size_t m_max;
  size_t m_dropped = 0;
  std::vector<std::string> m_list;
};

struct TrackState {
  bool is_counter = false;
  std::string name{};
  int depth = 0;  // open slices
  std::optional<uint64_t> last_ts{};
};

std::string track_label(uint64_t uuid, const TrackState& t) {
  return "track " + std::to_string(uuid) + " (\"" + t.name + "\")";
}

}  // namespace

struct PerfettoTraceChecker::State {
  explicit State(size_t max_problems) : problems(max_problems) {}
  Problems problems;
  std::unordered_map<uint64_t, TrackState> tracks;
  std::vector<uint64_t> track_order;               // definition order, for deterministic reports
  std::unordered_set<uint32_t> cleared_sequences;  // sequences whose incremental state was cleared
  std::unordered_map<uint64_t, size_t> flow_counts;
  std::vector<uint64_t> flow_order;

  void count_flow(uint64_t id) {
    if (flow_counts[id]++ == 0) {
      flow_order.push_back(id);
    }
  }
  void add(const DecodedPacket& p);
  void check_descriptor(size_t at, const DecodedTrackDescriptor& d);
  void check_event(size_t at, const DecodedPacket& p, const DecodedTrackEvent& e, bool cleared);
};

PerfettoTraceChecker::PerfettoTraceChecker(size_t max_problems)
    : m_state(std::make_unique<State>(max_problems)) {}
PerfettoTraceChecker::~PerfettoTraceChecker() = default;
void PerfettoTraceChecker::add(const DecodedPacket& packet) { m_state->add(packet); }

void PerfettoTraceChecker::State::add(const DecodedPacket& p) {
  const size_t at = p.index;
  const uint32_t seq = p.trusted_packet_sequence_id;
  if (seq == 0) {
    problems.add(at, "trusted_packet_sequence_id is missing or 0");
  }
  if (p.has_clock_snapshot) {
    for (const DecodedClock& c : p.clock_snapshot) {
      if (c.is_incremental && !pf::clock::is_sequence_clock(c.clock_id)) {
        problems.add(at, "ClockSnapshot makes global clock " + std::to_string(c.clock_id) +
                             " incremental (only sequence-scoped clocks 64-127 may be)");
      }
    }
    if (p.track_event) {
      problems.add(at,
                   "track_event in a ClockSnapshot packet (trace_processor reads no further than the "
                   "snapshot)");
    }
  }
  if (p.timestamp && !p.timestamp_resolved) {
    problems.add(at, "timestamp on clock " + std::to_string(p.timestamp_clock.value_or(0)) +
                         (p.timestamp_clock_from_defaults ? " (the sequence's default)" : "") +
                         " that no earlier ClockSnapshot defines (perfetto #887)");
  }
  if ((p.sequence_flags & pf::packet::kSeqIncrementalStateCleared) != 0) {
    cleared_sequences.insert(seq);
  }
  const bool cleared = cleared_sequences.contains(seq);
  if ((!p.interned_event_names.empty() || !p.interned_annotation_names.empty() ||
       !p.interned_string_values.empty()) &&
      !cleared) {
    problems.add(at, "interned_data before SEQ_INCREMENTAL_STATE_CLEARED on sequence " + std::to_string(seq));
  }
  if (p.has_trace_packet_defaults && !cleared) {
    problems.add(
        at, "trace_packet_defaults before SEQ_INCREMENTAL_STATE_CLEARED on sequence " + std::to_string(seq));
  }
  const bool uses_defaults =
      p.timestamp_clock_from_defaults || (p.track_event && p.track_event->track_uuid_from_defaults);
  if (uses_defaults && (p.sequence_flags & pf::packet::kSeqNeedsIncrementalState) == 0 &&
      (p.sequence_flags & pf::packet::kSeqIncrementalStateCleared) == 0) {
    problems.add(at, "relies on TracePacketDefaults without SEQ_NEEDS_INCREMENTAL_STATE");
  }
  if (p.track_descriptor) {
    check_descriptor(at, *p.track_descriptor);
  }
  if (p.track_event) {
    check_event(at, p, *p.track_event, cleared);
  }
}

void PerfettoTraceChecker::State::check_descriptor(size_t at, const DecodedTrackDescriptor& d) {
  if (d.uuid == 0) {
    problems.add(at, "track descriptor with uuid 0 (reserved for the implicit global track)");
  } else if (tracks.contains(d.uuid)) {
    problems.add(at, "duplicate track uuid " + std::to_string(d.uuid));
  } else {
    TrackState t;
    t.is_counter = d.is_counter;
    t.name = d.has_process ? d.process_name : d.name;
    tracks.emplace(d.uuid, std::move(t));
    track_order.push_back(d.uuid);
  }
  if ((d.has_process || d.has_thread) && d.parent_uuid) {
    problems.add(at,
                 "process/thread track " + std::to_string(d.uuid) + " has a parent_uuid (must be a root)");
  }
  if (d.parent_uuid && !tracks.contains(*d.parent_uuid)) {
    problems.add(at, "track " + std::to_string(d.uuid) + " has parent_uuid " +
                         std::to_string(*d.parent_uuid) + " that is not defined earlier");
  }
}

void PerfettoTraceChecker::State::check_event(size_t at, const DecodedPacket& p, const DecodedTrackEvent& e,
                                              bool cleared) {
  const uint32_t seq = p.trusted_packet_sequence_id;
  bool uses_iids = e.name_iid != 0;
  if (e.name_iid != 0 && !e.name_resolved) {
    problems.add(at, "event name_iid " + std::to_string(e.name_iid) + " is not defined on sequence " +
                         std::to_string(seq));
  }
  for (const DecodedAnnotation& a : e.annotations) {
    if (a.name_iid != 0) {
      uses_iids = true;
      if (!a.name_resolved) {
        problems.add(at, "debug annotation name_iid " + std::to_string(a.name_iid) +
                             " is not defined on sequence " + std::to_string(seq));
      }
    }
    if (a.value_iid != 0) {
      uses_iids = true;
      if (!a.value_resolved) {
        problems.add(at, "debug annotation string_value_iid " + std::to_string(a.value_iid) +
                             " is not defined on sequence " + std::to_string(seq));
      }
    }
  }
  if (uses_iids) {
    if ((p.sequence_flags & pf::packet::kSeqNeedsIncrementalState) == 0) {
      problems.add(at, "uses interned ids without SEQ_NEEDS_INCREMENTAL_STATE");
    }
    if (!cleared) {
      problems.add(
          at, "uses interned ids before SEQ_INCREMENTAL_STATE_CLEARED on sequence " + std::to_string(seq));
    }
  }
  for (const uint64_t id : e.flow_ids) {
    count_flow(id);
  }
  for (const uint64_t id : e.terminating_flow_ids) {
    count_flow(id);
  }

  if (!e.track_uuid) {
    problems.add(at, "track_event without track_uuid");
    return;
  }
  const auto it = tracks.find(*e.track_uuid);
  if (it == tracks.end()) {
    problems.add(
        at, "track_event uses track_uuid " + std::to_string(*e.track_uuid) + " that is not defined earlier");
    return;
  }
  TrackState& t = it->second;
  if (!p.timestamp) {
    problems.add(at, "track_event without timestamp");
  } else {
    if (t.last_ts && *p.timestamp < *t.last_ts) {
      problems.add(at, "timestamp " + std::to_string(*p.timestamp) + " goes backwards on " +
                           track_label(*e.track_uuid, t) + " (previous " + std::to_string(*t.last_ts) + ")");
    }
    t.last_ts = p.timestamp;
  }
  switch (e.type) {
    case EventType::kSliceBegin:
      if (t.is_counter) {
        problems.add(at, "SLICE_BEGIN on counter " + track_label(*e.track_uuid, t));
      }
      if (t.depth > 0) {
        problems.add(at, "SLICE_BEGIN overlaps the slice still open on " + track_label(*e.track_uuid, t));
      }
      ++t.depth;
      break;
    case EventType::kSliceEnd:
      if (t.depth == 0) {
        problems.add(at, "SLICE_END without an open slice on " + track_label(*e.track_uuid, t));
      } else {
        --t.depth;
      }
      break;
    case EventType::kInstant:
      if (t.is_counter) {
        problems.add(at, "INSTANT on counter " + track_label(*e.track_uuid, t));
      }
      break;
    case EventType::kCounter:
      if (!t.is_counter) {
        problems.add(at, "COUNTER event on non-counter " + track_label(*e.track_uuid, t));
      }
      if (!e.counter_value && !e.double_counter_value) {
        problems.add(at, "COUNTER event without a value");
      }
      break;
    default:
      problems.add(at, "track_event with unknown type " + std::to_string(static_cast<int>(e.type)));
  }
}

std::vector<std::string> PerfettoTraceChecker::finish() {
  State& s = *m_state;
  for (const uint64_t uuid : s.track_order) {
    const TrackState& t = s.tracks.at(uuid);
    if (t.depth > 0) {
      s.problems.add_global(std::to_string(t.depth) + " slice(s) never ended on " + track_label(uuid, t));
    }
  }
  for (const uint64_t id : s.flow_order) {
    if (s.flow_counts.at(id) < 2) {
      s.problems.add_global("flow id " + std::to_string(id) + " appears only once");
    }
  }
  return s.problems.take();
}

std::vector<std::string> check_perfetto_trace(const DecodedTrace& trace, size_t max_problems) {
  PerfettoTraceChecker checker(max_problems);
  for (const DecodedPacket& p : trace.packets) {
    checker.add(p);
  }
  return checker.finish();
}

std::vector<std::string> check_perfetto_trace_bytes(std::string_view bytes, size_t max_problems) {
  PerfettoTraceChecker checker(max_problems);
  for_each_perfetto_packet(bytes, [&](const DecodedPacket& p) { checker.add(p); });
  return checker.finish();
}

}  // namespace tn::trace
