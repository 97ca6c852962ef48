// Values that once gave a wrong verdict or a crash (the Defects issue), each with the input that showed it:
// non-finite data, zero and huge sizes, deep JSON, integers that lost precision, and `check` itself.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cmath>
#include <limits>

#include "kernels/reference/npy.hpp"
#include "tools/tests/cli_harness.hpp"

namespace tn::cli::test {
namespace {

namespace fs = std::filesystem;

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

// attention_segmented_cte with 640 prior tokens in 16-token blocks: a 48-entry block table.
const std::string kSegmented =
    R"("seqlen_q": 128, "d": 64, "block_size": 16, "prior_seg_size": 256, "prior_tokens": 640)";

std::string segmented_with_file(const std::string& extra_params, const std::string& name,
                                const fs::path& file) {
  return R"({"kernel": "attention_segmented_cte", "params": {)" + kSegmented + extra_params +
         R"(}, "mode": "functional", "inputs": {"files": {")" + name + R"(": ")" + file.string() + R"("}}})";
}

fs::path npy(const std::string& dir, const std::string& name, const ref::HostTensor& t, DType dtype) {
  const fs::path path = scratch_path(dir + "_npy") / (name + ".npy");
  fs::create_directories(path.parent_path());
  ref::write_npy(path, t, dtype);
  return path;
}

TEST_CASE("bad values: non-finite inputs are refused naming the tensor, the element and the file") {
  // A NaN sink made every output NaN, and NaN matched NaN: "numerics PASS ... max_abs_err=0".
  const fs::path sink = npy("nan_sink", "sink", {{1, 1}, {kNaN}}, DType::kFloat32);
  expect_error("nan_sink", segmented_with_file(R"(, "sink": 2.0)", "sink", sink),
               "$.inputs.files.sink: " + sink.string() + ": element [0, 0] is nan; sink needs finite values");
  // An infinite k_scale.
  ref::HostTensor scale = ref::HostTensor::zeros({128, 1});
  scale.data.assign(128, 1.0);
  scale.data[5] = kInf;
  const fs::path k_scale = npy("inf_k_scale", "k_scale", scale, DType::kFloat32);
  expect_error("inf_k_scale",
               segmented_with_file(R"(, "kv_dtype": "float8_e4m3", "k_scale": 1.0, "v_scale": 1.0)",
                                   "k_scale", k_scale),
               "$.inputs.files.k_scale: " + k_scale.string() + ": element [5, 0] is inf");
  // NaN values in attention_cte's k.
  ref::HostTensor k = ref::HostTensor::zeros({1, 64, 256});
  k.data[3] = kNaN;
  const fs::path k_file = npy("nan_k", "k", k, DType::kFloat32);
  expect_error("nan_k",
               R"({"kernel": "attention_cte", "params": {"seqlen_q": 128, "seqlen_kv": 256, "d": 64},
                   "inputs": {"files": {"k": ")" +
                   k_file.string() + R"("}}})",
               "$.inputs.files.k: " + k_file.string() + ": element [0, 0, 3] is nan; k needs finite values");
  // A finite float32 value that float16 cannot hold: 70000 rounds to inf once stored.
  ref::HostTensor q = ref::HostTensor::zeros({1, 128, 64});
  q.data[0] = 70000;
  const fs::path q_file = npy("fp16_q", "q", q, DType::kFloat32);
  expect_error("fp16_q",
               R"({"kernel": "attention_cte", "params": {"seqlen_q": 128, "seqlen_kv": 128, "d": 64,
                   "dtype": "float16"}, "inputs": {"files": {"q": ")" +
                   q_file.string() + R"("}}})",
               "element [0, 0, 0] = 70000 overflows float16 to inf");
}

TEST_CASE("bad values: non-finite outputs fail the check, counted") {
  // Scores times 1e38 overflow fp32 on the engines: every output is NaN where the float64 reference is not.
  const std::string config =
      R"({"kernel": "attention_cte", "params": {"seqlen_q": 128, "seqlen_kv": 128, "d": 64, "scale": 1e38},
          "mode": "functional"})";
  const CommandResult r = run_text("nan_outputs", config);
  INFO(r.out);
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("numerics     FAIL") != std::string::npos);
  CHECK(r.out.find("8192 non-finite actual and 0 non-finite expected values") != std::string::npos);
  const fs::path dir = scratch_dir("nan_outputs_check");
  write_text(dir / "c.json", config);
  const CommandResult c = trnsim("check " + dir.string());
  CHECK(c.exit_code == 1);
  CHECK(c.out.find("FAIL  " + (dir / "c.json").string()) != std::string::npos);
  CHECK(c.out.find("0 passed, 1 failed") != std::string::npos);
}

