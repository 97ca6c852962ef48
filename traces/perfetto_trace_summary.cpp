// PerfettoTraceSummarizer and summarize_perfetto_trace* (declared in perfetto_trace_reader.hpp): what
// the UI would show, per process and track, for tests and logs.
#include <algorithm>
#include <memory>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "traces/perfetto_fields.hpp"
#include "traces/perfetto_trace_reader.hpp"

namespace tn::trace {

namespace {

// The UI merges sibling tracks by name unless told otherwise (sibling_merge_behavior, §2(b)).
std::string merge_group(const DecodedTrackDescriptor& d) {
  switch (d.sibling_merge_behavior) {
    case pf::track::kMergeBySiblingMergeKey:
      return "key:" + d.sibling_merge_key;
    case pf::track::kMergeNone:
      return "uuid:" + std::to_string(d.uuid);
    default:
      return std::string(d.is_counter ? "counter:" : "name:") + d.name;
  }
}

}  // namespace

std::vector<std::string> ProcessSummary::track_names() const {
  std::vector<std::string> names;
  names.reserve(tracks.size());
  for (const TrackSummary& t : tracks) {
    names.push_back(t.name);
  }
  return names;
}

const TrackSummary* ProcessSummary::find(std::string_view track_name) const {
  for (const TrackSummary& t : tracks) {
    if (t.name == track_name) {
      return &t;
    }
  }
  return nullptr;
}

const ProcessSummary* TraceSummary::find(std::string_view process_name) const {
  for (const ProcessSummary& p : processes) {
    if (p.name == process_name) {
      return &p;
    }
  }
  return nullptr;
}

std::string TraceSummary::to_string() const {
  std::ostringstream s;
  for (const ProcessSummary& p : processes) {
    s << p.name << " (pid " << p.pid << ")\n";
    for (const TrackSummary& t : p.tracks) {
      s << "  " << t.name << " [rank " << (t.rank ? std::to_string(*t.rank) : "-") << "] ";
      if (t.is_counter) {
        s << t.counter_samples << " samples\n";
      } else {
        s << t.slices << " slices, " << t.uuids.size() << " lane(s)\n";
      }
    }
  }
  s << "total: " << slices << " slices, " << counter_samples << " counter samples, " << flows << " flows\n";
  return s.str();
}

struct PerfettoTraceSummarizer::State {
  TraceSummary summary;
  std::unordered_map<uint64_t, size_t> process_of_uuid;  // process track uuid -> index
  // Any child track uuid -> (process index, index of its merged row); rows are sorted in finish().
  std::unordered_map<uint64_t, std::pair<size_t, size_t>> track_of_uuid;
  std::vector<std::unordered_map<std::string, size_t>> groups;  // per process: merge group -> row
  std::unordered_set<uint64_t> flow_ids;
};

PerfettoTraceSummarizer::PerfettoTraceSummarizer() : m_state(std::make_unique<State>()) {}
PerfettoTraceSummarizer::~PerfettoTraceSummarizer() = default;

void PerfettoTraceSummarizer::add(const DecodedPacket& p) {
  State& s = *m_state;
  if (const auto& d = p.track_descriptor) {
    if (d->has_process) {
      s.process_of_uuid[d->uuid] = s.summary.processes.size();
      ProcessSummary process;
      process.uuid = d->uuid;
      process.pid = d->pid;
      process.name = d->process_name;
      s.summary.processes.push_back(std::move(process));
      s.groups.emplace_back();
    } else if (d->parent_uuid && s.process_of_uuid.contains(*d->parent_uuid)) {
      const size_t pi = s.process_of_uuid.at(*d->parent_uuid);
      auto& tracks = s.summary.processes[pi].tracks;
      const auto [it, inserted] = s.groups[pi].try_emplace(merge_group(*d), tracks.size());
      if (inserted) {
        TrackSummary t;
        t.name = d->name;
        t.is_counter = d->is_counter;
        t.rank = d->sibling_order_rank;
        tracks.push_back(std::move(t));
      }
      tracks[it->second].uuids.push_back(d->uuid);
      s.track_of_uuid[d->uuid] = {pi, it->second};
    }
  }
  if (const auto& e = p.track_event) {
    s.flow_ids.insert(e->flow_ids.begin(), e->flow_ids.end());
    s.flow_ids.insert(e->terminating_flow_ids.begin(), e->terminating_flow_ids.end());
    if (!e->track_uuid) {
      return;
    }
    const auto it = s.track_of_uuid.find(*e->track_uuid);
    if (it == s.track_of_uuid.end()) {
      return;
    }
    TrackSummary& t = s.summary.processes[it->second.first].tracks[it->second.second];
    if (e->type == EventType::kSliceBegin) {
      ++t.slices;
      ++s.summary.slices;
    } else if (e->type == EventType::kCounter) {
      ++t.counter_samples;
      ++s.summary.counter_samples;
    }
  }
}

TraceSummary PerfettoTraceSummarizer::finish() {
  TraceSummary summary = std::move(m_state->summary);
  for (ProcessSummary& p : summary.processes) {
    // EXPLICIT child ordering: by rank; stable, so definition order breaks ties.
    std::stable_sort(p.tracks.begin(), p.tracks.end(), [](const TrackSummary& a, const TrackSummary& b) {
      return a.rank.value_or(0) < b.rank.value_or(0);
    });
  }
  summary.flows = m_state->flow_ids.size();
  m_state = std::make_unique<State>();
  return summary;
}

TraceSummary summarize_perfetto_trace(const DecodedTrace& trace) {
  PerfettoTraceSummarizer summarizer;
  for (const DecodedPacket& p : trace.packets) {
    summarizer.add(p);
  }
  return summarizer.finish();
}

TraceSummary summarize_perfetto_trace_bytes(std::string_view bytes) {
  PerfettoTraceSummarizer summarizer;
  for_each_perfetto_packet(bytes, [&](const DecodedPacket& p) { summarizer.add(p); });
  return summarizer.finish();
}

}  // namespace tn::trace
