// Every hardware constant at the lower and at the upper end of its range (one at a time, with only the
// constants a relation ties to it moved along) gives a timed attention_cte run with a finite, positive
// total time and MFU. The constants and their ranges come from THE table (TN_HW_CONSTANTS), so a constant
// added there is tested here. Runs go through the library (run_one), each in a forked child: SystemC runs
// once per process.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "sim/timing/hw_config.hpp"
#include "tools/child_pool.hpp"
#include "tools/run_pipeline.hpp"

using nlohmann::json;

namespace {

namespace hw_range = tn::timing::hw_range;  // the table's ranges, as TN_HW_CONSTANTS names them

struct Constant {
  std::string group, key;
  tn::timing::Range range;
};

const std::vector<Constant>& constants() {
#define TN_HW_BOUNDS_ROW(group, key, type, unit, range) Constant{#group, #key, range},
  static const std::vector<Constant> rows = {TN_HW_CONSTANTS(TN_HW_BOUNDS_ROW)};
#undef TN_HW_BOUNDS_ROW
  return rows;
}

// What else must change for a constant at an end of its range to satisfy the relations with trn2's other
// constants (hw_config.cpp check_relations), keyed "group.key=value".
const std::map<std::string, json>& companions() {
  static const std::map<std::string, json> m = {
      {"chip.neuron_cores=1", {{"hbm", {{"stacks", 1}, {"cores_per_stack", 1}}}}},
      {"hbm.stacks=1", {{"hbm", {{"cores_per_stack", 8}}}}},
      {"hbm.stacks=8", {{"hbm", {{"cores_per_stack", 1}}}}},
      {"hbm.cores_per_stack=1", {{"hbm", {{"stacks", 8}}}}},
      {"hbm.cores_per_stack=8", {{"hbm", {{"stacks", 1}}}}},
      {"dve.perf_mode_4x_factor=1", {{"dve", {{"perf_mode_2x_factor", 1}}}}},
      // The commit latency may not outlast MIN_II + static overhead (64 + 100 on trn2).
      {"act.static_overhead_cycles=0", {{"act", {{"dependency_latency_cycles", 64}}}}},
      {"act.dependency_latency_cycles=65536", {{"act", {{"static_overhead_cycles", 65536}}}}},
      {"dve.static_overhead_cycles=0", {{"dve", {{"dependency_latency_cycles", 64}}}}},
      {"dve.dependency_latency_cycles=65536", {{"dve", {{"static_overhead_cycles", 65536}}}}},
  };
  return m;
}

// A range end as JSON: whole numbers as integers (integer constants accept nothing else).
json as_json(double x) { return x == std::trunc(x) ? json(int64_t(x)) : json(x); }

// Runs `config` with run_one in a child and returns its summary's total_ns and MFU (or the error).
json run_in_child(const std::filesystem::path& config) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    json report;
    try {
      const tn::cli::RunOutcome o = tn::cli::run_one({config.string(), "", "", false, false});
      const json& t = o.summary.at("timing");
      report = {{"total_ns", t.at("total_ns")}, {"mfu", t.at("mfu_estimated_percent")}};
    } catch (const std::exception& e) {
      report = {{"error", e.what()}};
    }
    tn::cli::write_all(fds[1], report.dump());
    _exit(0);
  }
  close(fds[1]);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;)
    text.append(buf, size_t(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || text.empty())
    return {{"error", "the child crashed (status " + std::to_string(status) + ")"}};
  return json::parse(text);
}

}  // namespace

TEST_CASE("hw bounds: every constant at either end of its range gives a finite timed attention_cte run") {
  const auto dir = std::filesystem::temp_directory_path() / "tn_hw_bounds_run_test";
  std::filesystem::create_directories(dir);
  int runs = 0;
  for (const Constant& c : constants()) {
    for (const double end : {c.range.min, c.range.max}) {
      const std::string name = c.group + "." + c.key + "=" + as_json(end).dump();
      CAPTURE(name);
      json overrides = {{c.group, {{c.key, as_json(end)}}}};
      if (auto it = companions().find(name); it != companions().end()) {
        // Alone, the value breaks a relation, refused naming the constants the companion moves.
        std::string refusal = "no error";
        try {
          tn::timing::load_hw_config("trn2", overrides);
        } catch (const tn::timing::HwConfigError& e) {
          refusal = e.what();
        }
        for (const auto& [g, keys] : it->second.items()) {
          for (const auto& [k, _] : keys.items())
            CHECK(refusal.find("$." + g + "." + k) != std::string::npos);
        }
        overrides.merge_patch(it->second);
      }
      const json config = {
          {"kernel", "attention_cte"},
          {"params", {{"seqlen_q", 128}, {"seqlen_kv", 128}, {"d", 64}}},
          {"hardware", {{"preset", "trn2"}, {"overrides", overrides}}},
          {"mode", "timing"},
          {"check_numerics", false},
          {"trace", {{"perfetto", false}}},
      };
      const auto file = dir / "config.json";
      std::ofstream(file) << config.dump(2);
      const json r = run_in_child(file);
      CAPTURE(r.dump());
      REQUIRE_FALSE(r.contains("error"));
      const double total_ns = r.at("total_ns").get<double>(), mfu = r.at("mfu").get<double>();
      CHECK(std::isfinite(total_ns));
      CHECK(total_ns > 0);
      CHECK(std::isfinite(mfu));
      CHECK(mfu > 0);
      CHECK(mfu <= 100);
      ++runs;
    }
  }
  CHECK(runs == 2 * int(constants().size()));
}
