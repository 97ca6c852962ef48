// configs/schemas/: every shipped run config matches run_config.schema.json, and the summaries of every kind
// of run match summary.schema.json (validated with Debian's python3-jsonschema); both schemas reject what
// they should.
#include <doctest/doctest.h>

#include <cstdlib>
#include <vector>

#include "tools/tests/cli_harness.hpp"

namespace tn::cli::test {
namespace {

namespace fs = std::filesystem;

const std::string kSchemas = TRNSIM_SOURCE_DIR "/configs/schemas/";

// Runs the validator on `files`; returns its exit code, with its report in `report`.
int validate(const std::string& schema, const std::vector<fs::path>& files, std::string& report) {
  const fs::path out = scratch_path("schema_report.txt");
  std::string cmd = std::string(TRNSIM_DEBIAN_PYTHON) +
                    " " TRNSIM_SOURCE_DIR "/tools/tests/validate_json_schema.py " + kSchemas + schema;
  for (const fs::path& f : files)
    cmd += " '" + f.string() + "'";
  const int status = std::system((cmd + " >" + out.string() + " 2>&1").c_str());
  report = read_text(out);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_CASE("schemas: every shipped run config matches run_config.schema.json") {
  std::vector<fs::path> configs;
  for (const char* folder : {"configs/runs", "configs/ci"}) {
    for (const auto& e : fs::recursive_directory_iterator(fs::path(TRNSIM_SOURCE_DIR) / folder)) {
      if (e.path().extension() == ".json")
        configs.push_back(e.path());
    }
  }
  REQUIRE(configs.size() > 300);
  std::string report;
  CHECK(validate("run_config.schema.json", configs, report) == 0);
  CHECK(report == "");
}

TEST_CASE("schemas: the summaries of every kind of run match summary.schema.json") {
  const fs::path dir = scratch_dir("schema_summaries");
  const std::string ci = TRNSIM_SOURCE_DIR "/configs/ci/";
  const std::string small =
      R"("kernel": "attention_cte", "params": {"seqlen_q": 128, "seqlen_kv": 256, "d": 64})";
  struct Run {
    std::string name, config, mode;
  };
  const std::vector<Run> runs = {
      {"functional", "{" + small + R"(, "mode": "functional"})", ""},
      {"both_traced", "{" + small + R"(, "mode": "both", "trace": {"json": true, "flows": true}})", ""},
      {"timing_only", "{" + small + R"(, "mode": "timing_only"})", ""},
      {"unchecked", "{" + small + R"(, "mode": "timing", "check_numerics": false})", ""},
      {"segmented", "", ci + "attention_segmented_cte/llama_bs16_1to1_p256.json"},
      {"segmented_timing_only", "", ci + "attention_segmented_cte/llama_bs16_8to1_p768.json"},
      {"kv_parallel", "", ci + "kv_parallel_segmented_prefill/s512_d64_bs16_seg256_L256_off0_lnc1.json"},
      {"ring", "", ci + "ring_attention_spmd_fwd/b1_h1_s256_d16_cp4_lnc1_striped.json"},
  };
  std::vector<fs::path> summaries;
  for (const Run& r : runs) {
    CAPTURE(r.name);
    fs::path config = r.mode;
    if (!r.config.empty()) {
      config = dir / (r.name + ".json");
      write_text(config, r.config);
    }
    const std::string mode = r.name == "segmented_timing_only" ? " --mode timing_only" : "";
    const CommandResult res = trnsim("run " + config.string() + " --out " + (dir / r.name).string() + mode);
    INFO(res.err);
    REQUIRE(res.exit_code == 0);
    summaries.push_back(dir / r.name / "summary.json");
  }
  std::string report;
  CHECK(validate("summary.schema.json", summaries, report) == 0);
  CHECK(report == "");
}

TEST_CASE("schemas: a config with an unknown key and a summary of another layout are rejected, by path") {
  const fs::path dir = scratch_dir("schema_rejects");
  write_text(
      dir / "config.json",
      R"({"kernel": "attention_cte", "params": {}, "trace": {"perfetto": true, "colour": "red"}, "mode": "fast"})");
  std::string report;
  CHECK(validate("run_config.schema.json", {dir / "config.json"}, report) == 1);
  CHECK(report.find("$.trace: Additional properties are not allowed ('colour' was unexpected)") !=
        std::string::npos);
  CHECK(report.find("$.mode: 'fast' is not one of") != std::string::npos);

  write_text(
      dir / "summary.json",
      R"json({"schema_version": 1, "trnsim_version": "0.1.0 (abc)", "config": "c.json", "description": "",
                 "kernel": "attention_cte", "params": {}, "hardware": {"name": "trn2"}, "mode": "timing",
                 "mfu_percent": 3
})json");
  CHECK(validate("summary.schema.json", {dir / "summary.json"}, report) == 1);
  CHECK(report.find("$.schema_version: 3 was expected") != std::string::npos);
  CHECK(report.find("'mfu_percent' was unexpected") != std::string::npos);
  CHECK(report.find("'program_hash' is a required property") != std::string::npos);
}

}  // namespace
}  // namespace tn::cli::test
