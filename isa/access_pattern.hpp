// Operands: where an instruction reads or writes, as the hardware's access patterns (hardware.md §1.7,
// §3 "Access patterns"): a partition range plus up to 4 free dimensions of [stride, count].
#pragma once
#include <array>
#include <climits>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "isa/dtype.hpp"

namespace tn::isa {

enum class MemKind : uint8_t { kHbm, kSbuf, kPsum };

std::string_view mem_kind_name(MemKind m);

// One free dimension. 32-bit fields keep an access pattern at 64 bytes (an instruction holds up to five):
// strides and counts are elements, and no SBUF/PSUM partition or HBM tensor the kernels use comes near
// 2^31 elements per dimension; a larger value is refused where it is made, never wrapped. Products of
// strides and counts are formed in 64 bits (span()).
struct ApDim {
  int32_t stride = 0;  // in elements; 0 broadcasts, negative walks backwards
  int32_t count = 1;
  constexpr ApDim() = default;
  constexpr ApDim(int64_t stride_elements, int64_t count_elements)
      : stride(checked(stride_elements, "stride")), count(checked(count_elements, "count")) {}
  // stride * count in 64 bits: the elements one step of the next-outer dimension skips when dense.
  constexpr int64_t extent() const { return int64_t(stride) * int64_t(count); }
  bool operator==(const ApDim&) const = default;

 private:
  static constexpr int32_t checked(int64_t v, const char* what) {
    if (v < INT32_MIN || v > INT32_MAX)
      throw std::out_of_range(std::string("access pattern ") + what + " " + std::to_string(v) +
                              " does not fit 32 bits");
    return static_cast<int32_t>(v);
  }
};

inline constexpr int kMaxFreeDims = 4;

struct AccessPattern {
  // Wide fields first, the one-byte ones together: 96 bytes rather than 112 with padding, and every
  // operation holds several of these.
  // kHbm: element offset into the tensor. kSbuf/kPsum: byte address inside every partition.
  int64_t offset = 0;
  int64_t partition_stride = 0;  // kHbm: elements between the rows of the outer dimension (see below)
  int32_t tensor = -1;           // kHbm: index into Program::tensors
  // kSbuf/kPsum: the contiguous partitions [start_partition, start_partition + num_partitions).
  // kHbm: the outer dimension, `num_partitions` rows `partition_stride` elements apart, so that
  // an HBM pattern has the same [P, free...] shape as the on-chip side of a DMA.
  int32_t start_partition = 0;
  int32_t num_partitions = 1;
  MemKind mem = MemKind::kSbuf;
  DType dtype = DType::kFloat32;
  uint8_t ndim = 0;
  std::array<ApDim, kMaxFreeDims> dims{};

  bool operator==(const AccessPattern&) const = default;

  bool on_chip() const { return mem != MemKind::kHbm; }
  int64_t free_size() const;  // elements per partition
  int64_t num_elements() const { return free_size() * num_partitions; }
  int64_t bytes() const { return num_elements() * dtype_size(dtype); }
  // The innermost stride in elements (1 if there are no free dimensions).
  int64_t inner_stride() const { return ndim == 0 ? 1 : dims[ndim - 1].stride; }
  // True when the free dimensions walk memory contiguously (row-major, stride-1 innermost).
  bool free_contiguous() const;
  // Elements per partition walked contiguously from each row's start: the innermost dims while each
  // continues where the ones inside it ended (a broadcast or a gap ends the run); free_size() when
  // free_contiguous().
  int64_t contiguous_run() const;
  // Lowest and highest element offsets (relative to `offset`) any free index touches.
  std::pair<int64_t, int64_t> free_extent() const;
  // What the pattern can touch, as [first, end): elements of its tensor over every row (kHbm), or bytes
  // within each of its partitions (on chip). Empty free dims give first == end.
  std::pair<int64_t, int64_t> touched_range() const;
};

// Builders for the common shapes. `dims` are listed outermost first.
AccessPattern sbuf_ap(DType t, int64_t byte_addr, int32_t start_partition, int32_t num_partitions,
                      std::initializer_list<ApDim> dims);
AccessPattern psum_ap(DType t, int64_t byte_addr, int32_t start_partition, int32_t num_partitions,
                      std::initializer_list<ApDim> dims);
AccessPattern hbm_ap(int32_t tensor, DType t, int64_t elem_offset, ApDim partition_dim,
                     std::initializer_list<ApDim> dims);

// Compact text such as `sbuf[0:128]@0x400 bf16 [[1,512]]` (free dims listed outermost first).
std::string to_string(const AccessPattern& ap);
// The same text appended to `s`.
void append(std::string& s, const AccessPattern& ap);
// `v` in decimal appended to `s` (the disassembler's integers).
void append_decimal(std::string& s, int64_t v);

}  // namespace tn::isa
