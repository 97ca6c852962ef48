// kv_parallel_segmented_prefill through the CLI: the API's parameter names, derived per-rank kvp_offset,
// per-rank files, the two collectives on CC-core rows, and assertions named at their JSON path.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "kernels/reference/npy.hpp"
#include "tools/tests/cli_harness.hpp"
#include "traces/perfetto_trace_reader.hpp"

namespace tn::cli::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kParams =
    R"("group_size": 4, "lnc": 1, "seqlen": 256, "d": 64, "block_size": 32, "seg_size": 128, "num_blocks": 8)";

TEST_CASE("cli kvp: four ranks gather Q, exchange partials and pass the reference") {
  const CommandResult r = run_text("kvp_run",
                                   R"({"kernel": "kv_parallel_segmented_prefill", "inputs": {"seed": 42},
      "params": {)" + kParams + R"(, "global_q_offset": 256, "scale": 0.125}})");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("numerics     PASS (max-mode, rtol 0.05, atol 0.01)") != std::string::npos);
  const fs::path out = scratch_path("kvp_run") / "out";
  const json s = json::parse(read_text(out / "summary.json"));
  // kvp_offset = -rank * local_kv_len + global_q_offset, local_kv_len = 8 * 32.
  CHECK(s["params"]["kvp_offset"] == json::array({256.0, 0.0, -256.0, -512.0}));
  CHECK(s["params"]["local_kv_len"] == 256);
  CHECK(s["ranks"] == 4);
  const json& kinds = s["timing"]["collectives"]["by_kind"];
  CHECK(kinds["all_gather"]["count"] == 1);
  CHECK(kinds["all_to_all"]["count"] == 1);
  // all_to_all of [R, lnc, S, D + 2] fp32: 4 x 256 x 66 x 4 bytes per rank.
  CHECK(kinds["all_to_all"]["message_bytes"] == 4 * 256 * 66 * 4);
  CHECK(ref::read_npy(out / "inputs/rank2/q.npy").shape == std::vector<int64_t>{1, 256, 64});
  CHECK(ref::read_npy(out / "inputs/rank3/kvp_offset.npy").data[0] == -512);
  CHECK(ref::read_npy(out / "outputs/rank1/out.npy").shape == std::vector<int64_t>{1, 256, 64});
  // The trace shows both collectives on each rank's CC-core row.
  const trace::DecodedTrace decoded = trace::read_perfetto_trace_file(out / "trace.pftrace");
  for (const std::string& problem : trace::check_perfetto_trace(decoded))
    FAIL_CHECK(problem);
  const trace::TraceSummary t = trace::summarize_perfetto_trace(decoded);
  const trace::ProcessSummary* p = t.find("rank 3 NC0 (chip 0)");
  REQUIRE(p != nullptr);
  REQUIRE(p->find("cc0") != nullptr);
  CHECK(p->find("cc0")->slices == 2);
}

TEST_CASE("cli kvp: kvp_offset can be given per rank, and the kernel's rules name their key") {
  const std::string head = R"({"kernel": "kv_parallel_segmented_prefill", "params": {)" + kParams;
  expect_error("kvp_offsets_len", head + R"(, "kvp_offset": [0, 1]}})",
               "$.params.kvp_offset: expected a list of 4 integers, one per rank");
  expect_error(
      "kvp_seqlen", R"({"kernel": "kv_parallel_segmented_prefill", "params": {"group_size": 4,
      "seqlen": 200, "d": 64, "block_size": 32, "seg_size": 128, "num_blocks": 8}})",
      "$.params.seqlen: kv_parallel_segmented_prefill: seqlen: must be a positive multiple of seg_size");
  expect_error(
      "kvp_group", R"({"kernel": "kv_parallel_segmented_prefill", "params": {"group_size": 3, "lnc": 2,
      "seqlen": 256, "d": 64, "block_size": 32, "seg_size": 128, "num_blocks": 8}})",
      "$.params.group_size: kv_parallel_segmented_prefill: group_size: must be a positive multiple of lnc");
  expect_error(
      "kvp_offset_align", head + R"(, "global_q_offset": 40}})",
      "$.params.global_q_offset: kv_parallel_segmented_prefill: global_q_offset: must be a non-negative "
      "multiple of block_size");
  expect_error("kvp_unknown", head + R"(, "prior_tokens": 0}})", "$.params.prior_tokens: unknown key");
}

}  // namespace
}  // namespace tn::cli::test

namespace tn::cli::test {
namespace {

TEST_CASE("cli kvp: the same multi-rank config gives byte-identical traces and outputs") {
  const std::string c = R"({"kernel": "kv_parallel_segmented_prefill", "params": {"group_size": 4, "lnc": 2,
      "seqlen": 256, "d": 64, "block_size": 32, "seg_size": 128, "num_blocks": 8, "global_q_offset": 128}})";
  REQUIRE(run_text("kvp_det_a", c).exit_code == 0);
  REQUIRE(run_text("kvp_det_b", c).exit_code == 0);
  const fs::path a = scratch_path("kvp_det_a") / "out", b = scratch_path("kvp_det_b") / "out";
  CHECK(read_text(a / "trace.pftrace") == read_text(b / "trace.pftrace"));
  for (int rank = 0; rank < 2; ++rank) {
    const std::string f = "outputs/rank" + std::to_string(rank) + "/out.npy";
    CHECK(read_text(a / f) == read_text(b / f));
  }
}

}  // namespace
}  // namespace tn::cli::test
