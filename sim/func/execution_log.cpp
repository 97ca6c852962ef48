#include "sim/func/execution_log.hpp"

namespace tn::sim {

ExecutionLog::ExecutionLog(uint32_t ranks, const std::vector<const isa::Program*>& programs)
    : m_ranks(ranks) {
  m_stream_base.push_back(0);
  for (const isa::Program* p : programs)
    m_stream_base.push_back(m_stream_base.back() + p->streams.size());
  m_streams.resize(size_t(ranks) * m_stream_base.back());
}

}  // namespace tn::sim
