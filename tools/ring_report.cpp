#include "tools/ring_report.hpp"

#include <algorithm>
#include <iomanip>
#include <map>
#include <sstream>
#include <vector>

#include "tools/run_summary.hpp"

namespace tn::cli {

using nlohmann::json;

namespace {

// The region a step's permutes are meant to hide behind.
std::string overlapped_region(int64_t step) {
  return step == 1 ? "step 0: attention_cte" : "step " + std::to_string(step - 1) + ": reduction";
}

}  // namespace

json ring_report(const json& collectives, const std::vector<sc::RegionTiming>& regions, int64_t num_workers) {
  struct Flight {
    double start = 1e300, end = 0, bytes = 0;  // the union of the step's permutes (they overlap)
    std::map<int32_t, double> exposed;         // by rank
  };
  // (rank, name) -> the region's span on the rank's cores (their union, LNC2's two cores overlap).
  std::map<std::pair<uint32_t, std::string>, std::pair<double, double>> spans;
  for (const sc::RegionTiming& r : regions) {
    auto [it, fresh] =
        spans.try_emplace({r.rank, r.name}, double(r.start_ps) / 1000, double(r.end_ps) / 1000);
    it->second.first = std::min(it->second.first, double(r.start_ps) / 1000);
    it->second.second = std::max(it->second.second, double(r.end_ps) / 1000);
  }
  // Per step, per ring (its first rank): the K and V permutes' flights and exposures.
  std::map<int64_t, std::map<int32_t, Flight>> steps;
  for (const json& c : collectives["instances"]) {
    if (c["kind"] != "collective_permute_implicit")
      continue;
    const int64_t step = c["sequence"].get<int64_t>() + 1;
    const auto row = c["row"].get<std::vector<int32_t>>();
    Flight& f = steps[step][row.front()];
    f.start = std::min(f.start, c["start_ns"].get<double>());
    f.end = std::max(f.end, c["end_ns"].get<double>());
    f.bytes += c["message_bytes"].get<double>();
    const auto exposed = c["exposed_ns"].get<std::vector<double>>();
    for (size_t i = 0; i < row.size() && i < exposed.size(); ++i)
      f.exposed[row[i]] += exposed[i];
  }
  json out_steps = json::array();
  std::vector<double> all_exposed, all_flight, all_busbw;
  for (const auto& [step, rings] : steps) {
    std::vector<double> flight, exposed, busbw, overlap;
    const std::string region = overlapped_region(step);
    for (const auto& [first, f] : rings) {
      flight.push_back(f.end - f.start);
      for (const auto& [rank, e] : f.exposed) {
        if (const auto sp = spans.find({uint32_t(rank), region}); sp != spans.end())
          overlap.push_back(
              std::max(0.0, std::min(f.end, sp->second.second) - std::max(f.start, sp->second.first)));
      }
      busbw.push_back(f.end > f.start ? f.bytes / (f.end - f.start) : 0.0);  // bytes/ns = GB/s
      for (const auto& [rank, e] : f.exposed)
        exposed.push_back(e);
    }
    const json e = spread(exposed), t = spread(flight);
    const double median_flight = t["median"].get<double>();
    out_steps.push_back(
        {{"step", step},
         {"permute_ns", t},
         {"exposed_ns", e},
         {"hidden_percent",
          median_flight > 0 ? 100.0 * (1.0 - e["median"].get<double>() / median_flight) : 100.0},
         {"busbw_GBps", spread(busbw)},
         {"overlapped_region", region},
         {"overlap_ns", spread(overlap)}});
    all_exposed.insert(all_exposed.end(), exposed.begin(), exposed.end());
    all_flight.insert(all_flight.end(), flight.begin(), flight.end());
    all_busbw.insert(all_busbw.end(), busbw.begin(), busbw.end());
  }
  // Per rank over the run: the sum of its steps' exposures.
  std::map<int32_t, double> rank_total;
  for (const auto& [step, rings] : steps)
    for (const auto& [first, f] : rings)
      for (const auto& [rank, e] : f.exposed)
        rank_total[rank] += e;
  std::vector<double> totals;
  for (const auto& [rank, e] : rank_total)
    totals.push_back(e);
  double flight_sum = 0;
  for (double f : all_flight)
    flight_sum += f;
  const double rings = steps.empty() ? 1.0 : double(steps.begin()->second.size());
  return {{"num_workers", num_workers},
          {"steps", out_steps},
          {"exposed_ns_per_rank", spread(totals)},
          {"permute_ns_per_ring", flight_sum / rings},
          {"step_exposed_ns", spread(all_exposed)},
          {"step_busbw_GBps", spread(all_busbw)}};
}

std::string ring_report_text(const json& ring) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(3);
  const json& steps = ring["steps"];
  if (steps.empty())
    return "";
  const double exposed = ring["exposed_ns_per_rank"]["median"].get<double>();
  const double flight = ring["permute_ns_per_ring"].get<double>();
  o << "  ring         " << steps.size() << " steps' K+V permutes: " << flight / 1000.0 << " us in flight, "
    << exposed / 1000.0 << " us exposed per rank (median; " << std::setprecision(1)
    << (flight > 0 ? 100.0 * (1.0 - exposed / flight) : 100.0) << " % hidden), busbw "
    << ring["step_busbw_GBps"]["median"].get<double>() << " GB/s (median step)\n";
  size_t shown = 0;
  for (const json& s : steps) {
    if (++shown > 8) {
      o << "               ... " << steps.size() - 8 << " more steps in summary.json\n";
      break;
    }
    o << "               step " << s["step"].get<int64_t>() << ": permute " << std::setprecision(3)
      << s["permute_ns"]["median"].get<double>() / 1000.0 << " us, exposed "
      << s["exposed_ns"]["min"].get<double>() / 1000.0 << " / "
      << s["exposed_ns"]["median"].get<double>() / 1000.0 << " / "
      << s["exposed_ns"]["max"].get<double>() / 1000.0 << " us (min / median / max over ranks), "
      << s["overlap_ns"]["median"].get<double>() / 1000.0 << " us during "
      << s["overlapped_region"].get<std::string>() << "\n";
  }
  return o.str();
}

}  // namespace tn::cli
