// The on-chip state of one NeuronCore: SBUF and PSUM as byte arrays [partition][byte], with a
// written-flag per byte so that reading memory nothing has stored is reported (fresh SBUF and PSUM
// are poisoned, like the NKI simulator's NaN fill but exact), and the PE array's stationary operand.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "isa/validator.hpp"

namespace tn::sim {

class OnChipMemory {
 public:
  // Without data (`holds_data` false: a run without numerics) only the geometry is kept; rows must not be
  // touched.
  OnChipMemory(int32_t partitions, int64_t bytes_per_partition, bool holds_data = true);
  std::byte* row(int32_t partition) { return m_bytes.data() + partition * m_row_bytes; }
  const std::byte* row(int32_t partition) const { return m_bytes.data() + partition * m_row_bytes; }
  uint8_t* written_row(int32_t partition) { return m_written.data() + partition * m_row_bytes; }
  const uint8_t* written_row(int32_t partition) const { return m_written.data() + partition * m_row_bytes; }
  int64_t row_bytes() const { return m_row_bytes; }
  int32_t partitions() const { return m_partitions; }
  bool holds_data() const { return !m_bytes.empty(); }

 private:
  int32_t m_partitions;
  int64_t m_row_bytes;
  std::vector<std::byte> m_bytes;
  std::vector<uint8_t> m_written;
};

struct CoreState {
  explicit CoreState(const isa::MemoryLimits& limits, bool holds_data = true)
      : sbuf(limits.num_partitions, limits.sbuf_partition_bytes, holds_data),
        psum(limits.num_partitions, limits.psum_partition_bytes, holds_data) {}
  OnChipMemory sbuf;
  OnChipMemory psum;
  // PE stationary operand as loaded by load_stationary: [K rows][M columns] fp32 (exact copies of the
  // bf16/fp16/fp8/fp32 inputs).
  std::vector<float> stationary;
  int32_t stationary_rows = 0;  // K
  int32_t stationary_cols = 0;  // M
};

}  // namespace tn::sim
