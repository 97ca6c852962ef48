// DMA timing (hardware.md §1.8, §1.9). A transfer's rows (the source's outer partition dimension) are
// dealt round-robin over the core's DMA engines (a 128-partition transfer gives each of 16 engines 8
// rows); each engine is a busy-until server that moves its share's bytes at the peak per-engine rate
// and pays dma.packet_overhead_ns per packet (a contiguous run of a row, cut at 4 KiB), so full packets
// move at the effective rate and short rows are overhead-bound. The HBM side of the transfer also goes
// through the core's HBM stack, shared by the cores on that stack. The ~1.3 us fixed cost (descriptor
// setup, synchronisation, semaphore write) is the shortest issue-to-completion time of any transfer: it
// runs alongside the data movement and does not occupy the engines, so an isolated 32 KiB
// single-engine transfer takes its 1424.7 ns of data time (8 packets; hardware.md §1.8 measured
// 1416 ns). The transfer completes when every engine's share and the HBM reservation are done, and no
// earlier than issue + fixed cost.
//
// Descriptor generation (hardware.md §1.8 [S12,S16]) comes first, by the queue's DGE mode: none (built
// before the run) costs nothing here; hwdge holds the DGE block of its commanding sequencer (Sync or Scalar)
// for dma.hwdge_instruction_ns; swdge holds the GpSimd engine for dma.swdge_gpsimd_cycles, between the
// GpSimd instructions. The data moves once the descriptors exist. The core's two DGE blocks are modelled
// as one per commanding sequencer: each sequencer is in order, so two blocks never queue beyond them.
#pragma once
#include <algorithm>
#include <cstdint>
#include <deque>
#include <vector>

#include "isa/dge_mode.hpp"
#include "isa/engine.hpp"
#include "sim/timing/bandwidth_server.hpp"
#include "sim/timing/cost_model.hpp"

namespace tn::timing {

struct DmaTiming {
  uint64_t issue_ps = 0;
  TimeInterval descriptors;    // their generation ([issue, issue] for dge none)
  uint64_t data_start_ps = 0;  // first byte moves (once the descriptors exist and an engine is free)
  uint64_t data_end_ps = 0;    // last byte moved (engines and HBM)
  uint64_t complete_ps = 0;  // the transfer's completion: data_end_ps, and no earlier than issue + fixed cost
};

// The HBM stacks of the run: core c uses stack c / cores_per_stack (hardware.md §1.9: on Trn2 each
// stack is shared by 2 physical cores), each at the chip bandwidth divided by the stack count.
class HbmStacks {
 public:
  explicit HbmStacks(const HwConfig& hw) : m_hw(hw) {}
  BandwidthServer& stack_of(uint32_t core);

 private:
  const HwConfig& m_hw;
  std::deque<BandwidthServer> m_stacks;  // grown on demand; deque keeps references stable
};

// The DMA engines of one NeuronCore.
class DmaModel {
 public:
  DmaModel(const HwConfig& hw, BandwidthServer& hbm_stack);

  // Times the DMA instruction whose cost() is `cost`, issued at `now_ps`. Reservations are made in
  // call order, so calls must come in a deterministic order (the SystemC layer sorts simultaneous ones).
  DmaTiming issue(uint64_t now_ps, const InstructionCost& cost, isa::DgeMode dge = isa::DgeMode::kNone,
                  isa::Engine trigger = isa::Engine::kSp);

  // GpSimd runs an instruction until `end_ps`; a software-DGE transfer builds its descriptors after it.
  void gpsimd_busy_until(uint64_t end_ps) { m_gpsimd_free_ps = std::max(m_gpsimd_free_ps, end_ps); }
  // When GpSimd is free of descriptor work (a GpSimd instruction starts no earlier).
  uint64_t gpsimd_free_ps() const { return m_gpsimd_free_ps; }

  // Moves `bytes` of collective traffic in packets of `packet_bytes`, dealt round-robin over the engines
  // from `ready_ps` on (collectives.md §1: the engines are shared with compute traffic), each packet at
  // the same per-packet overhead as compute DMA. Only the engines are reserved; the caller reserves HBM
  // and links. Returns when the first engine starts and the last ends.
  TimeInterval move_packets(uint64_t ready_ps, uint64_t bytes, uint64_t packet_bytes);

  const BandwidthServer& engine(size_t i) const { return m_engines[i]; }
  size_t num_engines() const { return m_engines.size(); }

 private:
  uint64_t m_fixed_latency_ps;
  uint64_t m_packet_overhead_ps;
  uint64_t m_hwdge_ps;
  uint64_t m_swdge_ps;
  uint64_t m_dge_free_ps[2] = {0, 0};  // the hardware DGE blocks commanded by Sync and by Scalar
  uint64_t m_gpsimd_free_ps = 0;
  std::vector<BandwidthServer> m_engines;
  BandwidthServer& m_hbm;
  // Round-robin continues across transfers, so successive small transfers spread over the engines.
  size_t m_next_engine = 0;
};

}  // namespace tn::timing
