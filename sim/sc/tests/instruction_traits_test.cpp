// ProgramTraits: what the timed run reads per instruction instead of asking the operation each time.
#include "sim/sc/instruction_traits.hpp"

#include <doctest/doctest.h>

#include "sim/sc/tests/test_program.hpp"

using namespace tn;
using sc::testing::hbm2d;
using sc::testing::psum2d;
using sc::testing::sbuf2d;
using sc::testing::TestProgram;

TEST_CASE("instruction traits: each instruction's questions answered once, per stream and index") {
  TestProgram t;
  const int32_t x = t.tensor("x", DType::kBFloat16, {128, 128}, isa::TensorKind::kInput);
  const int32_t q = t.stream("qSyncIO0", isa::Engine::kDma);
  const int32_t pe = t.stream("pe", isa::Engine::kPe);
  const int32_t flag = t.sem("flag");
  t.emit(q, isa::DmaCopy{sbuf2d(DType::kBFloat16, 0, 128, 128), hbm2d(x, DType::kBFloat16, 128, 128)});
  t.emit(q, isa::SemSignal{flag, 1});
  t.emit(pe, isa::LoadStationary{sbuf2d(DType::kBFloat16, 0, 128, 128)}, {t.after(q, 1)});
  t.emit(pe, isa::MultiplyMoving{psum2d(DType::kFloat32, 0, 128, 128), sbuf2d(DType::kBFloat16, 0, 128, 128),
                                 false});
  t.emit(pe, isa::SemWait{flag, 1});
  t.emit(pe, isa::SemSignal{flag, -1}, {isa::SemCondition{flag, 0, 1}});
  t.emit(pe, isa::RegSet{isa::kLoopRegister, 3});

  const sc::ProgramTraits traits(t.p);
  CHECK(traits.of(q, 0) == sc::kDmaTransfer);
  CHECK(traits.of(q, 1) == sc::kSignal);
  CHECK(traits.of(pe, 0) == (sc::kHasConditions | sc::kPeArray | sc::kLoadStationary));
  CHECK(traits.of(pe, 1) == sc::kPeArray);
  // A sem_wait's own condition is a condition; a semaphore instruction on TensorE's stream is not the
  // array's.
  CHECK(traits.of(pe, 2) == sc::kHasConditions);
  CHECK(traits.of(pe, 3) == (sc::kHasConditions | sc::kConsumes | sc::kSignal));
  CHECK(traits.of(pe, 4) == sc::kSequencerControl);  // a register write: zero time, no yield of the engine
}
