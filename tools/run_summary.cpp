#include "tools/run_summary.hpp"

#include <algorithm>
#include <array>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "isa/engine.hpp"
#include "tools/ring_report.hpp"

namespace tn::cli {

using nlohmann::json;

json spread(std::vector<double> v) {
  if (v.empty())
    return json{{"min", 0.0}, {"median", 0.0}, {"max", 0.0}, {"mean", 0.0}};
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (double x : v)
    sum += x;
  return json{
      {"min", v.front()}, {"median", v[v.size() / 2]}, {"max", v.back()}, {"mean", sum / double(v.size())}};
}

namespace {

// Each kind of collective's count, bytes and time, the algorithms that ran, NCCL's algorithm and bus
// bandwidths (collectives.md §3) over its instances, the time compute did not hide (per rank, over its
// instances of the kind), and how busy the fabric's links were.
json collectives_summary(const sc::TimedRunResult& t) {
  struct Kind {
    uint64_t count = 0, bytes = 0, time_ps = 0;
    std::map<std::string, uint64_t> algorithms;
    std::vector<double> algbw, busbw;
    std::map<int32_t, uint64_t> exposed_ps;  // by rank
  };
  std::map<std::string, Kind> kinds;
  for (const sc::CollectiveRecord& c : t.collectives) {
    Kind& k = kinds[c.kind];
    ++k.count;
    k.bytes += c.message_bytes;
    k.time_ps += c.end_ps - c.start_ps;
    ++k.algorithms[c.algorithm];
    k.algbw.push_back(c.algbw_bytes_per_ns);
    k.busbw.push_back(c.busbw_bytes_per_ns);
    for (size_t i = 0; i < c.row.size() && i < c.exposed_ps.size(); ++i)
      k.exposed_ps[c.row[i]] += c.exposed_ps[i];
  }
  json by_kind = json::object();
  for (const auto& [name, k] : kinds) {
    std::vector<double> exposed;
    for (const auto& [rank, ps] : k.exposed_ps)
      exposed.push_back(double(ps) / 1000.0);
    by_kind[name] = {{"count", k.count},
                     {"message_bytes", k.bytes},
                     {"time_ns", double(k.time_ps) / 1000.0},
                     {"algorithms", k.algorithms},
                     {"algbw_GBps", spread(k.algbw)},
                     {"busbw_GBps", spread(k.busbw)}};
    if (!exposed.empty())
      by_kind[name]["exposed_ns_per_rank"] = spread(exposed);
  }
  json instances = json::array();
  for (const sc::CollectiveRecord& c : t.collectives) {
    std::vector<double> exposed;
    for (uint64_t ps : c.exposed_ps)
      exposed.push_back(double(ps) / 1000.0);
    instances.push_back({{"kind", c.kind},
                         {"algorithm", c.algorithm},
                         {"group", c.group},
                         {"row", c.row},
                         {"cc_core", c.stream},
                         {"sequence", c.sequence},
                         {"source", c.source},
                         {"message_bytes", c.message_bytes},
                         {"start_ns", double(c.start_ps) / 1000.0},
                         {"end_ns", double(c.end_ps) / 1000.0},
                         {"exposed_ns", exposed},
                         {"steps", c.steps},
                         {"algbw_GBps", c.algbw_bytes_per_ns},
                         {"busbw_GBps", c.busbw_bytes_per_ns}});
  }
  json links = json::array();
  for (const sc::LinkStats& l : t.links) {
    links.push_back(
        {{"link", l.name},
         {"GBps", l.bytes_per_ns},
         {"bytes", l.bytes},
         {"busy_ns", double(l.busy_ps) / 1000.0},
         {"utilization_percent", t.total_ps ? 100.0 * double(l.busy_ps) / double(t.total_ps) : 0.0}});
  }
  return {{"by_kind", by_kind}, {"instances", instances}, {"links", links}};
}

}  // namespace

json timing_summary(const sc::TimedRunResult& t, const KernelSetup& k, double model_flops,
                    const timing::HwConfig& hw) {
  const bool ranks = k.per_rank;
  json s;
  const double total_ns = t.total_ps / 1000.0;
  s["total_ns"] = total_ns;
  json cores = json::array();
  for (size_t c = 0; c < t.cores.size(); ++c) {
    json engines = json::object();
    for (const auto& st : t.cores[c].streams) {
      engines[st.name] = {{"engine", isa::engine_name(st.engine)},
                          {"busy_ns", st.busy_ps / 1000.0},
                          {"busy_percent", t.total_ps ? 100.0 * st.busy_ps / t.total_ps : 0.0},
                          {"instructions", st.instructions},
                          {"semaphore_wait_ns", st.sem_wait_ps / 1000.0}};
    }
    json core = {{"core", t.cores[c].core}, {"engines", engines}};
    if (ranks) {
      core["rank"] = t.cores[c].rank;
      core["chip"] = t.cores[c].chip;
    }
    cores.push_back(std::move(core));
  }
  s["cores"] = cores;
  s["opcode_counts"] = t.opcode_counts;
  json opcodes = json::object();
  for (const auto& [name, count] : t.opcode_counts) {
    opcodes[name] = {{"count", count}, {"time_ns", t.opcode_busy_ps.at(name) / 1000.0}};
  }
  s["opcodes"] = opcodes;
  // Runtime loops: how often the runtime values made each one run (the same program for every value).
  // By core, each core's in the order they first ran.
  std::vector<sc::LoopStats> by_core = t.loops;
  std::stable_sort(by_core.begin(), by_core.end(), [](const sc::LoopStats& a, const sc::LoopStats& b) {
    return std::tie(a.rank, a.core) < std::tie(b.rank, b.core);
  });
  json loops = json::array();
  for (const sc::LoopStats& l : by_core) {
    json loop = {{"core", l.core},
                 {"source", l.source},
                 {"entries", l.entries},
                 {"trips", l.trips},
                 {"max_trips", l.max_trips}};
    if (ranks)
      loop["rank"] = l.rank;
    loops.push_back(std::move(loop));
  }
  s["loops"] = loops;
  const double peak = hw.peak_matmul_flops_per_s() * static_cast<double>(k.programs.size() * k.ranks);
  const double seconds = total_ns * 1e-9;
  s["model_flops"] = model_flops;
  // The Neuron profiler's names where the figure is the profiler's (peers-perfetto-profiler.md, Summary).
  s["hardware_flops"] = t.matmul_flops;
  s["transpose_flops"] = t.transpose_flops;
  s["peak_flops_per_s"] = peak;
  s["mfu_estimated_percent"] = seconds > 0 ? 100.0 * model_flops / (seconds * peak) : 0.0;
  s["hfu_estimated_percent"] = seconds > 0 ? 100.0 * t.matmul_flops / (seconds * peak) : 0.0;
  // MBU: achieved HBM bandwidth over the peak of the HBM of the chips the run occupies.
  std::set<uint32_t> chips;
  for (const auto& c : t.cores)
    chips.insert(c.chip);
  const double peak_GBps = hw.hbm_chip_bandwidth_gb_per_s * double(std::max<size_t>(chips.size(), 1));
  const double achieved_GBps = seconds > 0 ? (t.hbm_read_bytes + t.hbm_write_bytes) / seconds * 1e-9 : 0.0;
  s["mbu_estimated_percent"] = 100.0 * achieved_GBps / peak_GBps;
  s["hbm"] = {{"read_bytes", t.hbm_read_bytes},
              {"write_bytes", t.hbm_write_bytes},
              {"achieved_GBps", achieved_GBps},
              {"peak_GBps", peak_GBps}};
  s["dma_bytes"] = t.dma_bytes;
  if (!t.collectives.empty() || !t.links.empty())
    s["collectives"] = collectives_summary(t);
  if (!t.regions.empty()) {
    // Each region name over the cores that ran it, in the order the names first appear.
    std::vector<std::string> order;
    std::map<std::string, std::array<std::vector<double>, 3>> by_name;
    for (const sc::RegionTiming& r : t.regions) {
      auto [it, fresh] = by_name.try_emplace(r.name);
      if (fresh)
        order.push_back(r.name);
      it->second[0].push_back(double(r.start_ps) / 1000.0);
      it->second[1].push_back(double(r.end_ps) / 1000.0);
      it->second[2].push_back(double(r.end_ps - r.start_ps) / 1000.0);
    }
    json regions = json::array();
    for (const std::string& name : order) {
      const auto& v = by_name.at(name);
      regions.push_back({{"name", name},
                         {"cores", v[0].size()},
                         {"start_ns", spread(v[0])},
                         {"end_ns", spread(v[1])},
                         {"duration_ns", spread(v[2])}});
    }
    s["regions"] = regions;
  }
  return s;
}

namespace {

// A core's streams that ran anything, as the profiler lists its rows: by engine (Tensor, Scalar, Vector,
// GpSimd, Sync, the DMA queues, the CC-cores), then by name.
std::vector<std::pair<std::string, const json*>> streams_in_row_order(const json& engines) {
  std::vector<std::tuple<int, std::string, const json*>> rows;
  for (const auto& [name, e] : engines.items()) {
    if (e["instructions"].get<uint64_t>() == 0)
      continue;
    const auto engine = isa::engine_from_name(e["engine"].get<std::string>());
    rows.emplace_back(engine ? int(*engine) : isa::kNumEngineKinds, name, &e);
  }
  std::sort(rows.begin(), rows.end());
  std::vector<std::pair<std::string, const json*>> out;
  for (auto& [engine, name, e] : rows)
    out.emplace_back(std::move(name), e);
  return out;
}

// One line per core: each engine's busy share.
void engine_lines(std::ostringstream& o, const json& t) {
  for (const auto& core : t["cores"]) {
    o << "  core " << core["core"].get<size_t>() << " busy   ";
    int n = 0;
    for (const auto& [name, stream] : streams_in_row_order(core["engines"])) {
      const json& e = *stream;
      o << (n++ % 5 == 0 && n > 1 ? "\n               " : "") << std::left << std::setw(11) << name
        << std::right << std::setw(5) << std::setprecision(1) << e["busy_percent"].get<double>() << "%  ";
    }
    o << "\n";
  }
}

// Several ranks: each stream's busy share as min / median / max over every rank's cores.
void engine_spread_lines(std::ostringstream& o, const json& t, size_t ranks, size_t cores) {
  std::vector<std::pair<std::string, std::vector<double>>> busy;  // in row order
  for (const auto& core : t["cores"]) {
    for (const auto& [name, e] : streams_in_row_order(core["engines"])) {
      auto row = std::find_if(busy.begin(), busy.end(), [&](const auto& b) { return b.first == name; });
      if (row == busy.end())
        row = busy.insert(busy.end(), {name, {}});
      row->second.push_back((*e)["busy_percent"].get<double>());
    }
  }
  o << "  busy         min / median / max % over " << ranks << " ranks x " << cores << " core"
    << (cores > 1 ? "s" : "") << "\n";
  int n = 0;
  for (auto& [name, v] : busy) {
    std::sort(v.begin(), v.end());
    o << (n++ % 3 == 0 ? (n > 1 ? "\n" : "") + std::string("               ") : "  ") << std::left
      << std::setw(11) << name << std::right << std::setprecision(1) << std::setw(5) << v.front() << " /"
      << std::setw(5) << v[v.size() / 2] << " /" << std::setw(5) << v.back();
  }
  o << "\n";
}

void collective_lines(std::ostringstream& o, const json& c) {
  for (const auto& [kind, k] : c["by_kind"].items()) {
    std::string algorithms;
    for (const auto& [a, n] : k["algorithms"].items())
      algorithms += (algorithms.empty() ? "" : ", ") + a +
                    (n.get<uint64_t>() > 1 ? " x" + std::to_string(n.get<uint64_t>()) : "");
    o << "  collective   " << kind << " x" << k["count"].get<uint64_t>() << " (" << algorithms
      << "): " << std::setprecision(3) << k["time_ns"].get<double>() / 1000.0 << " us, "
      << std::setprecision(1) << k["message_bytes"].get<double>() / 1048576.0 << " MiB per rank, busbw "
      << k["busbw_GBps"]["median"].get<double>() << " GB/s (median)";
    if (k.contains("exposed_ns_per_rank"))
      o << ", exposed " << std::setprecision(3) << k["exposed_ns_per_rank"]["median"].get<double>() / 1000.0
        << " us per rank (median)";
    o << "\n";
  }
  const json& links = c["links"];
  if (!links.empty()) {
    const json* busiest = &links[0];
    for (const auto& l : links) {
      if (l["utilization_percent"].get<double>() > (*busiest)["utilization_percent"].get<double>())
        busiest = &l;
    }
    o << "  links        " << links.size() << " carried data; busiest "
      << (*busiest)["link"].get<std::string>() << " at " << std::setprecision(1)
      << (*busiest)["utilization_percent"].get<double>() << " %\n";
  }
}

}  // namespace

std::string summary_text(const json& s) {
  std::ostringstream o;
  o << std::fixed;
  if (s.contains("expected_failure")) {
    // Nothing ran: the case expected the kernel to refuse its parameters, and it did.
    o << "trnsim: " << s["kernel"].get<std::string>() << " on "
      << s["hardware"].value("name", std::string("?"))
      << ": expected failure: " << s["expected_failure"].get<std::string>() << "\n";
    return o.str();
  }
  const size_t cores = s["cores"].get<size_t>();
  const bool multi = s.contains("ranks");
  o << "trnsim: " << s["kernel"].get<std::string>() << " on "
    << s["hardware"].value("name", std::string("?"));
  if (multi) {
    const json& l = s["launch"];
    o << ", " << s["ranks"].get<size_t>() << " ranks x " << cores << " core" << (cores > 1 ? "s" : "")
      << " on " << l["system"]["name"].get<std::string>() << " (" << l["chips_used"].get<size_t>() << " chip"
      << (l["chips_used"].get<size_t>() > 1 ? "s" : "") << ", " << l["placement"].get<std::string>() << ")";
  } else {
    o << " (" << cores << " core" << (cores > 1 ? "s" : "") << ")";
  }
  o << ", mode " << s["mode"].get<std::string>() << "\n";
  o << "  params       " << s["params"].dump() << "\n";
  o << "  program      " << s["instructions"].get<size_t>() << " instructions, hash "
    << s["program_hash"].get<std::string>() << "\n";
  if (s.contains("timing")) {
    const json& t = s["timing"];
    o << std::setprecision(3) << "  time         " << t["total_ns"].get<double>() / 1000.0
      << " us simulated\n";
    o << std::setprecision(1) << "  MFU          " << t["mfu_estimated_percent"].get<double>()
      << " %  (model " << t["model_flops"].get<double>() / 1e9 << " GFLOP; PE peak "
      << t["peak_flops_per_s"].get<double>() / 1e12 << " TFLOPS)\n";
    o << "  HBM          " << std::setprecision(1) << (t["hbm"]["read_bytes"].get<double>() / 1048576.0)
      << " MiB read, " << (t["hbm"]["write_bytes"].get<double>() / 1048576.0) << " MiB written, "
      << t["hbm"]["achieved_GBps"].get<double>() << " GB/s (MBU " << t["mbu_estimated_percent"].get<double>()
      << " % of " << t["hbm"]["peak_GBps"].get<double>() << " GB/s)\n";
    if (multi)
      engine_spread_lines(o, t, s["ranks"].get<size_t>(), cores);
    else
      engine_lines(o, t);
    if (t.contains("collectives"))
      collective_lines(o, t["collectives"]);
    if (t.contains("ring"))
      o << ring_report_text(t["ring"]);
    size_t loops = 0;
    for (const auto& l : t["loops"]) {
      if (multi && ++loops > 4)
        continue;  // the rest are in summary.json
      o << "  loop         " << (multi ? "rank " + std::to_string(l["rank"].get<uint32_t>()) + " " : "")
        << "core " << l["core"].get<uint32_t>() << " " << l["source"].get<std::string>() << ": "
        << l["trips"].get<uint64_t>() << " trips in " << l["entries"].get<uint64_t>() << " entries (at most "
        << l["max_trips"].get<int32_t>() << ")\n";
    }
    if (loops > 4)
      o << "  loop         ... " << loops - 4 << " more in summary.json\n";
  }
  const json& nm = s["numerics"];
  if (nm["checked"].get<bool>()) {
    o << "  numerics     " << (nm["passed"].get<bool>() ? "PASS" : "FAIL") << " (max-mode, rtol "
      << std::defaultfloat << nm["rtol"].get<double>() << ", atol " << nm["atol"].get<double>() << ")\n";
    if (multi) {
      // Each output's worst rank: the first failing one, else the largest error.
      std::map<std::string, std::pair<std::string, const json*>> worst;
      for (const auto& [key, r] : nm["outputs"].items()) {
        const std::string name = key.substr(key.find('/') + 1), rank = key.substr(0, key.find('/'));
        auto& w = worst[name];
        const auto rank_of = [](const json& x) {
          return std::make_pair(!x["passed"].get<bool>(), x["max_abs_err"].get<double>());
        };
        if (!w.second || rank_of(r) > rank_of(*w.second))
          w = {rank, &r};
      }
      for (const auto& [name, w] : worst)
        o << "    " << name << " (worst: " << w.first << "): " << (*w.second)["detail"].get<std::string>()
          << "\n";
    } else {
      for (const auto& [name, r] : nm["outputs"].items())
        o << "    " << name << ": " << r["detail"].get<std::string>() << "\n";
    }
  } else {
    o << "  numerics     not checked\n";
  }
  o << std::fixed << std::setprecision(2) << "  wall         " << s["wall_s"].get<double>() << " s ("
    << std::setprecision(0) << s["instructions_per_s"].get<double>() << " instructions/s, peak "
    << s["peak_rss_mb"].get<double>() << " MiB)\n";
  return o.str();
}

}  // namespace tn::cli
