// bfloat16 and float8 tensors in .npy files as raw bits ("npy": {"narrow_floats": "bits"}): '<u2' / '|u1'
// patterns in and out, the same values as the default float32 files.
#include <doctest/doctest.h>

#include <cstring>

#include "kernels/reference/npy.hpp"
#include "tools/tests/cli_harness.hpp"

namespace tn::cli::test {
namespace {

namespace fs = std::filesystem;

const std::string kParams =
    R"("params": {"seqlen_q": 128, "seqlen_kv": 256, "d": 64, "dtype": "bfloat16", "scale": 0.3, "causal": true})";

CommandResult run_in(const fs::path& dir, const std::string& config) {
  write_text(dir / "c.json", config);
  return trnsim("run " + (dir / "c.json").string() + " --out " + (dir / "out").string());
}

TEST_CASE("npy bits: bfloat16 inputs and outputs as '<u2' patterns hold the same values as float32 files") {
  const fs::path a = scratch_dir("npy_bits_float32");
  REQUIRE(run_in(a, R"({"kernel": "attention_cte", )" + kParams + R"(, "mode": "functional"})").exit_code ==
          0);

  // The same inputs as bits, with another seed so that nothing is drawn.
  const fs::path b = scratch_dir("npy_bits_bits");
  for (const char* name : {"q", "k", "v"}) {
    const ref::HostTensor t = ref::read_npy(a / "out/inputs" / (std::string(name) + ".npy"));
    ref::write_npy(b / (std::string(name) + "_bits.npy"), t, DType::kBFloat16, ref::NarrowFloats::kAsBits);
  }
  const CommandResult r = run_in(b, R"({"kernel": "attention_cte", )" + kParams + R"(, "mode": "functional",
      "npy": {"narrow_floats": "bits"},
      "inputs": {"seed": 9, "files": {"q": "q_bits.npy", "k": "k_bits.npy", "v": "v_bits.npy"}}})");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::string descr;
  const ref::HostTensor bits = ref::read_npy(b / "out/outputs/out.npy", &descr);
  CHECK(descr == "<u2");
  const ref::HostTensor values = ref::read_npy(a / "out/outputs/out.npy");
  REQUIRE(bits.data.size() == values.data.size());
  // Each pattern is the bfloat16 of the float32 file's value: its upper 16 bits.
  size_t differing = 0;
  for (size_t i = 0; i < values.data.size(); ++i) {
    const float f = static_cast<float>(values.data[i]);
    uint32_t u = 0;
    std::memcpy(&u, &f, 4);
    differing += uint32_t(bits.data[i]) != (u >> 16) || (u & 0xFFFF) != 0;
  }
  CHECK(differing == 0);
  CHECK(ref::read_npy_for(b / "out/inputs/q.npy", DType::kBFloat16, ref::NarrowFloats::kAsBits).data ==
        ref::read_npy(a / "out/inputs/q.npy").data);
}

TEST_CASE("npy bits: a float32 file where bits are expected, and an unknown setting, are refused by name") {
  const fs::path dir = scratch_dir("npy_bits_errors");
  ref::write_npy(dir / "q.npy", ref::HostTensor::zeros({1, 128, 64}), DType::kBFloat16);  // '<f4' values
  const CommandResult r = run_in(dir, R"({"kernel": "attention_cte", )" + kParams + R"(,
      "npy": {"narrow_floats": "bits"}, "inputs": {"files": {"q": "q.npy"}}})");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("$.inputs.files.q: read_npy(" + (dir / "q.npy").string() +
                   "): holds '<f4'; a bfloat16 tensor "
                   "stored as bits is '<u2'") != std::string::npos);
  const CommandResult bad =
      run_in(dir, R"({"kernel": "attention_cte", )" + kParams + R"(, "npy": {"narrow_floats": "u16"}})");
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("$.npy.narrow_floats: expected \"float32\" (values) or \"bits\"") != std::string::npos);
}

}  // namespace
}  // namespace tn::cli::test
