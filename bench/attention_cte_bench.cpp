// The simulator's own speed (never a timed test): runs `trnsim run` on attention_cte causal bf16, bs=1,
// d=128 at seqlen 2K, 8K and 32K, in timing-only mode (simulated instructions per second) and in timing
// mode with numerics (wall time), plus the matmul calibration case, and prints one table. Each run is a
// separate process, so the peak memory figure is that run's alone.
//   attention_cte_bench [SEQLEN...]             the causal bf16 sweep (default 2048 8192 32768) and matmul
//   attention_cte_bench --cases CASES.json [--all]  attention_cte_cases.json rows too large for numerics in
//   CI
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "bench/bench_runner.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json run(const fs::path& dir, const std::string& name, const json& config) {
  return tn::bench::run_trnsim(dir, name, config);
}

// One table row of a run's summary, `width` characters for the case name.
void print_row(int width, const std::string& name, const json& s) {
  std::printf("%-*s %12lld %14.1f %10.1f %10.2f %12.0f %9.0f\n", width, name.c_str(),
              static_cast<long long>(s["instructions"].get<int64_t>()), s["total_ns"].get<double>() / 1000.0,
              s["timing"]["mfu_estimated_percent"].get<double>(), s["wall_s"].get<double>(),
              s["instructions_per_s"].get<double>(), s["peak_rss_mb"].get<double>());
  std::fflush(stdout);
}

void print_header(int width, const char* first) {
  std::printf("%-*s %12s %14s %10s %10s %12s %9s\n", width, first, "instructions", "simulated_us", "MFU_%",
              "wall_s", "instr_per_s", "peak_MiB");
}

json attention(int64_t seqlen, const std::string& mode) {
  return tn::bench::attention_causal_config(seqlen, mode);
}

}  // namespace

// Rows of attention_cte_cases.json too large for numerics in CI (bs * Sq * (Skv + prior) > 2^24), at their
// original shapes in timing-only mode: the first of each test family, or all of them with --all.
int run_cases(const fs::path& dir, const std::string& cases_path, bool all) {
  std::ifstream in(cases_path);
  if (!in) {
    std::cerr << "bench: cannot open " << cases_path << "\n";
    return 1;
  }
  const json cases = json::parse(in);
  print_header(44, "case (original shape, timing only)");
  std::set<std::string> families;
  for (const json& c : cases) {
    const auto num = [&](const char* k) {
      return c.contains(k) && c[k].is_number() ? c[k].get<double>() : 0.0;
    };
    const double work = num("bs") * num("seqlen_q") * (num("seqlen_kv") + num("prior_len"));
    if (c.value("expect_failure", false) || work <= double(1 << 24))
      continue;
    const std::string family = c["test"].get<std::string>();
    if (!all && !families.insert(family).second)
      continue;
    const std::string name = family + "_" + std::to_string(c["idx"].get<int>());
    const json s = run(dir, name, {{"kernel", "attention_cte"}, {"params", c}, {"mode", "timing_only"}});
    print_row(44, name, s);
  }
  return 0;
}

int main(int argc, char** argv) {
  std::vector<int64_t> seqlens = {2048, 8192, 32768};
  const fs::path dir = fs::temp_directory_path() / "trnsim_bench";
  if (argc > 2 && std::string(argv[1]) == "--cases") {
    fs::remove_all(dir);
    fs::create_directories(dir);
    return run_cases(dir, argv[2], argc > 3 && std::string(argv[3]) == "--all");
  }
  if (argc > 1) {
    seqlens.clear();
    for (int i = 1; i < argc; ++i)
      seqlens.push_back(std::stoll(argv[i]));
  }
  fs::remove_all(dir);
  fs::create_directories(dir);
  print_header(34, "case");
  const auto row = [](const std::string& name, const json& s) { print_row(34, name, s); };

  for (int64_t s : seqlens) {
    const std::string n = std::to_string(s / 1024) + "K";
    row("attention_cte causal " + n + " timing_only", run(dir, "t" + n, attention(s, "timing_only")));
  }
  for (int64_t s : seqlens) {
    const std::string n = std::to_string(s / 1024) + "K";
    row("attention_cte causal " + n + " with numerics", run(dir, "n" + n, attention(s, "timing")));
  }
  row("matmul 1024x1024x4096 bf16", run(dir, "matmul",
                                        {{"kernel", "matmul"},
                                         {"params", {{"m", 1024}, {"k", 1024}, {"n", 4096}}},
                                         {"mode", "timing"},
                                         {"check_numerics", false}}));
  return 0;
}
