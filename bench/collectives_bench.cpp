// Collectives as the model times them (never a timed test): the `collective` kernel's all_gather and
// all_to_all over 8 ranks, one per chip of trn2.48xlarge (their neighbour links in play) and packed on one
// chip (HBM and DMA only), from 4 KiB to 256 MiB of output per rank, in timing-only mode; then the 8-rank
// kv_parallel_segmented_prefill example (configs/runs) with numerics. Prints each collective's simulated
// time, the algorithm Neuron's thresholds chose, and NCCL's algorithm and bus bandwidths.
//   collectives_bench [MAX_BYTES]   (default 268435456)
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "bench/bench_runner.hpp"

using nlohmann::json;

int main(int argc, char** argv) {
  const int64_t max_bytes = argc > 1 ? std::stoll(argv[1]) : int64_t{256} << 20;
  const auto dir = tn::bench::scratch("trnsim_collectives_bench");
  std::printf("%-10s %-12s %12s %-10s %12s %12s %12s\n", "kind", "placement", "bytes/rank", "algorithm",
              "time_us", "algbw_GBps", "busbw_GBps");
  for (const char* kind : {"all_gather", "all_to_all"}) {
    for (const char* placement : {"one_per_chip", "packed"}) {
      for (int64_t out = 4096; out <= max_bytes; out *= 16) {
        // The `bytes` parameter is each rank's source: an all_gather's output is 8 of them.
        const int64_t src = std::string(kind) == "all_gather" ? out / 8 : out;
        const std::string name = std::string(kind) + "_" + placement + "_" + std::to_string(out);
        const json s = tn::bench::run_trnsim(dir, name,
                                             {{"kernel", "collective"},
                                              {"params", {{"kind", kind}, {"bytes", src}, {"ranks", 8}}},
                                              {"launch", {{"placement", placement}}},
                                              {"mode", "timing_only"},
                                              {"trace", {{"perfetto", false}}}});
        const json& k = s["timing"]["collectives"]["by_kind"][kind];
        std::printf("%-10s %-12s %12lld %-10s %12.3f %12.1f %12.1f\n", kind, placement,
                    static_cast<long long>(out), k["algorithms"].begin().key().c_str(),
                    k["time_ns"].get<double>() / 1000.0, k["algbw_GBps"]["median"].get<double>(),
                    k["busbw_GBps"]["median"].get<double>());
        std::fflush(stdout);
      }
    }
  }
  std::ifstream in(std::string(TRNSIM_SOURCE_DIR) +
                   "/configs/runs/kv_parallel_segmented_prefill_8ranks.json");
  const json s = tn::bench::run_trnsim(dir, "kvp_8ranks", json::parse(in));
  std::printf("\nkv_parallel_segmented_prefill 8 ranks: %.1f us simulated, %.2f s wall, %.0f MiB peak, %s\n",
              s["total_ns"].get<double>() / 1000.0, s["wall_s"].get<double>(), s["peak_rss_mb"].get<double>(),
              s["numerics"]["passed"].get<bool>() ? "numerics PASS" : "numerics FAIL");
  for (const auto& [kind, k] : s["timing"]["collectives"]["by_kind"].items()) {
    std::printf("  %-10s %-10s %10.3f us %8.1f GB/s busbw\n", kind.c_str(),
                k["algorithms"].begin().key().c_str(), k["time_ns"].get<double>() / 1000.0,
                k["busbw_GBps"]["median"].get<double>());
  }
  return 0;
}
