// The ScalarE/VectorE pipeline's two published costs (hardware.md §1.2, §1.4, §4.1): a static overhead
// that tiny instructions show (an engine is busy max(N x passes, MIN_II 64 + 100) cycles) and the commit
// of an instruction's output 100 cycles after it ends, before which no RAW-dependent consumer starts, on
// the same engine or another. Timing-only runs on hand-built programs; each case runs in its own process.
// cycles -> ps is round(cycles * 1e6 / MHz) once per instruction: ScalarE 1.2 GHz on trn2 and 1.4 GHz on
// trn1, VectorE 0.96 GHz on trn2.
#include <doctest/doctest.h>

#include "sim/sc/tests/test_program.hpp"
#include "sim/sc/timed_run.hpp"
#include "sim/timing/tests/trn2_preset.hpp"

using namespace tn;
using sc::testing::sbuf2d;
using sc::testing::TestProgram;
using timing::testing::trn2;

namespace {

constexpr auto kF32 = DType::kFloat32;

isa::Activation exp_of(isa::AccessPattern dst, isa::AccessPattern src) {
  return isa::Activation{dst, src, isa::ActFunc::kExp, isa::imm(1.0f), {}, {}};
}

// `count` one-element activations; dependent: each reads what the previous one wrote (ping-pong between
// two addresses); otherwise all read one address and write their own.
TestProgram act_chain(int count, bool dependent, int64_t elements = 1) {
  TestProgram t;
  const int32_t act = t.stream("Scalar", isa::Engine::kAct);
  const int64_t bytes = elements * 4;
  for (int i = 0; i < count; ++i) {
    const int64_t src = dependent ? (i % 2) * bytes : 0;
    const int64_t dst = dependent ? ((i + 1) % 2) * bytes : (i + 1) * bytes;
    t.emit(act, exp_of(sbuf2d(kF32, dst, 1, elements), sbuf2d(kF32, src, 1, elements)));
  }
  return t;
}

uint64_t run(const isa::Program& p, const timing::HwConfig& hw) {
  sim::Hbm hbm;
  trace::NullTraceSink sink;
  sc::TimedRunOptions options;
  options.execute_numerics = false;
  return sc::run_timed({&p}, hbm, hw, sink, options).total_ps;
}

}  // namespace

TEST_CASE("dependency latency: RAW-dependent 1-element ScalarE instructions every 264 cycles (trn2)") {
  // Each: 164 cycles busy (136667 ps) + 100 cycles to commit (83333 ps) before the next may start =
  // 220000 ps; the last one's commit ends the run. 220 ns against the NKI guide's 222 ns on NC-v3.
  CHECK(run(act_chain(100, true).p, trn2()) == 100 * 220000);
}

TEST_CASE("dependency latency: the same chain on trn1 is the 189 ns NC-v2 measurement") {
  // 164 cycles at 1.4 GHz = 117143 ps, 100 cycles = 71429 ps: 188572 ps per instruction, against the
  // 189 ns = 264 ACT cycles measured (hardware.md §4.1 [S14]).
  CHECK(run(act_chain(100, true).p, timing::load_hw_config("trn1")) == 100 * 188572);
}

TEST_CASE("dependency latency: independent tiny ScalarE instructions issue every 164 cycles") {
  // Back to back at 136667 ps each; only the last commit (83333 ps) adds to the run.
  CHECK(run(act_chain(100, false).p, trn2()) == 100 * 136667 + 83333);
}

// N = 2048: max(2048, 164) = 2048 cycles = 1706667 ps: the static overhead is hidden (one run per process).
TEST_CASE("dependency latency: long independent instructions stream at N cycles") {
  // Back to back, plus the last commit.
  CHECK(run(act_chain(4, false, 2048).p, trn2()) == 4 * 1706667 + 83333);
}

TEST_CASE("dependency latency: a long instruction hides the static overhead but not the commit") {
  // Dependent, each waits 83333 ps for the previous commit: the "~100 cycles for RAW-dependent chains" of
  // hardware.md §4.1.
  CHECK(run(act_chain(4, true, 2048).p, trn2()) == 4 * (1706667 + 83333));
}

TEST_CASE(
    "dependency latency: a tiny VectorE instruction costs 164 cycles, and its consumer waits the commit") {
  TestProgram t;
  const int32_t dve = t.stream("Vector", isa::Engine::kDve);
  t.emit(dve, isa::TensorCopy{sbuf2d(kF32, 4, 1, 1), sbuf2d(kF32, 0, 1, 1)});
  t.emit(dve, isa::TensorCopy{sbuf2d(kF32, 8, 1, 1), sbuf2d(kF32, 4, 1, 1)});
  // 164 cycles / 0.96 GHz = 170833 ps each, 100 cycles = 104167 ps to commit, twice (the second one's
  // commit ends the run).
  CHECK(run(t.p, trn2()) == 2 * (170833 + 104167));
}

TEST_CASE(
    "dependency latency: a consumer on another engine sees the producer's commit through its semaphore") {
  TestProgram t;
  const int32_t act = t.stream("Scalar", isa::Engine::kAct);
  const int32_t dve = t.stream("Vector", isa::Engine::kDve);
  t.emit(act, exp_of(sbuf2d(kF32, 4, 1, 1), sbuf2d(kF32, 0, 1, 1)));
  t.emit(dve, isa::TensorCopy{sbuf2d(kF32, 8, 1, 1), sbuf2d(kF32, 4, 1, 1)}, {t.after(act, 1)});
  // ScalarE: 136667 ps busy, retires (signals) at its commit 83333 ps later = 220000 ps; VectorE then
  // 170833 ps busy and 104167 ps to commit: 495000 ps.
  CHECK(run(t.p, trn2()) == 220000 + 170833 + 104167);
}

// reg_set r0 = 10; body: activation X -> X (in place) or X -> Y; r0 -= 1; branch body if r0 > 0. The body's
// predecessor in program order writes nothing: the dependency is on the previous trip, after the branch.
TestProgram act_loop(bool in_place) {
  TestProgram t;
  const int32_t act = t.stream("Scalar", isa::Engine::kAct);
  t.emit(act, isa::RegSet{0, 10});
  t.emit(act, exp_of(sbuf2d(kF32, in_place ? 0 : 4, 1, 1), sbuf2d(kF32, 0, 1, 1)));
  t.emit(act, isa::RegOp{0, 0, isa::AluOp::kSubtract, isa::imm_operand(1)});
  t.emit(act, isa::Branch{1, isa::BranchCond::kGt, 0, 0});
  return t;
}

TEST_CASE("dependency latency: inside a loop, the body depends on its own previous trip") {
  // Sequencer instructions take no time on trn2: 10 trips of 220000 ps.
  CHECK(run(act_loop(true).p, trn2()) == 10 * 220000);
}

TEST_CASE("dependency latency: inside a loop, a body that does not read its own output streams") {
  // 10 trips of 136667 ps, plus the last commit.
  CHECK(run(act_loop(false).p, trn2()) == 10 * 136667 + 83333);
}