TEST_CASE("bad values: a zero sequence length is a parameter error, not SIGFPE") {
  // The CLI derived the K layout (dividing by the section length) before the kernel's checks ran.
  for (const std::string zero : {"0", "-0.0", "1e-400"}) {
    CAPTURE(zero);
    const CommandResult r =
        run_text("zero_seqlen", R"({"kernel": "attention_cte", "params": {"seqlen_q": 128, "seqlen_kv": )" +
                                    zero + R"(, "d": 64}})");
    INFO(r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("$.params.seqlen_kv: attention_cte: seqlen_kv: must be in 1..131072") !=
          std::string::npos);
  }
}

TEST_CASE("bad values: deeply nested JSON is refused with its position, not a stack overflow") {
  const std::string deep(80000, '['), close(80000, ']');
  const CommandResult r = run_text(
      "deep_json", R"({"kernel":"floor_nisa_kernel","params":{"p_size":1,"f_size":)" + deep + close + "}}");
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("c.json:1:") != std::string::npos);
  CHECK(r.err.find("JSON nested deeper than 64 levels") != std::string::npos);
  // A typed key's error describes a large value without dumping it, and so does the parser's.
  const CommandResult big =
      run_text("big_value", R"({"kernel":"floor_nisa_kernel","params":{"p_size":1,"f_size":[")" +
                                std::string(100000, 'x') + R"("]}})");
  CHECK(big.exit_code == 1);
  CHECK(big.err.find("$.params.f_size: expected an integer, got an array of 1 value") != std::string::npos);
  CHECK(big.err.size() < 400);
  const CommandResult huge =
      run_text("huge_number", R"({"kernel":"floor_nisa_kernel","params":{"p_size":1,"f_size":)" +
                                  std::string(100000, '9') + "}}");
  CHECK(huge.exit_code == 1);
  CHECK(huge.err.find("c.json: $.params.f_size: malformed JSON") != std::string::npos);  // named by its path
  CHECK(huge.err.size() < 400);
}

TEST_CASE("bad values: sequence packing with a partial last Q group runs and passes") {
  // bound_max filled only the last group's first 100 partitions, then a min over all 128 read the rest.
  const CommandResult r =
      run_text("packing_partial_group",
               R"({"kernel":"attention_cte","params":{"seqlen_q":100,"seqlen_kv":100,"d":64,"scale":1.0,
                   "causal":false,"n_packed_sequences":2}})");
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("numerics     PASS") != std::string::npos);
  // With a sliding window the packed lower bound is also taken over the loaded rows only.
  const CommandResult w =
      run_text("packing_partial_group_swa",
               R"({"kernel":"attention_cte","params":{"seqlen_q":300,"seqlen_kv":300,"d":64,"scale":1.0,
                   "sliding_window":50,"n_packed_sequences":3}})");
  INFO(w.err);
  CHECK(w.exit_code == 0);
  CHECK(w.out.find("numerics     PASS") != std::string::npos);
}

TEST_CASE("bad values: integer runtime inputs keep their values and non-integers are refused") {
  // kvp_offset 2^24 + 1 became 2^24 in fp32 and slipped inside the kernel's |o| <= 2^24 guard.
  const CommandResult kvp =
      run_text("kvp_past_guard", R"({"kernel": "attention_segmented_cte", "params": {)" + kSegmented +
                                     R"(, "kvp_offset": 16777217}, "mode": "functional"})");
  INFO(kvp.err);
  CHECK(kvp.exit_code == 1);
  CHECK(kvp.err.find("reg_check (kernels/attention_segmented_cte.cpp:") != std::string::npos);
  CHECK(kvp.err.find("= 16777217 is outside [-16777216, 16777216]") != std::string::npos);
  // prior_tokens 640.5 became 640, NaN became 0.
  const fs::path half = npy("prior_half", "prior_tokens", {{1, 1}, {640.5}}, DType::kFloat32);
  expect_error(
      "prior_half", segmented_with_file("", "prior_tokens", half),
      "$.inputs.files.prior_tokens: " + half.string() +
          ": element [0, 0] = 640.5 is not a whole number in int32's range (prior_tokens holds integers)");
  const fs::path nan = npy("prior_nan", "prior_tokens", {{1, 1}, {kNaN}}, DType::kFloat32);
  expect_error("prior_nan", segmented_with_file("", "prior_tokens", nan),
               "element [0, 0] is nan; prior_tokens needs finite values");
  // Block indices 1.5 became 2, NaN became 0.
  for (double bad : {1.5, kNaN}) {
    ref::HostTensor table{{1, 48}, std::vector<double>(48)};
    for (int i = 0; i < 48; ++i)
      table.data[static_cast<size_t>(i)] = i;
    table.data[7] = bad;
    const fs::path file = npy("table_bad", "block_tables", table, DType::kFloat32);
    expect_error("table_bad", segmented_with_file("", "block_tables", file),
                 "$.inputs.files.block_tables: " + file.string() + ": element [0, 7]");
  }
  // prior_tokens 2^31 - 1 (an int32 file) reaches the kernel whole; its guard names the value.
  const fs::path big = npy("prior_big", "prior_tokens", {{1, 1}, {2147483647.0}}, DType::kInt32);
  expect_error("prior_big", segmented_with_file("", "prior_tokens", big), "= 2147483647 is outside [0, 640]");
}

