// Bad input gets a clear message naming the file and JSON path (or the rule), and a non-zero exit.
#include <doctest/doctest.h>

#include "tools/tests/cli_harness.hpp"

namespace tn::cli::test {
namespace {

namespace fs = std::filesystem;

const std::string kParams = R"("bs": 1, "seqlen_q": 256, "seqlen_kv": 256, "d": 64, "dtype": "bfloat16")";

TEST_CASE("cli errors: malformed JSON names the line and column") {
  expect_error("malformed", "{\n  \"kernel\": \"attention_cte\",\n  \"params\": {,}\n}", "c.json:3:");
}

TEST_CASE("cli errors: unknown keys name their JSON path") {
  expect_error("unknown_top",
               R"({"kernel": "attention_cte", "params": {)" + kParams + R"(}, "mdoe": "both"})",
               "$.mdoe: unknown key");
  expect_error("unknown_param",
               R"({"kernel": "attention_cte", "params": {)" + kParams + R"(, "causl": true}})",
               "$.params.causl: unknown key");
  expect_error("unknown_hw_override",
               R"({"kernel": "attention_cte", "params": {)" + kParams +
                   R"(}, "hardware": {"preset": "trn2", "overrides": {"pe": {"clock_ghz": 3}}}})",
               "clock_ghz");
}

TEST_CASE("cli errors: wrong types and unknown names") {
  expect_error(
      "bad_type",
      R"({"kernel": "attention_cte", "params": {"bs": "one", "seqlen_q": 256, "seqlen_kv": 256, "d": 64}})",
      "$.params.bs: expected an integer");
  expect_error(
      "bad_dtype",
      R"({"kernel": "attention_cte", "params": {"seqlen_q": 256, "seqlen_kv": 256, "d": 64, "dtype": "float64"}})",
      "$.params.dtype: unknown dtype");
  expect_error("bad_kernel", R"({"kernel": "attention_tkg", "params": {}})",
               "unknown kernel \"attention_tkg\"");
  expect_error("bad_preset",
               R"({"kernel": "attention_cte", "params": {)" + kParams + R"(}, "hardware": "trn9"})", "trn9");
  expect_error("bad_mode", R"({"kernel": "attention_cte", "params": {)" + kParams + R"(}, "mode": "fast"})",
               "$.mode: expected");
}

TEST_CASE("cli errors: shapes outside the kernel's constraints name the parameter and rule") {
  expect_error("big_d",
               R"({"kernel": "attention_cte", "params": {"seqlen_q": 256, "seqlen_kv": 256, "d": 129}})",
               "d: head dimension must be in 1..128");
  expect_error(
      "gqa",
      R"({"kernel": "attention_cte", "params": {"bs": 3, "bs_kv": 2, "seqlen_q": 256, "seqlen_kv": 256, "d": 64}})",
      "bs_kv: must be positive and divide bs");
  expect_error(
      "gqa_group",
      R"({"kernel": "attention_cte", "params": {"bs": 4, "bs_kv": 2, "gqa_group": 3, "seqlen_q": 256, "seqlen_kv": 256, "d": 64}})",
      "$.params.gqa_group: must equal bs / bs_kv");
  expect_error("matmul_shape", R"({"kernel": "matmul", "params": {"m": 100, "k": 128, "n": 512}})",
               "m: must be a positive multiple of 128");
  expect_error("sections",
               R"({"kernel": "attention_cte", "params": {)" + kParams + R"(, "num_kv_sections": 2}})",
               "$.params.num_kv_sections");
}

TEST_CASE("cli errors: an input file of the wrong shape or missing") {
  const fs::path dir = scratch_dir("bad_npy");
  expect_error("missing_npy",
               R"({"kernel": "attention_cte", "params": {)" + kParams +
                   R"(}, "inputs": {"files": {"q": "/nonexistent/q.npy"}}})",
               "/nonexistent/q.npy");
  expect_error(
      "unknown_input",
      R"({"kernel": "attention_cte", "params": {)" + kParams + R"(}, "inputs": {"files": {"x": "x.npy"}}})",
      "$.inputs.files.x");
}

TEST_CASE(
    "cli errors: a hardware override that shrinks SBUF below the kernel's needs names the kernel line") {
  expect_error(
      "sbuf_overflow",
      // The smallest SBUF the hardware ranges allow (64 KiB per partition) and 32K keys: K alone needs it
      // all.
      R"({"kernel": "attention_cte", "params": {"seqlen_q": 128, "seqlen_kv": 32768, "d": 64, "dtype": "bfloat16"},)"
      R"( "mode": "functional", "hardware": {"preset": "trn2", "overrides": {"sbuf": {"bytes_per_partition": 65536}}}})",
      "kernels/attention_cte.cpp:356: SBUF overflow allocating");
}

TEST_CASE("cli run: a case that expects the kernel to refuse it passes, and says why") {
  const CommandResult r = run_text(
      "run_expected_failure",
      R"({"kernel": "attention_cte", "params": {"seqlen_q": 256, "seqlen_kv": 256, "d": 200, "expect_failure": true}})");
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("expected failure: ") != std::string::npos);
  CHECK(r.out.find("outputs") == std::string::npos);  // nothing ran, nothing was written
  CHECK(r.err.empty());
}

TEST_CASE("cli check: one line per config, a closing count, and a non-zero exit on failure") {
  const fs::path dir = scratch_dir("check");
  fs::create_directories(dir / "cfgs");
  write_text(dir / "cfgs/a_good.json",
             R"({"kernel": "attention_cte", "params": {)" + kParams + R"(}, "mode": "functional"})");
  write_text(dir / "cfgs/b_bad.json",
             R"({"kernel": "attention_cte", "params": {)" + kParams + R"(, "d": 0}})");
  write_text(
      dir / "cfgs/c_expected_failure.json",
      R"({"kernel": "attention_cte", "params": {"seqlen_q": 256, "seqlen_kv": 256, "d": 200, "expect_failure": true}})");
  const CommandResult r = trnsim("check " + (dir / "cfgs").string());
  INFO(r.out);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("PASS  " + (dir / "cfgs/a_good.json").string()) != std::string::npos);
  CHECK(r.out.find("ERROR " + (dir / "cfgs/b_bad.json").string()) != std::string::npos);
  CHECK(r.out.find("PASS  " + (dir / "cfgs/c_expected_failure.json").string()) != std::string::npos);
  CHECK(r.out.find("2 passed, 1 failed") != std::string::npos);
  fs::remove(dir / "cfgs/b_bad.json");
  CHECK(trnsim("check " + (dir / "cfgs").string()).exit_code == 0);
}

