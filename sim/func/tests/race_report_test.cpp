// describe_race names the two instructions of a race from two runs' execution logs. Two functional runs
// on different interleavings (FunctionalOptions::schedule_seed) stand in for the functional and the timed
// pass; the SystemC tests check it on a perturbed timed run (sim/sc/tests/schedule_perturbation_test.cpp).
#include "sim/func/race_report.hpp"

#include <doctest/doctest.h>

#include <optional>

#include "sim/func/functional_runner.hpp"
#include "sim/sc/tests/test_program.hpp"

namespace tn::sim {
namespace {

using sc::testing::hbm2d;
using sc::testing::sbuf2d;
using sc::testing::TestProgram;

const isa::MemoryLimits kLimits{};

struct LoggedRun {
  ExecutionLog log;
  std::vector<std::byte> out;
};

LoggedRun run_logged(const TestProgram& t, uint64_t schedule_seed) {
  Hbm hbm;
  sc::testing::fill_inputs(hbm, t.p);
  LoggedRun run{ExecutionLog(1, {&t.p}), {}};
  FunctionalOptions options;
  options.schedule_seed = schedule_seed;
  options.execution_log = &run.log;
  run_functional({&t.p}, hbm, kLimits, options);
  run.out = hbm.at("out").bytes;
  return run;
}

// The first schedule seed whose run's output differs from the round-robin run's.
std::optional<LoggedRun> differing_run(const TestProgram& t, const LoggedRun& round_robin) {
  for (uint64_t seed = 1; seed < 200; ++seed) {
    LoggedRun r = run_logged(t, seed);
    if (r.out != round_robin.out)
      return r;
  }
  return std::nullopt;
}

TEST_CASE("race report: a read that raced a write names the reader and the writer") {
  // Vector writes the tile twice; the copy out waits for the first write only (the missing wait).
  TestProgram t;
  const auto f32 = DType::kFloat32;
  const int32_t out = t.tensor("out", f32, {128, 16}, isa::TensorKind::kOutput);
  const int32_t dve = t.stream("Vector", isa::Engine::kDve);
  const int32_t q = t.stream("qSyncIO0", isa::Engine::kDma);
  t.emit(dve, isa::Memset{sbuf2d(f32, 0, 128, 16), 1.0f});
  t.emit(dve, isa::Memset{sbuf2d(f32, 0, 128, 16), 2.0f});
  t.emit(q, isa::DmaCopy{hbm2d(out, f32, 128, 16), sbuf2d(f32, 0, 128, 16)}, {t.after(dve, 1)});
  const LoggedRun expected = run_logged(t, 0);
  const auto observed = differing_run(t, expected);
  REQUIRE(observed);
  const std::string race = describe_race({&t.p}, expected.log, observed->log, {0, "out", 0});
  INFO(race);
  // Round-robin runs Vector to its end first; the other interleaving copies between the two writes.
  CHECK(race.find("qSyncIO0[0] dma_copy (test.cpp:1) is the first instruction to read other data") == 0);
  CHECK(race.find(
            "in the timed pass it ran before Vector[1] memset (test.cpp:2), which writes memory it reads, "
            "and in the functional pass after it; no semaphore orders the two") != std::string::npos);
  // The same logs the other way round: the reader ran after the writer in the "timed" one.
  const std::string reversed = describe_race({&t.p}, observed->log, expected.log, {0, "out", 0});
  CHECK(reversed.find("in the timed pass it ran after Vector[1] memset (test.cpp:2)") != std::string::npos);
}

TEST_CASE("race report: two writes of an output in either order name the two writers") {
  // Two queues copy different tiles to the same output, each after its own tile's write, with no order
  // between them: every read agrees, the last writer differs.
  TestProgram t;
  const auto f32 = DType::kFloat32;
  const int32_t out = t.tensor("out", f32, {128, 16}, isa::TensorKind::kOutput);
  const int32_t dve = t.stream("Vector", isa::Engine::kDve);
  const int32_t q0 = t.stream("qSyncIO0", isa::Engine::kDma);
  const int32_t q1 = t.stream("qSyncIO1", isa::Engine::kDma);
  t.emit(dve, isa::Memset{sbuf2d(f32, 0, 128, 16), 1.0f});
  t.emit(dve, isa::Memset{sbuf2d(f32, 64, 128, 16), 2.0f});
  t.emit(q0, isa::DmaCopy{hbm2d(out, f32, 128, 16), sbuf2d(f32, 0, 128, 16)}, {t.after(dve, 1)});
  t.emit(q1, isa::DmaCopy{hbm2d(out, f32, 128, 16), sbuf2d(f32, 64, 128, 16)}, {t.after(dve, 2)});
  const LoggedRun expected = run_logged(t, 0);
  const auto observed = differing_run(t, expected);
  REQUIRE(observed);
  const std::string race = describe_race({&t.p}, expected.log, observed->log, {0, "out", 0});
  INFO(race);
  CHECK(race.find(
            "every instruction read the same data in both passes, but the last write of out element 0") == 0);
  // Round-robin: q0 then q1, so q1 wrote last there.
  CHECK(race.find(
            "is qSyncIO0[0] dma_copy (test.cpp:1) in the timed pass and qSyncIO1[0] dma_copy (test.cpp:1) "
            "in the functional pass") != std::string::npos);
}

TEST_CASE("race report: logs of the same schedule show nothing to name") {
  TestProgram t = sc::testing::five_stream_pipeline();
  const LoggedRun a = run_logged(t, 0), b = run_logged(t, 0);
  CHECK(a.out == b.out);
  CHECK(describe_race({&t.p}, a.log, b.log, {0, "out", 0}).empty());
  // Every executed instruction is in the log, in each stream's order, with distinct global orders.
  size_t logged = 0;
  for (uint32_t s = 0; s < a.log.streams(0); ++s) {
    const auto& runs = a.log.of(0, 0, s);
    logged += runs.size();
    for (size_t k = 1; k < runs.size(); ++k)
      CHECK(runs[k].order > runs[k - 1].order);
  }
  CHECK(logged == t.p.num_instructions());
}

}  // namespace
}  // namespace tn::sim
