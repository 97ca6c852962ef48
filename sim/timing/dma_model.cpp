#include "sim/timing/dma_model.hpp"

#include <algorithm>
#include <cmath>

namespace tn::timing {

BandwidthServer& HbmStacks::stack_of(uint32_t core) {
  const size_t stack = core / static_cast<uint32_t>(m_hw.hbm_cores_per_stack);
  while (m_stacks.size() <= stack) {
    m_stacks.emplace_back(m_hw.hbm_bytes_per_ns_per_stack());
  }
  return m_stacks[stack];
}

DmaModel::DmaModel(const HwConfig& hw, BandwidthServer& hbm_stack)
    : m_fixed_latency_ps(static_cast<uint64_t>(std::llround(hw.dma_fixed_latency_ns * 1000.0))),
      m_packet_overhead_ps(static_cast<uint64_t>(std::llround(hw.dma_packet_overhead_ns * 1000.0))),
      m_hwdge_ps(static_cast<uint64_t>(std::llround(hw.dma_hwdge_instruction_ns * 1000.0))),
      m_swdge_ps(cycles_to_ps(uint64_t(hw.dma_swdge_gpsimd_cycles), hw.pool_clock_mhz)),
      m_engines(static_cast<size_t>(hw.dma_engines), BandwidthServer(hw.dma_bytes_per_ns_per_engine)),
      m_hbm(hbm_stack) {}

DmaTiming DmaModel::issue(uint64_t now_ps, const InstructionCost& cost, isa::DgeMode dge,
                          isa::Engine trigger) {
  // Data moves once the descriptors exist: at issue when they were built before the run. The fixed cost
  // (descriptor setup, synchronisation, semaphore write) runs alongside and sets the shortest possible
  // issue-to-completion time.
  TimeInterval descriptors{now_ps, now_ps};
  const auto generate = [&](uint64_t& free_ps, uint64_t duration_ps) {
    descriptors.start_ps = std::max(now_ps, free_ps);
    descriptors.end_ps = descriptors.start_ps + duration_ps;
    free_ps = descriptors.end_ps;
  };
  if (dge == isa::DgeMode::kHardware)
    generate(m_dge_free_ps[trigger == isa::Engine::kAct ? 1 : 0], m_hwdge_ps);
  else if (dge == isa::DgeMode::kSoftware)
    generate(m_gpsimd_free_ps, m_swdge_ps);
  const uint64_t ready = descriptors.end_ps;
  const uint64_t n_engines = m_engines.size();
  const uint64_t rows = std::max<int32_t>(cost.dma.rows, 1);
  const uint64_t used = std::min(rows, n_engines);
  const uint64_t bytes = cost.dma.bytes;
  const uint64_t packets = cost.dma.packets;
  uint64_t first = UINT64_MAX, last = ready;
  uint64_t rows_before = 0, bytes_before = 0, packets_before = 0;
  // The engines share one rate, so a share's duration depends on its bytes and packets alone, and
  // consecutive engines mostly get equal shares: compute each distinct duration once. When the rows,
  // bytes and packets divide evenly over the engines used (the usual case), every share is 1 / used.
  const bool even = rows % used == 0 && bytes % used == 0 && packets % used == 0;
  uint64_t last_bytes = UINT64_MAX, last_packets = UINT64_MAX, last_duration = 0;
  size_t e = m_next_engine;
  for (uint64_t k = 0; k < used; ++k) {
    uint64_t my_bytes = bytes / used, my_packets = packets / used;
    if (!even) {
      // Engine k of this transfer takes rows k, k + E, k + 2E, ...; bytes and packets split in proportion
      // to rows.
      rows_before += rows / n_engines + (k < rows % n_engines ? 1 : 0);
      const uint64_t bytes_through = bytes * rows_before / rows;
      const uint64_t packets_through = packets * rows_before / rows;
      my_bytes = bytes_through - bytes_before;
      my_packets = packets_through - packets_before;
      bytes_before = bytes_through;
      packets_before = packets_through;
    }
    BandwidthServer& engine = m_engines[e];
    e = e + 1 == n_engines ? 0 : e + 1;
    if (my_bytes != last_bytes || my_packets != last_packets) {
      last_bytes = my_bytes;
      last_packets = my_packets;
      last_duration = engine.duration_ps(my_bytes, cost.dma.efficiency) + my_packets * m_packet_overhead_ps;
    }
    const TimeInterval t = engine.reserve_for(ready, my_bytes, last_duration);
    first = std::min(first, t.start_ps);
    last = std::max(last, t.end_ps);
  }
  m_next_engine = (m_next_engine + used) % n_engines;
  // HBM serves the bytes as the engines move them, so its reservation starts with the first engine.
  if (const uint64_t hbm_bytes = cost.read.hbm + cost.written.hbm; hbm_bytes > 0) {
    last = std::max(last, m_hbm.reserve(first, hbm_bytes).end_ps);
  }
  return {now_ps, descriptors, first, last, std::max(last, now_ps + m_fixed_latency_ps)};
}

TimeInterval DmaModel::move_packets(uint64_t ready_ps, uint64_t bytes, uint64_t packet_bytes) {
  const uint64_t n_engines = m_engines.size();
  const uint64_t packets = std::max<uint64_t>(1, (bytes + packet_bytes - 1) / packet_bytes);
  const uint64_t used = std::min(packets, n_engines);
  uint64_t first = UINT64_MAX, last = ready_ps;
  for (uint64_t k = 0; k < used; ++k) {
    // Engine k takes packets k, k + E, ...; the last packet may be short.
    const uint64_t my_packets = packets / n_engines + (k < packets % n_engines ? 1 : 0);
    const uint64_t last_packet = (k + (my_packets - 1) * n_engines == packets - 1);
    const uint64_t my_bytes = last_packet
                                  ? (my_packets - 1) * packet_bytes + (bytes - (packets - 1) * packet_bytes)
                                  : my_packets * packet_bytes;
    BandwidthServer& engine = m_engines[(m_next_engine + k) % n_engines];
    const TimeInterval t = engine.reserve_for(
        ready_ps, my_bytes, engine.duration_ps(my_bytes) + my_packets * m_packet_overhead_ps);
    first = std::min(first, t.start_ps);
    last = std::max(last, t.end_ps);
  }
  m_next_engine = (m_next_engine + used) % n_engines;
  return {first, last};
}

}  // namespace tn::timing
