// NeuronCore-v2's shared SBUF and PSUM ports (hardware.md §1.6): VectorE waits for GpSimdE's SBUF
// instruction and ScalarE's PSUM instruction, and they for it; v3 shares nothing.
#include "sim/timing/shared_access_ports.hpp"

#include <doctest/doctest.h>

#include "sim/timing/tests/trn2_preset.hpp"

using namespace tn;
using isa::Engine;

namespace {

timing::InstructionCost touching(uint64_t sbuf, uint64_t psum) {
  timing::InstructionCost c;
  c.read.sbuf = sbuf;
  c.written.psum = psum;
  return c;
}

}  // namespace

TEST_CASE("shared ports: on trn1 VectorE and GpSimdE take turns on SBUF, VectorE and ScalarE on PSUM") {
  timing::SharedAccessPorts ports(timing::load_hw_config("trn1"));
  REQUIRE(ports.shared());
  ports.occupy(Engine::kPool, touching(512, 0), 1000);
  CHECK(ports.earliest_start(Engine::kDve, touching(512, 0)) == 1000);  // SBUF: after GpSimd
  CHECK(ports.earliest_start(Engine::kDve, touching(0, 512)) == 0);     // PSUM only: GpSimd has none
  CHECK(ports.earliest_start(Engine::kAct, touching(512, 0)) == 0);     // ScalarE does not share SBUF
  ports.occupy(Engine::kAct, touching(0, 512), 3000);
  CHECK(ports.earliest_start(Engine::kDve, touching(512, 512)) == 3000);  // both: the later
  CHECK(ports.earliest_start(Engine::kPool, touching(512, 0)) == 0);      // its own turn never blocks it
  ports.occupy(Engine::kDve, touching(512, 512), 5000);
  CHECK(ports.earliest_start(Engine::kPool, touching(512, 0)) == 5000);
  CHECK(ports.earliest_start(Engine::kAct, touching(0, 512)) == 5000);
  CHECK(ports.earliest_start(Engine::kPe, touching(512, 512)) == 0);  // TensorE shares neither
}

TEST_CASE("shared ports: v3 lifts both conflicts") {
  timing::SharedAccessPorts ports(timing::testing::trn2());
  CHECK(!ports.shared());
  ports.occupy(Engine::kPool, touching(512, 0), 1000);
  CHECK(ports.earliest_start(Engine::kDve, touching(512, 0)) == 0);
}
