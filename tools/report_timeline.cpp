#include "tools/report_timeline.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <numeric>
#include <string>
#include <unordered_map>
#include <vector>

#include "tools/json_reader.hpp"
#include "traces/perfetto_trace_reader.hpp"

namespace tn::cli {
namespace {

using nlohmann::json;

// The row sim/sc/run_recorder.cpp gives each core's kernel regions: its slices are named after regions,
// not opcodes, so they are drawn but left out of the time per opcode.
constexpr const char* kRegionsRow = "Kernel regions";

struct Slice {
  uint64_t start = 0, end = 0;
  uint32_t lane = 0;  // dense index of the slice's track uuid, in the order tracks were defined
  uint32_t op = 0;    // index into the opcode names
  int32_t src = -1;   // index into the source lines
  int32_t pc = -1;
};

struct OpenSlice {
  bool open = false;
  uint64_t start = 0;
  uint32_t op = 0;
  int32_t src = -1, pc = -1;
};

// Strings in first-seen order (the trace's order, so the same file gives the same indices).
class Names {
 public:
  uint32_t id(const std::string& name) {
    const auto [it, fresh] = m_ids.try_emplace(name, uint32_t(m_names.size()));
    if (fresh)
      m_names.push_back(name);
    return it->second;
  }
  const std::vector<std::string>& names() const { return m_names; }

