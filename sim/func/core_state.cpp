#include "sim/func/core_state.hpp"

namespace tn::sim {

// Fresh SBUF/PSUM is all zero bytes with every written-flag clear: a read before any store is reported
// by the executor rather than returning whatever the zeros decode to.
OnChipMemory::OnChipMemory(int32_t partitions, int64_t bytes_per_partition, bool holds_data)
    : m_partitions(partitions),
      m_row_bytes(bytes_per_partition),
      m_bytes(holds_data ? static_cast<size_t>(partitions) * static_cast<size_t>(bytes_per_partition) : 0,
              std::byte{0}),
      m_written(holds_data ? static_cast<size_t>(partitions) * static_cast<size_t>(bytes_per_partition) : 0,
                0) {}

}  // namespace tn::sim
