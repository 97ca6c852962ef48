// ring_attention_spmd_fwd at the API's headline scale (never a timed test): 16K tokens per rank, causal
// contiguous bf16, b 1, h 1, d 128, training, one rank per chip of a trn2u-ultraserver, timing-only without
// a trace. 64 ranks is the API's 1M tokens. Prints, per ring size, the program, the simulated time, how much
// of the K/V permutes compute hid, and what the run cost this machine (wall time and peak memory of the
// whole trnsim process, program build included).
//   ring_scale_bench [RANKS ...]   (default 8 16 64)
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/bench_runner.hpp"

using nlohmann::json;

int main(int argc, char** argv) {
  std::vector<int> ring_sizes;
  for (int i = 1; i < argc; ++i)
    ring_sizes.push_back(std::stoi(argv[i]));
  if (ring_sizes.empty())
    ring_sizes = {8, 16, 64};
  const auto dir = tn::bench::scratch("trnsim_ring_scale_bench");
  std::printf("%5s %9s %12s %13s %6s %13s %7s %11s %8s %10s %9s\n", "ranks", "tokens", "instructions",
              "simulated_ms", "MFU_%", "exposed_us/rk", "hidden%", "busbw_GBps", "wall_s", "simulate_s",
              "peak_MiB");
  for (const int n : ring_sizes) {
    const json s =
        tn::bench::run_trnsim(dir, "ring_" + std::to_string(n), tn::bench::ring_headline_config(n));
    const json& ring = s["timing"]["ring"];
    const double exposed = ring["exposed_ns_per_rank"]["median"].get<double>();
    const double flight = ring["permute_ns_per_ring"].get<double>();
    std::printf("%5d %9lld %12lld %13.3f %6.1f %13.1f %7.1f %11.1f %8.2f %10.2f %9.0f\n", n,
                static_cast<long long>(n) * 16384, s["instructions"].get<long long>(),
                s["total_ns"].get<double>() / 1e6, s["timing"]["mfu_estimated_percent"].get<double>(),
                exposed / 1000.0, flight > 0 ? 100.0 * (1.0 - exposed / flight) : 100.0,
                ring["step_busbw_GBps"]["median"].get<double>(), s["wall_s"].get<double>(),
                s["simulate_wall_s"].get<double>(), s["peak_rss_mb"].get<double>());
    std::fflush(stdout);
  }
  return 0;
}