 private:
  std::unordered_map<std::string, uint32_t> m_ids;
  std::vector<std::string> m_names;
};

struct Decoded {
  trace::TraceSummary layout;  // processes and their rows, as the UI orders them
  std::vector<Slice> slices;   // in end order
  std::unordered_map<uint64_t, uint32_t> lane_of_uuid;
  Names opcodes, sources;
};

Decoded decode(const std::filesystem::path& file) {
  std::string bytes;
  try {
    bytes = trace::read_file_bytes(file);
  } catch (const std::exception& e) {
    throw ConfigError(file.string() + ": cannot read the trace: " + e.what());
  }
  Decoded d;
  trace::PerfettoTraceSummarizer summarizer;
  std::vector<OpenSlice> open;
  try {
    trace::for_each_perfetto_packet(bytes, [&](const trace::DecodedPacket& p) {
      summarizer.add(p);
      if (const auto& t = p.track_descriptor; t && !t->has_process && !t->is_counter) {
        if (d.lane_of_uuid.try_emplace(t->uuid, uint32_t(open.size())).second)
          open.emplace_back();
      }
      const auto& e = p.track_event;
      if (!e || !e->track_uuid || !p.timestamp)
        return;
      const auto lane = d.lane_of_uuid.find(*e->track_uuid);
      if (lane == d.lane_of_uuid.end())
        return;  // a counter's sample
      OpenSlice& o = open[lane->second];
      if (e->type == trace::EventType::kSliceBegin) {
        o = OpenSlice{true, *p.timestamp, d.opcodes.id(e->name), -1, -1};
        for (const trace::DecodedAnnotation& a : e->annotations) {
          if (a.name == "source" && std::holds_alternative<std::string>(a.value))
            o.src = int32_t(d.sources.id(std::get<std::string>(a.value)));
          else if (a.name == "pc" && std::holds_alternative<int64_t>(a.value))
            o.pc = int32_t(std::get<int64_t>(a.value));
        }
      } else if (e->type == trace::EventType::kSliceEnd && o.open) {
        d.slices.push_back(Slice{o.start, std::max(o.start, *p.timestamp), lane->second, o.op, o.src, o.pc});
        o.open = false;
      }
    });
  } catch (const std::exception& e) {
    throw ConfigError(file.string() + ": corrupt or truncated trace (" + e.what() +
                      "): rerun the run to write it again");
  }
  const size_t unclosed =
      size_t(std::count_if(open.begin(), open.end(), [](const OpenSlice& o) { return o.open; }));
  if (unclosed > 0) {
    throw ConfigError(file.string() + ": truncated trace: " + std::to_string(unclosed) +
                      " slice(s) begin and never end (was the run stopped while writing it?)");
  }
  if (d.slices.empty())
    throw ConfigError(file.string() + ": the trace holds no slices (is it a trnsim trace?)");
  d.layout = summarizer.finish();
  return d;
}

// The rank and core a process name gives (sim/sc/run_recorder.cpp: "NC0", "rank 3 NC0 (chip 0)"); -1 for
// none.
std::pair<int, int> rank_and_core_of_process(const std::string& name) {
  int rank = -1, core = -1;
  if (std::sscanf(name.c_str(), "rank %d NC%d", &rank, &core) == 2)
    return {rank, core};
  if (std::sscanf(name.c_str(), "NC%d", &core) == 1)
    return {-1, core};
  return {-1, -1};
}

// Calls covered(a, b) for each interval of the union of `slices` (sorted by start), in time order.
template <class F>
void for_each_covered(const std::vector<const Slice*>& slices, F&& covered) {
  uint64_t a = 0, b = 0;
  bool any = false;
  for (const Slice* s : slices) {
    if (any && s->start <= b) {
      b = std::max(b, s->end);
      continue;
    }
    if (any)
      covered(a, b);
    a = s->start, b = s->end, any = true;
  }
  if (any)
    covered(a, b);
}

json exact_row(const std::vector<const Slice*>& slices, const std::vector<uint32_t>& lane_in_row) {
  std::vector<int64_t> start, dur, op, src, pc, lane;
  uint64_t previous = 0;
  for (const Slice* s : slices) {
    start.push_back(int64_t(s->start - previous));  // delta-coded: most gaps are a few digits
    previous = s->start;
    dur.push_back(int64_t(s->end - s->start));
    op.push_back(s->op);
    src.push_back(s->src);
    pc.push_back(s->pc);
    lane.push_back(lane_in_row[s->lane]);
  }
  return {{"start", start}, {"dur", dur}, {"op", op}, {"src", src}, {"pc", pc}, {"lane", lane}};
}

// Per bucket of `bucket_ns`: the permille covered by any slice, and the opcode covering most of it.
json bucket_row(const std::vector<const Slice*>& slices, uint64_t bucket_ns, size_t buckets, size_t opcodes,
                std::vector<double>& per_op) {
  std::vector<double> covered(buckets, 0.0);
  for_each_covered(slices, [&](uint64_t a, uint64_t b) {
    for (uint64_t k = a / bucket_ns; k < buckets && k * bucket_ns < b; ++k)
      covered[k] += double(std::min(b, (k + 1) * bucket_ns) - std::max(a, k * bucket_ns));
  });
  per_op.assign(buckets * opcodes, 0.0);
  for (const Slice* s : slices) {
    for (uint64_t k = s->start / bucket_ns; k < buckets && k * bucket_ns < s->end; ++k)
      per_op[k * opcodes + s->op] +=
          double(std::min(s->end, (k + 1) * bucket_ns) - std::max(s->start, k * bucket_ns));
  }
  std::vector<int64_t> busy(buckets), top(buckets, -1);
  for (size_t k = 0; k < buckets; ++k) {
    busy[k] = std::min<int64_t>(1000, int64_t(covered[k] * 1000.0 / double(bucket_ns) + 0.5));
    const double* row = &per_op[k * opcodes];
    const size_t best = size_t(std::max_element(row, row + opcodes) - row);
    if (row[best] > 0)
      top[k] = int64_t(best);
  }
  return {{"busy", busy}, {"top", top}};
}

}  // namespace

json read_timeline(const std::filesystem::path& trace_file, const TimelineLimits& limits) {
  Decoded d = decode(trace_file);
  // Each lane's row: (process index, row index in it) and its lane number within the row.
  struct RowRef {
    size_t process = 0, row = 0;
  };
  std::vector<RowRef> row_of_lane(d.lane_of_uuid.size());
  std::vector<uint32_t> lane_in_row(d.lane_of_uuid.size(), 0);
  std::vector<std::vector<std::vector<const Slice*>>> rows(d.layout.processes.size());
  for (size_t p = 0; p < d.layout.processes.size(); ++p) {
    const auto& tracks = d.layout.processes[p].tracks;
    rows[p].resize(tracks.size());
    for (size_t r = 0; r < tracks.size(); ++r) {
      for (size_t l = 0; l < tracks[r].uuids.size(); ++l) {
        const auto it = d.lane_of_uuid.find(tracks[r].uuids[l]);
        if (it != d.lane_of_uuid.end()) {
          row_of_lane[it->second] = {p, r};
          lane_in_row[it->second] = uint32_t(l);
        }
      }
    }
  }
  uint64_t end_ns = 0;
  for (const Slice& s : d.slices) {
    const RowRef& ref = row_of_lane[s.lane];
    rows[ref.process][ref.row].push_back(&s);
    end_ns = std::max(end_ns, s.end);
  }
  // Slices by start within each row (ties by end, then lane, so the order never depends on the sort).
  std::vector<std::pair<size_t, size_t>> nonempty;  // (process, row)
  for (size_t p = 0; p < rows.size(); ++p) {
    for (size_t r = 0; r < rows[p].size(); ++r) {
      auto& v = rows[p][r];
      std::sort(v.begin(), v.end(), [](const Slice* a, const Slice* b) {
        return std::tie(a->start, a->end, a->lane) < std::tie(b->start, b->end, b->lane);
      });
      if (!v.empty())
        nonempty.push_back({p, r});
    }
  }

  // Which rows are exact: all when they fit the budget; else the smallest rows, in a quarter of it (the
  // regions and CC-core rows stay exact), and buckets for the rest.
  std::vector<std::vector<bool>> exact(rows.size());
  for (size_t p = 0; p < rows.size(); ++p)
    exact[p].assign(rows[p].size(), true);
  const bool aggregated = d.slices.size() > limits.slice_budget;
  size_t aggregated_rows = 0;
  if (aggregated) {
    std::vector<std::pair<size_t, size_t>> by_size = nonempty;
    std::stable_sort(by_size.begin(), by_size.end(), [&](const auto& a, const auto& b) {
      return rows[a.first][a.second].size() < rows[b.first][b.second].size();
    });
    size_t spent = 0;
    for (const auto& [p, r] : by_size) {
      const size_t n = rows[p][r].size();
      exact[p][r] = spent + n <= limits.slice_budget / 4;
      if (exact[p][r])
        spent += n;
      else
        ++aggregated_rows;
    }
  }
  const size_t want_buckets = aggregated_rows ? std::clamp<size_t>(limits.slice_budget / aggregated_rows, 256,
                                                                   limits.max_buckets_per_row)
                                              : 1;
  const uint64_t bucket_ns = std::max<uint64_t>(1, (end_ns + want_buckets - 1) / want_buckets);
  const size_t buckets = size_t((end_ns + bucket_ns - 1) / bucket_ns);

  std::vector<double> per_op;  // reused scratch of bucket_row
  std::map<std::pair<std::string, uint32_t>, std::pair<uint64_t, uint64_t>> opcode_time;  // count, ns
  json processes = json::array();
  for (size_t p = 0; p < rows.size(); ++p) {
    const trace::ProcessSummary& process = d.layout.processes[p];
    json out_rows = json::array();
    uint64_t process_end = 0;
    size_t instructions = 0;  // slices less the regions: one per instruction the core ran
    for (size_t r = 0; r < rows[p].size(); ++r) {
      const std::vector<const Slice*>& v = rows[p][r];
      if (v.empty())
        continue;  // a queue the kernel never used
      const trace::TrackSummary& track = process.tracks[r];
      uint64_t busy = 0;
      for_each_covered(v, [&](uint64_t a, uint64_t b) { busy += b - a; });
      for (const Slice* s : v) {
        process_end = std::max(process_end, s->end);
        if (track.name != kRegionsRow) {
          ++instructions;
          auto& [count, ns] = opcode_time[{track.name, s->op}];
          ++count;
          ns += s->end - s->start;
        }
      }
      json row = exact[p][r] ? exact_row(v, lane_in_row)
                             : bucket_row(v, bucket_ns, buckets, d.opcodes.names().size(), per_op);
      row["name"] = track.name;
      row["lanes"] = track.uuids.size();
      row["count"] = v.size();
      row["busy_ns"] = busy;
      out_rows.push_back(std::move(row));
    }
    if (out_rows.empty())
      continue;  // counters only (the Fabric process)
    json pj = {{"name", process.name},
               {"end_ns", process_end},
               {"instructions", instructions},
               {"rows", std::move(out_rows)}};
    const auto [rank, core] = rank_and_core_of_process(process.name);
    if (rank >= 0)
      pj["rank"] = rank;
    if (core >= 0)
      pj["core"] = core;
    processes.push_back(std::move(pj));
  }

  std::vector<std::pair<std::pair<std::string, uint32_t>, std::pair<uint64_t, uint64_t>>> ops(
      opcode_time.begin(), opcode_time.end());
  std::stable_sort(ops.begin(), ops.end(),
                   [](const auto& a, const auto& b) { return a.second.second > b.second.second; });
  json opcode_rows = json::array();
  for (const auto& [key, value] : ops) {
    opcode_rows.push_back({{"engine", key.first},
                           {"opcode", d.opcodes.names()[key.second]},
                           {"count", value.first},
                           {"time_ns", value.second}});
  }
  json t = {{"end_ns", end_ns},
            {"slices", d.slices.size()},
            {"aggregated", aggregated},
            {"opcodes", d.opcodes.names()},
            {"sources", d.sources.names()},
            {"processes", std::move(processes)},
            {"opcode_time", std::move(opcode_rows)}};
  if (aggregated) {
    t["bucket_ns"] = bucket_ns;
    t["buckets"] = buckets;
    t["aggregated_rows"] = aggregated_rows;
  }
  return t;
}

}  // namespace tn::cli
