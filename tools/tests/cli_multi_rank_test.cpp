// Multi-rank runs through the CLI with the `collective` kernel: the launch section, per-rank files, the
// summary's collectives section, the trace's rank processes and CC-core rows, and the launch errors.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "kernels/reference/npy.hpp"
#include "tools/tests/cli_harness.hpp"
#include "traces/perfetto_trace_reader.hpp"

namespace tn::cli::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json summary_of(const std::string& name) {
  return json::parse(read_text(scratch_path(name) / "out" / "summary.json"));
}

TEST_CASE("cli ranks: an all_gather over 4 ranks writes each rank's files and a collectives summary") {
  const CommandResult r = run_text("ranks_all_gather", R"({"kernel": "collective",
      "params": {"kind": "all_gather", "bytes": 65536, "ranks": 4}, "trace": {"ranks": [1, 2]}})");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("4 ranks x 1 core on trn2.48xlarge (1 chip, packed)") != std::string::npos);
  CHECK(r.out.find("collective   all_gather x1 (Mesh)") != std::string::npos);  // 256 KiB out: below 1 MiB
  const fs::path out = scratch_path("ranks_all_gather") / "out";
  for (int rank = 0; rank < 4; ++rank) {
    CAPTURE(rank);
    const std::string d = "rank" + std::to_string(rank);
    CHECK(ref::read_npy(out / "inputs" / d / "src.npy").shape == std::vector<int64_t>{16384});
    CHECK(ref::read_npy(out / "outputs" / d / "dst.npy").shape == std::vector<int64_t>{65536});
  }
  // Rank 2's result holds rank 1's source at 16384..32767.
  const auto src1 = ref::read_npy(out / "inputs/rank1/src.npy"),
             dst2 = ref::read_npy(out / "outputs/rank2/dst.npy");
  CHECK(dst2.data[16384 + 77] == src1.data[77]);
  const json s = summary_of("ranks_all_gather");
  CHECK(s["ranks"] == 4);
  CHECK(s["launch"]["system"]["name"] == "trn2.48xlarge");
  CHECK(s["launch"]["chip_of_rank"] == json::array({0, 0, 0, 0}));
  const json& ag = s["timing"]["collectives"]["by_kind"]["all_gather"];
  CHECK(ag["count"] == 1);
  CHECK(ag["message_bytes"] == 4 * 65536);
  CHECK(ag["algorithms"]["Mesh"] == 1);
  CHECK(s["timing"]["cores"].size() == 4);
  CHECK(s["timing"]["cores"][3]["rank"] == 3);
  CHECK(s["numerics"]["outputs"].contains("rank3/dst"));
  CHECK(s["functional_equals_timing"] == true);
  // Only ranks 1 and 2 are traced, each with its CC-core row.
  const trace::DecodedTrace decoded = trace::read_perfetto_trace_file(out / "trace.pftrace");
  for (const std::string& problem : trace::check_perfetto_trace(decoded))
    FAIL_CHECK(problem);
  const trace::TraceSummary t = trace::summarize_perfetto_trace(decoded);
  INFO(t.to_string());
  CHECK(t.find("rank 0 NC0 (chip 0)") == nullptr);
  REQUIRE(t.find("rank 1 NC0 (chip 0)") != nullptr);
  CHECK(t.find("rank 1 NC0 (chip 0)")->find("cc0") != nullptr);
  CHECK(t.find("rank 2 NC0 (chip 0)") != nullptr);
}

