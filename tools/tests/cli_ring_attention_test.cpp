// ring_attention_spmd_fwd through the CLI: the API's parameter names, per-rank files, the ring section of
// the summary (per-step exposed communication), the trace's step regions and CC-core rows, and the
// kernel's rules named at their JSON path.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "kernels/reference/npy.hpp"
#include "tools/tests/cli_harness.hpp"
#include "traces/perfetto_trace_reader.hpp"

namespace tn::cli::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

TEST_CASE("cli ring: 4 ranks on 4 chips, causal, pass the reference and report each step's exposure") {
  const CommandResult r =
      run_text("ring_run", R"({"kernel": "ring_attention_spmd_fwd", "inputs": {"seed": 42},
      "params": {"b": 1, "h": 1, "seqlen": 256, "d": 64, "num_workers": 4, "use_causal_mask": true,
                 "training": true},
      "launch": {"system": "trn2.48xlarge", "placement": "one_per_chip"}, "mode": "both"})");
  INFO(r.err);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("numerics     PASS (max-mode, rtol 0.02, atol 0.001)") != std::string::npos);
  CHECK(r.out.find("ring         3 steps' K+V permutes") != std::string::npos);
  const fs::path out = scratch_path("ring_run") / "out";
  const json s = json::parse(read_text(out / "summary.json"));
  CHECK(s["ranks"] == 4);
  CHECK(s["functional_equals_timing"] == true);
  CHECK(s["params"]["q_prescale"].get<double>() == doctest::Approx(0.125));  // 1/sqrt(d) in causal mode
  CHECK(s["params"]["attention_scale"] == 1.0);
  CHECK(s["numerics"]["outputs"]["rank3/lse"]["passed"] == true);
  CHECK(s["numerics"]["outputs"]["rank3/lse"]["rtol"] == 1e-4);
  CHECK(ref::read_npy(out / "inputs/rank2/q.npy").shape == std::vector<int64_t>{1, 1, 64, 256});
  CHECK(ref::read_npy(out / "outputs/rank1/lse.npy").shape == std::vector<int64_t>{1, 1, 128, 2});
  // Six permutes (K and V for steps 1-3), each 256 x 64 bf16 per rank.
  const json& permute = s["timing"]["collectives"]["by_kind"]["collective_permute_implicit"];
  CHECK(permute["count"] == 6);
  CHECK(permute["message_bytes"] == 6 * 256 * 64 * 2);
  const json& ring = s["timing"]["ring"];
  REQUIRE(ring["steps"].size() == 3);
  for (const json& step : ring["steps"]) {
    CAPTURE(step.dump());
    const double flight = step["permute_ns"]["median"].get<double>(), exposed = step["exposed_ns"]["max"];
    CHECK(flight > 0);
    CHECK(exposed >= 0);
    CHECK(exposed <= flight);  // exposure is part of the permutes' flight
    // Each permute runs during the phase it was issued before: step 1's (hoisted) during step 0's
    // attention_cte, step s's during step s-1's reduction.
    const int64_t n = step["step"];
    CHECK(step["overlapped_region"] ==
          (n == 1 ? "step 0: attention_cte" : "step " + std::to_string(n - 1) + ": reduction"));
    CHECK(step["overlap_ns"]["min"].get<double>() > 0);
  }
  // Step 2's permutes are triggered when step 1's attention_cte is done (on every rank), not as soon as the
  // ring buffers allow.
  const json& attention1 = s["timing"]["regions"][1];
  REQUIRE(attention1["name"] == "step 1: attention_cte");
  int permutes_of_step2 = 0;
  for (const json& c : s["timing"]["collectives"]["instances"]) {
    if (c["sequence"] != 1)
      continue;
    ++permutes_of_step2;
    CHECK(c["start_ns"].get<double>() >= attention1["end_ns"]["max"].get<double>());
  }
  CHECK(permutes_of_step2 == 2);  // K on cc0, V on cc1
  // The regions: step 0's attention, then each later step's attention_cte and reduction, then normalise.
  const json& regions = s["timing"]["regions"];
  REQUIRE(regions.size() == 8);
  CHECK(regions[0]["name"] == "step 0: attention_cte");
  CHECK(regions[2]["name"] == "step 1: reduction");
  CHECK(regions[7]["name"] == "normalise");
  CHECK(regions[7]["cores"] == 4);
  // The trace: per rank its regions, both CC-cores' permutes, and the links' counters.
  const trace::DecodedTrace decoded = trace::read_perfetto_trace_file(out / "trace.pftrace");
  for (const std::string& problem : trace::check_perfetto_trace(decoded))
    FAIL_CHECK(problem);
  const trace::TraceSummary t = trace::summarize_perfetto_trace(decoded);
  const trace::ProcessSummary* p = t.find("rank 2 NC0 (chip 2)");
  REQUIRE(p != nullptr);
  REQUIRE(p->find("Kernel regions") != nullptr);
  CHECK(p->find("Kernel regions")->slices == 8);
  REQUIRE(p->find("cc0") != nullptr);
  REQUIRE(p->find("cc1") != nullptr);
  CHECK(p->find("cc0")->slices == 3);
  CHECK(p->find("cc1")->slices == 3);
  const trace::ProcessSummary* fabric = t.find("Fabric");
  REQUIRE(fabric != nullptr);
  CHECK(!fabric->tracks.empty());
}