TEST_CASE("cli errors: shapes in the tables' ranges that overflow SBUF name the parameter behind them") {
  // A pass of attention_segmented_cte holds its keys' scores, exponentials and K/V tiles in SBUF.
  const std::string seg = R"({"kernel": "attention_segmented_cte", "params": {"d": 64, "block_size": 32, )";
  expect_error("segmented_big_segment", seg + R"("seqlen_q": 128, "prior_seg_size": 65536}})",
               "$.params.prior_seg_size: attention_segmented_cte: prior_seg_size: a pass holds "
               "max(prior_seg_size 65536, seqlen_q 128, the window's prior keys 0) = 65536 keys");
  expect_error("segmented_big_q", seg + R"("seqlen_q": 65536, "prior_seg_size": 512}})",
               "$.params.seqlen_q: attention_segmented_cte: seqlen_q: a pass holds");
  expect_error("segmented_big_window",
               seg + R"("seqlen_q": 128, "prior_seg_size": 512, "sliding_window": 1048576}})",
               "$.params.sliding_window: attention_segmented_cte: sliding_window: a pass holds");
  // kv_parallel_segmented_prefill runs it per seg_size chunk, with seqlen_q = prior_seg_size = seg_size.
  expect_error(
      "kv_parallel_big_segment",
      R"({"kernel": "kv_parallel_segmented_prefill", "params": {"group_size": 1, "seqlen": 16384, "d": 128,
          "block_size": 512, "seg_size": 16384, "num_blocks": 32}})",
      "$.params.seg_size: kv_parallel_segmented_prefill: seg_size: the per-chunk attention_segmented_cte "
      "(seqlen_q = prior_seg_size = seg_size 16384) refuses it: attention_segmented_cte: prior_seg_size: a "
      "pass");
}

}  // namespace
}  // namespace tn::cli::test
