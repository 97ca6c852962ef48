#include "sim/timing/shared_access_ports.hpp"

#include <algorithm>

namespace tn::timing {

namespace {

using isa::Engine;

bool touches_sbuf(const InstructionCost& c) { return c.read.sbuf + c.written.sbuf > 0; }
bool touches_psum(const InstructionCost& c) { return c.read.psum + c.written.psum > 0; }

// The engine `e` shares SBUF with (VectorE <-> GpSimdE), or kPe for none.
Engine sbuf_partner(Engine e) {
  return e == Engine::kDve ? Engine::kPool : e == Engine::kPool ? Engine::kDve : Engine::kPe;
}
// The engine `e` shares PSUM with (VectorE <-> ScalarE), or kPe for none.
Engine psum_partner(Engine e) {
  return e == Engine::kDve ? Engine::kAct : e == Engine::kAct ? Engine::kDve : Engine::kPe;
}

}  // namespace

uint64_t SharedAccessPorts::earliest_start(Engine engine, const InstructionCost& cost) const {
  uint64_t t = 0;
  if (!m_shared)
    return t;
  if (const Engine p = sbuf_partner(engine); p != Engine::kPe && touches_sbuf(cost))
    t = std::max(t, m_sbuf_until[size_t(p)]);
  if (const Engine p = psum_partner(engine); p != Engine::kPe && touches_psum(cost))
    t = std::max(t, m_psum_until[size_t(p)]);
  return t;
}

void SharedAccessPorts::occupy(Engine engine, const InstructionCost& cost, uint64_t end_ps) {
  if (!m_shared)
    return;
  if (touches_sbuf(cost))
    m_sbuf_until[size_t(engine)] = std::max(m_sbuf_until[size_t(engine)], end_ps);
  if (touches_psum(cost))
    m_psum_until[size_t(engine)] = std::max(m_psum_until[size_t(engine)], end_ps);
}

}  // namespace tn::timing
