// The simulator's own speed (never a timed test): runs `trnsim run` on attention_cte causal bf16, bs=1,
// d=128 at seqlen 2K, 8K and 32K, in timing-only mode (simulated instructions per second) and in timing
// mode with numerics (wall time), plus the matmul calibration case, and prints one table. Each run is a
// separate process, so the peak memory figure is that run's alone.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json run(const fs::path& dir, const std::string& name, const json& config) {
  const fs::path cfg = dir / (name + ".json");
  std::ofstream(cfg) << config.dump(2);
  const fs::path out = dir / name;
  const std::string cmd =
      std::string(TRNSIM_EXE) + " run " + cfg.string() + " --out " + out.string() + " >/dev/null";
  const int status = std::system(cmd.c_str());
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::cerr << "bench: " << cmd << " failed\n";
    std::exit(1);
  }
  std::ifstream in(out / "summary.json");
  return json::parse(in);
}

json attention(int64_t seqlen, const std::string& mode) {
  return {{"kernel", "attention_cte"},
          {"params",
           {{"bs", 1},
            {"seqlen_q", seqlen},
            {"seqlen_kv", seqlen},
            {"d", 128},
            {"dtype", "bfloat16"},
            {"scale", 0.08838834764831845},
            {"causal", true}}},
          {"mode", mode},
          {"check_numerics", false}};
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int64_t> seqlens = {2048, 8192, 32768};
  if (argc > 1) {
    seqlens.clear();
    for (int i = 1; i < argc; ++i)
      seqlens.push_back(std::stoll(argv[i]));
  }
  const fs::path dir = fs::temp_directory_path() / "trnsim_bench";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::printf("%-34s %12s %14s %10s %10s %12s %9s\n", "case", "instructions", "simulated_us", "MFU_%",
              "wall_s", "instr_per_s", "peak_MiB");
  auto row = [](const std::string& name, const json& s) {
    std::printf("%-34s %12lld %14.1f %10.1f %10.2f %12.0f %9.0f\n", name.c_str(),
                static_cast<long long>(s["instructions"].get<int64_t>()),
                s["total_ns"].get<double>() / 1000.0, s["timing"]["mfu_percent"].get<double>(),
                s["wall_s"].get<double>(), s["instructions_per_s"].get<double>(),
                s["peak_rss_mb"].get<double>());
    std::fflush(stdout);
  };
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
