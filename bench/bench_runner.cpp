#include "bench/bench_runner.hpp"

#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

namespace tn::bench {

namespace fs = std::filesystem;
using nlohmann::json;

TrnsimRun try_run_trnsim(const fs::path& dir, const std::string& name, const json& config) {
  const fs::path cfg = dir / (name + ".json");
  std::ofstream(cfg) << config.dump(2);
  const fs::path out = dir / name;
  const fs::path err = dir / (name + ".stderr");
  const std::string cmd = std::string(TRNSIM_EXE) + " run " + cfg.string() + " --out " + out.string() +
                          " >/dev/null 2>" + err.string();
  fs::remove_all(
      out);  // outside the timed window: a run into an earlier run's folder first removes its files
  const auto start = std::chrono::steady_clock::now();
  const int status = std::system(cmd.c_str());
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  TrnsimRun run;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::ostringstream text;
    text << std::ifstream(err).rdbuf();
    run.error = text.str();
    return run;
  }
  std::ifstream in(out / "summary.json");
  run.ok = true;
  run.summary = json::parse(in);
  run.summary["process_wall_s"] = wall;
  return run;
}

json run_trnsim(const fs::path& dir, const std::string& name, const json& config) {
  TrnsimRun run = try_run_trnsim(dir, name, config);
  if (!run.ok) {
    std::cerr << "bench: trnsim run " << (dir / (name + ".json")).string() << " failed:\n" << run.error;
    std::exit(1);
  }
  return run.summary;
}

json run_json_program(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  std::string text;
  if (pipe) {
    char buffer[4096];
    size_t got;
    while ((got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0)
      text.append(buffer, got);
  }
  if (!pipe || pclose(pipe) != 0) {
    std::cerr << "bench: " << command << " failed\n";
    std::exit(1);
  }
  return json::parse(text);
}

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

json ring_headline_config(int ranks) {
  return {{"kernel", "ring_attention_spmd_fwd"},
          {"params",
           {{"b", 1},
            {"h", 1},
            {"seqlen", 16384},
            {"d", 128},
            {"num_workers", ranks},
            {"use_causal_mask", true},
            {"training", true}}},
          {"launch", {{"system", "trn2u-ultraserver"}, {"placement", "one_per_chip"}}},
          {"mode", "timing_only"},
          {"trace", {{"perfetto", false}}}};
}

json attention_causal_config(int64_t seqlen, const std::string& mode) {
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

}  // namespace tn::bench
