// Runtime input values outside a kernel's documented domain stop the run before it starts, naming the value,
// the rule and where the value came from (a file of inputs.files, or the params), in every mode: a
// timing_only run, which computes no reference, must not time a program over values it cannot mean. (Values
// the program reads into registers are also guarded there: reg_check, tests in cli_bad_values_test.cpp.)
#include <doctest/doctest.h>

#include <string>

#include "kernels/reference/npy.hpp"
#include "tools/tests/cli_harness.hpp"

namespace tn::cli::test {
namespace {

namespace fs = std::filesystem;

fs::path npy(const std::string& dir, const std::string& name, const ref::HostTensor& t, DType dtype) {
  const fs::path path = scratch_path(dir + "_npy") / (name + ".npy");
  fs::create_directories(path.parent_path());
  ref::write_npy(path, t, dtype);
  return path;
}

// `params` of attention_cte with `files` ({"name": path}), in `mode`.
std::string cte_config(const std::string& params, const std::string& files, const std::string& mode) {
  return R"({"kernel": "attention_cte", "params": {"seqlen_q": 256, "d": 64, )" + params + R"(}, "mode": ")" +
         mode + R"(", "inputs": {"files": {)" + files + "}}}";
}

std::string file_entry(const std::string& name, const fs::path& path) {
  return "\"" + name + "\": \"" + path.string() + "\"";
}

TEST_CASE("runtime values: attention_cte's cp_offset outside its domain, from a file or the params") {
  for (const std::string mode : {"functional", "timing_only"}) {
    // Strided Q slicing: cp_offset is the rank; 7 of 2 ranks put queries at other ranks' positions.
    const fs::path seven = npy("cp_seven_" + mode, "cp_offset", {{1, 1}, {7}}, DType::kInt32);
    expect_error(
        "cp_strided_" + mode,
        cte_config(R"("seqlen_kv": 512, "cp_degree": 2, "cp_strided_q_slicing": true, "cp_offset": 1)",
                   file_entry("cp_offset", seven), mode),
        "$.inputs.files.cp_offset (" + seven.string() +
            "): cp_offset 7: with strided Q slicing query i sits at i * cp_degree + cp_offset, so "
            "cp_offset is the rank, 0..1");
    // A float32 cp_offset of 1.5 is no position.
    const fs::path half = npy("cp_half_" + mode, "cp_offset", {{1, 1}, {1.5}}, DType::kFloat32);
    expect_error(
        "cp_half_" + mode,
        cte_config(R"("seqlen_kv": 512, "cp_degree": 2, "cp_offset_dtype": "float32", "cp_offset": 1)",
                   file_entry("cp_offset", half), mode),
        "cp_offset 1.5 is no whole position offset");
  }
  // With a sliding window the kernel loads K from a runtime offset: cp_offset past seqlen_kv - seqlen_q.
  expect_error(
      "cp_window_past",
      cte_config(R"("seqlen_kv": 512, "cp_degree": 2, "sliding_window": 128, "cp_offset": 300)", "",
                 "functional"),
      "$.params.cp_offset: cp_offset 300 is past the keys: with a sliding window the kernel loads K "
      "from a runtime offset, which stays inside K only for cp_offset <= seqlen_kv - seqlen_q = 256");
  // Without a window, a large contiguous offset is defined (every key visible: the ring's later steps).
  const CommandResult far = run_text(
      "cp_far", cte_config(R"("seqlen_kv": 256, "cp_degree": 4, "cp_offset": 768)", "", "functional"));
  INFO(far.err);
  CHECK(far.exit_code == 0);
  CHECK(far.out.find("numerics     PASS") != std::string::npos);
}

TEST_CASE("runtime values: inverted sequence-packing bounds and a prior length past the prior") {
  ref::HostTensor lo{{256, 1}, std::vector<double>(256, 0)}, hi{{256, 1}, std::vector<double>(256, 256)};
  lo.data[9] = 200;  // row 9 would see keys 200..99: none, and causally none before it either
  hi.data[9] = 100;
  const fs::path lo_file = npy("packing_lo", "bound_min", lo, DType::kFloat32);
  const fs::path hi_file = npy("packing_hi", "bound_max", hi, DType::kFloat32);
  for (const std::string mode : {"functional", "timing_only"}) {
    expect_error("packing_inverted_" + mode,
                 cte_config(R"("seqlen_kv": 256, "n_packed_sequences": 2)",
                            file_entry("bound_min", lo_file) + ", " + file_entry("bound_max", hi_file), mode),
                 "$.inputs.files.bound_min (" + lo_file.string() + "), $.inputs.files.bound_max (" +
                     hi_file.string() + "): bound_min, bound_max[9] = 200, 100: row 9 must see a key");
  }
  const fs::path used = npy("prior_used_big", "prior_used_len", {{1}, {999}}, DType::kInt32);
  expect_error(
      "prior_used_big",
      cte_config(R"("seqlen_kv": 256, "prior_len": 512)", file_entry("prior_used_len", used), "timing_only"),
      "$.inputs.files.prior_used_len (" + used.string() +
          "): prior_used_len: the runtime prior length 999 must be in 0..prior_len (512)");
}

TEST_CASE("runtime values: block-table entries outside the cache, in every mode") {
  const std::string params =
      R"("seqlen_q": 128, "d": 64, "block_size": 32, "prior_seg_size": 512, "prior_tokens": 512,
         "num_blocks": 20, "max_blocks": 20)";
  for (const double bad : {99.0, -5.0}) {
    ref::HostTensor table{{1, 20}, std::vector<double>(20)};
    for (int i = 0; i < 20; ++i)
      table.data[static_cast<size_t>(i)] = i;
    table.data[3] = bad;
    const fs::path file = npy("table_outside", "block_tables", table, DType::kInt32);
    for (const std::string mode : {"functional", "timing_only"}) {
      expect_error("table_outside_" + mode,
                   R"({"kernel": "attention_segmented_cte", "params": {)" + params + R"(}, "mode": ")" +
                       mode + R"(", "inputs": {"files": {"block_tables": ")" + file.string() + R"("}}})",
                   "$.inputs.files.block_tables (" + file.string() + "): block_tables[0, 3] = " +
                       (bad > 0 ? "99" : "-5") + ": an entry is a block of the cache, 0..19, or -1");
    }
  }
}

}  // namespace
}  // namespace tn::cli::test