TEST_CASE("cli ranks: replica groups, a forced algorithm, LNC2 ranks and one rank per chip") {
  const CommandResult r = run_text("ranks_groups", R"({"kernel": "collective",
      "params": {"kind": "all_to_all", "bytes": 4096, "ranks": 4, "replica_groups": [[0, 2], [1, 3]], "lnc": 2},
      "launch": {"placement": "one_per_chip", "algorithm": "ring"}})");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const json s = summary_of("ranks_groups");
  CHECK(s["launch"]["chip_of_rank"] == json::array({0, 1, 2, 3}));
  CHECK(s["timing"]["collectives"]["by_kind"]["all_to_all"]["count"] == 2);  // one per row
  CHECK(s["timing"]["collectives"]["by_kind"]["all_to_all"]["algorithms"]["Ring"] == 2);
  CHECK(s["timing"]["cores"].size() == 8);
  CHECK(!s["timing"]["collectives"]["links"].empty());  // ranks 0 and 2 are two chips apart
  CHECK(s["numerics"]["passed"] == true);
}

TEST_CASE("cli ranks: launch errors name their JSON path") {
  const std::string base =
      R"({"kernel": "collective", "params": {"kind": "permute", "bytes": 4096, "ranks": 4})";
  expect_error("ranks_mismatch", base + R"(, "launch": {"ranks": 8}})",
               "$.launch.ranks: 8, but collective's params make 4 ranks");
  expect_error("ranks_wrong_chip", base + R"(, "launch": {"system": "trn1.32xlarge"}})",
               "$.launch.system: trn1.32xlarge has trn1 chips, but $.hardware is trn2");
  expect_error("ranks_unknown_system", base + R"(, "launch": {"system": "trn9.huge"}})",
               "$.launch.system: systems/trn9.huge.json: cannot open");
  expect_error("ranks_algorithm", base + R"(, "launch": {"algorithm": "tree"}})",
               "$.launch.algorithm: expected");
  expect_error("ranks_placement", base + R"(, "launch": {"placement": "random"}})",
               "$.launch.placement: expected");
  expect_error("ranks_trace", base + R"(, "trace": {"ranks": [4]}})",
               "$.trace.ranks: rank 4 is outside the launch's 4 ranks");
  expect_error("ranks_too_many",
               R"({"kernel": "collective", "params": {"kind": "permute", "bytes": 4096, "ranks": 17},
                   "launch": {"placement": "one_per_chip", "system": "trn2.48xlarge"}})",
               "$.launch.ranks: 17 ranks of 1 NeuronCores do not fit trn2.48xlarge");
  expect_error("ranks_single_rank_kernel",
               R"({"kernel": "matmul", "params": {"m": 128, "k": 128, "n": 512}, "launch": {"ranks": 2}})",
               "$.launch.ranks: matmul runs on one rank (it has no collectives)");
  expect_error(
      "ranks_groups_bad", R"({"kernel": "collective",
      "params": {"kind": "permute", "bytes": 4096, "ranks": 4, "replica_groups": [[0, 1], [1, 2]]}})",
      "$.params.replica_groups: collective: replica_groups: every rank 0..3 must appear exactly once");
  expect_error("ranks_a2a_chunks", R"({"kernel": "collective",
      "params": {"kind": "all_to_all", "bytes": 12, "ranks": 4}})",
               "the source must divide by it");
  expect_error("ranks_system_override", base + R"(, "launch": {"system": {"preset": "trn2.48xlarge",
      "overrides": {"cc": {"hop_latency_ns": -1}}}}})",
               "$.launch.system: overrides: $.cc.hop_latency_ns: -1 is out of range: must be in 0 .. 100000 ns");
}

TEST_CASE("cli ranks: a 64-rank launch picks the UltraServer when the instance is too small") {
  const CommandResult r = run_text("ranks_ultraserver", R"({"kernel": "collective",
      "params": {"kind": "permute", "bytes": 4096, "ranks": 64, "lnc": 2},
      "launch": {"placement": "one_per_chip"}, "mode": "timing", "trace": {"perfetto": false}})");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const json s = summary_of("ranks_ultraserver");
  CHECK(s["launch"]["system"]["name"] == "trn2u-ultraserver");
  CHECK(s["launch"]["chips_used"] == 64);
  CHECK(s["timing"]["collectives"]["by_kind"]["collective_permute_implicit"]["count"] == 1);
}

}  // namespace
}  // namespace tn::cli::test
