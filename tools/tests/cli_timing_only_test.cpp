// Runtime control flow in timing_only (issue 11): the segmented kernels' trip counts, gather indices and
// register offsets come from data, so a timing-only run evaluates its value slice (sim/func/value_slice.hpp)
// and times everything else without data. Over every segmented config CI checks, its timing summary
// (total_ns, per-engine busy time, loop trips, opcode counts, bandwidths) and its trace equal a timed run
// with numerics byte for byte.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "kernels/reference/npy.hpp"
#include "tools/tests/cli_harness.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace tn::cli::test {
namespace {

std::vector<fs::path> configs_in(const fs::path& folder, const std::string& name_part = "") {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(folder)) {
    if (e.path().extension() == ".json" && e.path().filename().string().find(name_part) != std::string::npos)
      out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Runs `config` in `mode` into scratch folder `name`; returns its summary.
json run_mode(const fs::path& config, const std::string& mode, const std::string& name) {
  const fs::path dir = scratch_dir(name);
  const CommandResult r = trnsim("run " + config.string() + " --out " + dir.string() + " --mode " + mode);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return json::parse(read_text(dir / "summary.json"));
}

void check_timing_only_equals_timed(const std::vector<fs::path>& configs, const std::string& tag) {
  REQUIRE(!configs.empty());
  for (const fs::path& c : configs) {
    CAPTURE(c.string());
    const json timed = run_mode(c, "timing", tag + "_timed");
    const json quick = run_mode(c, "timing_only", tag + "_quick");
    CHECK(quick["timing"] == timed["timing"]);
    CHECK(quick["total_ns"] == timed["total_ns"]);
    CHECK(read_text(scratch_path(tag + "_quick") / "trace.pftrace") ==
          read_text(scratch_path(tag + "_timed") / "trace.pftrace"));
    // Only the slice is evaluated: its reg_loads and what feeds them and the gathers' indices, a small
    // part of the program; and no data leaves the run.
    const int64_t slice = quick["value_slice_instructions"].get<int64_t>();
    CHECK(slice > 0);
    CHECK(slice * 10 < quick["instructions"].get<int64_t>());
    CHECK(!fs::exists(scratch_path(tag + "_quick") / "inputs"));
  }
}

const fs::path kConfigs = fs::path(TRNSIM_SOURCE_DIR) / "configs";

}  // namespace

TEST_CASE("timing_only equals a timed run with numerics: configs/ci/attention_segmented_cte") {
  check_timing_only_equals_timed(configs_in(kConfigs / "ci" / "attention_segmented_cte"), "seg_ci");
}

TEST_CASE("timing_only equals a timed run with numerics: configs/ci/kv_parallel_segmented_prefill") {
  check_timing_only_equals_timed(configs_in(kConfigs / "ci" / "kv_parallel_segmented_prefill"), "kvp_ci");
}

TEST_CASE("timing_only equals a timed run with numerics: the segmented configs in configs/runs") {
  std::vector<fs::path> runs = configs_in(kConfigs / "runs", "attention_segmented_cte");
  for (const fs::path& p : configs_in(kConfigs / "runs", "kv_parallel"))
    runs.push_back(p);
  check_timing_only_equals_timed(runs, "seg_runs");
}

TEST_CASE("timing_only stops at a bad runtime value with the message of a run with numerics") {
  // configs/runs/attention_segmented_cte_p640 reads 9 table entries (P 640 + Sq 512 keys, blocks of 128)
  // from a 40-column table: a prior_tokens that is not a multiple of the block size fails the kernel's
  // reg_check guard; a table entry past the cache fails its gather.
  const json base = json::parse(read_text(kConfigs / "runs" / "attention_segmented_cte_p640.json"));
  const fs::path dir = scratch_dir("seg_bad_values");
  std::vector<double> table(40, -1.0);
  for (int b = 0; b < 9; ++b)
    table[size_t(b)] = b;
  table[2] = 1e6;
  ref::write_npy(dir / "p.npy", ref::HostTensor{{1, 1}, {100.0}}, DType::kInt32);
  ref::write_npy(dir / "t.npy", ref::HostTensor{{1, 40}, table}, DType::kInt32);
  for (const auto& [input, file, message] :
       {std::tuple{"prior_tokens", "p.npy", "reg_check (kernels/attention_segmented_cte.cpp:"},
        // An entry outside the cache is refused on the input, before either mode runs (tools/run_inputs).
        std::tuple{"block_tables", "t.npy",
                   "block_tables[0, 2] = 1000000: an entry is a block of the cache, 0..39, or -1"}}) {
    CAPTURE(input);
    json c = base;
    c["inputs"]["files"] = {{input, (dir / file).string()}};
    write_text(dir / "c.json", c.dump());
    std::string errors[2];
    for (int m = 0; m < 2; ++m) {
      const CommandResult r = trnsim("run " + (dir / "c.json").string() + " --out " + (dir / "out").string() +
                                     " --mode " + (m == 0 ? "timing" : "timing_only"));
      CHECK(r.exit_code == 1);
      errors[m] = r.err;
    }
    INFO(errors[0]);
    CHECK(errors[0].find(message) != std::string::npos);
    CHECK(errors[1] == errors[0]);
  }
}

}  // namespace tn::cli::test
