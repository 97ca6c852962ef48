// Who generates a DMA queue's descriptors (hardware.md §1.8, the NKI DGE reference [S16]): the host before
// the run ("none", descriptors kept in HBM), the GpSimd engine at run time (software DGE), or one of the
// NeuronCore's hardware DGE blocks, commanded by the Sync or Scalar sequencer (NeuronCore-v3 and later).
// The mode decides which DMAs a queue can run: only a DGE computes an address at run time (a register
// offset, an index read from SBUF), only software DGE gathers with a column of indices, and hardware DGE
// moves bytes without converting dtypes.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace tn::isa {

enum class DgeMode : uint8_t { kNone, kHardware, kSoftware };

// "none", "hwdge", "swdge": NKI's nki.isa.dge_mode names, in program JSON, disassembly and the trace.
std::string_view dge_mode_name(DgeMode mode);
std::optional<DgeMode> dge_mode_from_name(std::string_view name);

}  // namespace tn::isa
