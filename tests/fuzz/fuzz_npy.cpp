// libFuzzer target: .npy reading (kernels/reference/npy). The input is a file's bytes, read as the CLI reads
// `inputs.files` and a program's `expected` files: its header alone, then whole, as float64 values and as
// the raw bits of each narrow float. A tensor that reads must come back bit for bit from write_npy.
#include <cstring>

#include "kernels/reference/npy.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

using namespace tn;

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string file = fuzz::scratch_file("input.npy", fuzz::bytes_of(data, size));
  fuzz::refused_or_accepted([&] { ref::read_npy_header(file); });
  fuzz::refused_or_accepted([&] {
    std::string descr;
    const ref::HostTensor t = ref::read_npy(file, &descr);
    if (ref::read_npy_header(file).shape != t.shape)
      fuzz::finding("read_npy_header and read_npy disagree on the shape");
    const std::string copy = (fuzz::scratch_dir() / "copy.npy").string();
    ref::write_npy(copy, t);
    const ref::HostTensor back = ref::read_npy(copy);
    if (back.shape != t.shape || !same_bits(back.data, t.data))
      fuzz::finding("a tensor read from '" + descr + "' does not survive write_npy / read_npy as '<f8'");
  });
  for (const DType dtype : {DType::kBFloat16, DType::kFloat8E4M3, DType::kFloat8E5M2})
    fuzz::refused_or_accepted([&] { ref::read_npy_for(file, dtype, ref::NarrowFloats::kAsBits); });
  return 0;
}