TEST_CASE("cli ring: several rings, striped LNC2, and the kernel's rules at their keys") {
  const CommandResult r = run_text("ring_groups", R"({"kernel": "ring_attention_spmd_fwd",
      "params": {"b": 1, "h": 3, "seqlen": 256, "d": 32, "num_workers": 2, "replica_groups": [[0, 2], [1, 3]],
                 "use_causal_mask": true, "striped_input": true, "lnc": 2, "tp_q": true, "tp_k": true},
      "mode": "functional"})");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const json s = json::parse(read_text(scratch_path("ring_groups") / "out" / "summary.json"));
  CHECK(s["ranks"] == 4);
  CHECK(s["numerics"]["passed"] == true);
  const std::string head = R"({"kernel": "ring_attention_spmd_fwd", "params": {"seqlen": 256, "d": 64, )";
  expect_error(
      "ring_gqa", head + R"("h": 4, "kv_heads": 2, "num_workers": 2}})",
      "$.params.kv_heads: ring_attention_spmd_fwd: kv_heads: expects q_heads == kv_heads (MHA only)");
  expect_error(
      "ring_striped", head + R"("num_workers": 2, "striped_input": true}})",
      "$.params.striped_input: ring_attention_spmd_fwd: striped_input: requires use_causal_mask=True");
  expect_error("ring_scale", head + R"("num_workers": 2, "use_causal_mask": true, "softmax_scale": 0.125}})",
               "$.params.softmax_scale: ring_attention_spmd_fwd: softmax_scale: must be 1.0 (or absent)");
  expect_error("ring_rows", head + R"("num_workers": 2, "replica_groups": [[0, 1, 2]]}})",
               "$.params.replica_groups: ring_attention_spmd_fwd: replica_groups: row 0 has 3 ranks");
  expect_error("ring_outside", head + R"("num_workers": 2, "replica_groups": [[0, 5]]}})",
               "$.params.replica_groups: rank 5 is outside the launch");
  expect_error("ring_seqlen", R"({"kernel": "ring_attention_spmd_fwd", "params": {"seqlen": 200, "d": 64}})",
               "$.params.seqlen: ring_attention_spmd_fwd: seqlen: must be a multiple of 128");
  expect_error("ring_trn1", head + R"("num_workers": 2}, "hardware": "trn1"})",
               "ring_attention_spmd_fwd: hardware: not supported on trn1");
  expect_error("ring_unknown", head + R"("num_workers": 2, "causal": true}})",
               "$.params.causal: unknown key");
}

}  // namespace
}  // namespace tn::cli::test