TEST_CASE("bad values: huge sizes are bounded before any product") {
  const std::string two62 = "4611686018427387904";
  expect_error("matmul_huge",
               R"({"kernel": "matmul", "params": {"m": )" + two62 + R"(, "k": 128, "n": 512}})",
               "m: must be a positive multiple of 128, at most 2^24");
  expect_error("segmented_max_blocks",
               R"({"kernel": "attention_segmented_cte", "params": {)" + kSegmented +
                   R"(, "max_blocks": 144115188075855876}})",  // 2^57 + 4
               "$.params.max_blocks: must be in 1..16777216");
  expect_error("cte_huge_prior",
               R"({"kernel": "attention_cte", "params": {"seqlen_q": 128, "seqlen_kv": )" + two62 +
                   R"(, "prior_len": )" + two62 + R"(, "d": 64}})",
               "$.params.seqlen_kv: attention_cte: seqlen_kv: must be in 1..131072");
  expect_error("floor_huge",
               R"({"kernel": "floor_nisa_kernel", "params": {"p_size": 1, "f_size": )" + two62 + "}}",
               "floor_nisa_kernel: f_size: must be in 1..57344");
  // p_size 2^32 + 1 wrapped to 1 on its way to int32.
  expect_error("floor_p_size_wrap",
               R"({"kernel": "floor_nisa_kernel", "params": {"p_size": 4294967297, "f_size": 4}})",
               "$.params.p_size: must be in -2147483648..2147483647, got 4294967297");
}

TEST_CASE("bad values: unsigned JSON integers past int64 do not wrap") {
  // 2^64 - 1 was read as -1, a legal table_padding.
  expect_error("padding_wrap",
               R"({"kernel": "attention_segmented_cte", "params": {)" + kSegmented +
                   R"(, "table_padding": 18446744073709551615}})",
               "$.params.table_padding: integer 18446744073709551615 is outside the 64-bit signed range");
}

TEST_CASE("bad values: check kills a config past its timeout and reports it as ERROR") {
  const fs::path dir = scratch_dir("check_timeout");
  // Several seconds of numerics (16K x 16K non-causal): far past the 0.3 s limit on any machine.
  write_text(dir / "slow.json",
             R"({"kernel": "attention_cte", "params": {"seqlen_q": 16384, "seqlen_kv": 16384, "d": 128},
                 "mode": "functional"})");
  const CommandResult r = trnsim("check " + (dir / "slow.json").string() + " --timeout 0.3");
  INFO(r.out);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("ERROR " + (dir / "slow.json").string() + "  timed out after 0.3 s") != std::string::npos);
  CHECK(r.out.find("0 passed, 1 failed") != std::string::npos);
  CHECK(trnsim("check " + dir.string() + " --timeout -1").exit_code != 0);
}

TEST_CASE("bad values: check reports link loops and empty folders instead of aborting or passing") {
  const fs::path dir = scratch_dir("check_links");
  fs::create_directories(dir / "cfgs/sub");
  write_text(
      dir / "cfgs/a.json",
      R"({"kernel": "floor_nisa_kernel", "params": {"p_size": 4, "f_size": 8}, "mode": "functional"})");
  fs::create_symlink("loop.json", dir / "cfgs/loop.json");  // a link to itself
  fs::create_directory_symlink("..", dir / "cfgs/sub/up");  // a folder link back up: not followed
  const CommandResult r = trnsim("check " + (dir / "cfgs").string());
  INFO(r.out);
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("PASS  " + (dir / "cfgs/a.json").string()) != std::string::npos);
  CHECK(r.out.find("ERROR " + (dir / "cfgs/loop.json").string() + "  cannot resolve: ") != std::string::npos);
  CHECK(r.out.find("1 passed, 1 failed") != std::string::npos);

  fs::create_directories(dir / "empty");
  const CommandResult e = trnsim("check " + (dir / "empty").string());
  INFO(e.out);
  CHECK(e.exit_code == 1);
  CHECK(e.out.find("ERROR " + (dir / "empty").string() + "  no *.json config in this folder") !=
        std::string::npos);
  CHECK(e.out.find("0 passed, 1 failed") != std::string::npos);
  const CommandResult missing = trnsim("check " + (dir / "nowhere").string());
  CHECK(missing.exit_code == 1);
  CHECK(missing.out.find("no such file or folder") != std::string::npos);
}

}  // namespace
}  // namespace tn::cli::test
