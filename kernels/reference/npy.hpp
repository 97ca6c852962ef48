// NumPy .npy files (format 1.0) for HostTensor: how the CLI and the tests exchange tensors with NumPy.
//
// Writing converts the float64 data to the requested dtype. dtypes without a NumPy descr are widened to
// '<f4': bfloat16 and float8 (e4m3, e5m2) tensors are written as float32 holding the values rounded to that
// format (round to nearest even, overflow to inf, as sim/numerics does), so np.load gives exactly the values
// the simulator sees. fp16 and the narrow floats round double -> fp32 -> target. Integer dtypes require every
// value to be an exactly representable integer of that type (std::invalid_argument otherwise, no silent
// saturation); int8 / uint8 are written as '|i1' / '|u1', NumPy's own spelling for 1-byte types.
//
// Reading accepts C-order little-endian '<f8', '<f4', '<f2', '<i8', '<i4', '<u4', '<i2', '<u2', '|i1', '|u1',
// '|b1' ('<' is accepted in place of '|' for the 1-byte types) in format versions 1.0, 2.0 and 3.0. Fortran
// order, big-endian data, other descrs, malformed headers and truncated (or over-long) data raise
// std::runtime_error naming the file. int64 values beyond 2^53 lose precision in the float64 HostTensor.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "isa/dtype.hpp"
#include "kernels/reference/host_tensor.hpp"

namespace tn::ref {

// How bfloat16 and float8 tensors, which have no NumPy dtype, are stored: as float32 values (the default,
// above), or as their raw bit patterns, '<u2' for bfloat16 and '|u1' for float8 (what ml_dtypes arrays
// hold: `a.view(np.uint16)` writes them, `u.view(ml_dtypes.bfloat16)` reads them back).
enum class NarrowFloats { kAsFloat32, kAsBits };

// The descr written for a dtype ('<f4' for bf16 and fp8 as float32, see above).
std::string npy_descr(DType dtype, NarrowFloats narrow = NarrowFloats::kAsFloat32);

void write_npy(const std::filesystem::path& path, const HostTensor& tensor, DType dtype,
               NarrowFloats narrow = NarrowFloats::kAsFloat32);

// Writes '<f8': the exact float64 contents.
void write_npy(const std::filesystem::path& path, const HostTensor& tensor);

// A .npy file's dtype descr and shape, from its header alone: what a reader checks before it reads (and
// allocates for) the data. Only regular files are read (a folder, device or FIFO is a std::runtime_error
// naming the file), and a header is checked as read_npy checks it.
struct NpyHeader {
  std::string descr;
  std::vector<int64_t> shape;
};
NpyHeader read_npy_header(const std::filesystem::path& path);

// `descr`, when given, receives the file's dtype descr. Allocates no more than the file holds.
HostTensor read_npy(const std::filesystem::path& path, std::string* descr = nullptr);

// Reads a tensor meant for `dtype`: as read_npy, except that a bfloat16 or float8 tensor stored as bits
// (`narrow` kAsBits) must be '<u2' / '|u1' and is decoded from its bit patterns (std::runtime_error naming
// the file and both descrs otherwise).
HostTensor read_npy_for(const std::filesystem::path& path, DType dtype, NarrowFloats narrow);

}  // namespace tn::ref
