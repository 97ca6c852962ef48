// The one place instructions touch memory: reads and writes of an access pattern's elements in
// [partition, free dims row-major] order (hardware.md §1.7, §3 "Access patterns"), with the
// written-flag checks that make a read of never-stored SBUF, PSUM or HBM an error naming the operand.
//
// Values travel as fp32 (engines compute in fp32 and cast on input and output, hardware.md §3) or, for
// the copies that must be bit-exact, as raw element bytes. Conversions are tn::num's.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "isa/access_pattern.hpp"
#include "isa/operators.hpp"
#include "sim/func/core_state.hpp"
#include "sim/func/hbm.hpp"

namespace tn::sim {

// A fault found while executing one instruction. Executor::execute turns it into an ExecutionError
// prefixed with the instruction's description.
class InstructionFault : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class AccessWalker {
 public:
  AccessWalker(CoreState& core, std::vector<HbmTensor*> tensors);

  // Every element of `ap` as fp32, [P, free...] order; `out` is resized to P * F.
  void read(const isa::AccessPattern& ap, std::string_view field, std::vector<float>& out);
  // Every element of `ap` as its dtype's bytes, [P, free...] order; `out` is resized to P * F * size.
  void read_raw(const isa::AccessPattern& ap, std::string_view field, std::vector<std::byte>& out);
  // A per-partition scalar (hardware.md §3: "s is a scalar or [P,1]"): `partitions` values, one per
  // partition, read from a [P,1] column or repeating an immediate.
  void read_column(const isa::ScalarOperand& s, std::string_view field, int32_t partitions,
                   std::vector<float>& out);
  void read_column(const isa::AccessPattern& ap, std::string_view field, int32_t partitions,
                   std::vector<float>& out);

  // Stores P * F values (fp32, cast to ap.dtype / raw bytes in ap.dtype) and sets the written-flags.
  void write(const isa::AccessPattern& ap, std::string_view field, const float* values);
  void write_raw(const isa::AccessPattern& ap, std::string_view field, const std::byte* bytes);

  // Non-null: every read folds the values it returns into *digest (digest_bytes), for comparing what an
  // instruction read in two runs (sim/func/execution_log.hpp). Null (the default) costs one test per read.
  void digest_reads_into(uint64_t* digest) { m_read_digest = digest; }

  // Faults unless `ap` is well formed and inside its memory (what every read and write checks first);
  // for operands whose element count sizes scratch before they are written.
  void require_valid(const isa::AccessPattern& ap, std::string_view field) const { resolve(ap, field); }
  // Faults unless `ap` is [partitions, free] (element counts, whatever the dims).
  static void require_shape(const isa::AccessPattern& ap, std::string_view field, int64_t partitions,
                            int64_t free);

 private:
  // An access pattern resolved to memory. Element (p, e) (e = free element offset in elements) lives
  // at byte bytes[base + p * partition_step + e * elem_size]; its written-flags are flag_width bytes of
  // written[(byte position) / flag_divisor] (on chip a flag per byte, in HBM a flag per element).
  struct Target {
    std::byte* bytes = nullptr;
    uint8_t* written = nullptr;
    int64_t base = 0;
    int64_t partition_step = 0;
    int64_t elem_size = 1;
    int64_t flag_divisor = 1;
    int64_t flag_width = 1;
    const isa::AccessPattern* ap = nullptr;
    const HbmTensor* tensor = nullptr;  // HBM only, for messages
  };
  // Free dims with unit-count dims dropped and contiguous neighbours merged (same element order,
  // longer innermost runs); at least one dim.
  struct Runs {
    int ndim = 0;
    std::array<isa::ApDim, isa::kMaxFreeDims> dims{};
  };

  Target resolve(const isa::AccessPattern& ap, std::string_view field) const;
  static Runs runs_of(const isa::AccessPattern& ap);
  // fn(partition index relative to the pattern, byte position of the run's first element, count,
  // stride in elements) for every innermost run, in element order.
  template <class Fn>
  static void for_each_run(const Target& t, Fn&& fn);
  static void check_written(const Target& t, std::string_view field, int32_t p, int64_t pos, int64_t count,
                            int64_t stride);
  [[noreturn]] static void unwritten_fault(const Target& t, std::string_view field, int32_t p, int64_t pos);
  static void mark_written(const Target& t, int64_t pos, int64_t count, int64_t stride);

  CoreState& m_core;
  std::vector<HbmTensor*> m_tensors;
  uint64_t* m_read_digest = nullptr;
};

// Folds n bytes into a 64-bit digest (FNV-1a over words): equal bytes give equal digests.
uint64_t digest_bytes(uint64_t digest, const void* data, size_t n);

}  // namespace tn::sim
