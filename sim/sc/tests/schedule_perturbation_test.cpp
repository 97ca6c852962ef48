// Perturbed schedules (TimedRunOptions::perturb_schedule_seed): a synchronised program computes what
// run_functional does under any seed; a program with a missing wait does not. Each SystemC case runs
// one timed run (its own process).
#include "sim/sc/schedule_perturbation.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <string>

#include "sim/func/functional_runner.hpp"
#include "sim/func/race_report.hpp"
#include "sim/sc/tests/test_program.hpp"
#include "sim/sc/timed_run.hpp"
#include "sim/timing/tests/trn2_preset.hpp"

using namespace tn;
using sc::testing::hbm2d;
using sc::testing::sbuf2d;
using sc::testing::TestProgram;
using timing::testing::trn2;

namespace {

// The five-stream pipeline, then Vector overwrites its result tile: the copy out waits for the add only, and
// the overwrite waits for the copy, a WAR ordering that no schedule may break.
TestProgram synchronised_program() {
  TestProgram t = sc::testing::five_stream_pipeline();
  const int32_t dve = 3, q1 = 4;  // Vector and qSyncIO1 (five_stream_pipeline's order)
  t.emit(dve, isa::Memset{sbuf2d(DType::kFloat32, 1536, 128, 64), 7.0f}, {t.after(q1, 1)});
  return t;
}

// kTiles tiles, each written twice by Vector (1.0, then 2.0) and copied out by a DMA queue that waits for
// the first write only: the missing wait is the copy's on the second write (and the second write's on the
// copy). Which value a copy sees depends on which of the two starts first, so some of the many races go
// the other way under any perturbed schedule.
constexpr int kTiles = 32;
TestProgram racy_program() {
  TestProgram t;
  const auto f32 = DType::kFloat32;
  const int32_t dve = t.stream("Vector", isa::Engine::kDve);
  const int32_t q = t.stream("qSyncIO0", isa::Engine::kDma);
  for (int i = 0; i < kTiles; ++i) {
    const int32_t out = t.tensor("out" + std::to_string(i), f32, {128, 16}, isa::TensorKind::kOutput);
    t.emit(dve, isa::Memset{sbuf2d(f32, 64 * i, 128, 16), 1.0f});
    t.emit(dve, isa::Memset{sbuf2d(f32, 64 * i, 128, 16), 2.0f});
    t.emit(q, isa::DmaCopy{hbm2d(out, f32, 128, 16), sbuf2d(f32, 64 * i, 128, 16)},
           {t.after(dve, 2 * i + 1)});
  }
  return t;
}

// The outputs of `t` whose bytes differ between run_functional and a timed run perturbed with `seed`.
std::vector<std::string> outputs_differing_from_functional(const TestProgram& t, uint64_t seed) {
  sim::Hbm timed;
  sc::testing::fill_inputs(timed, t.p, 0.25f);
  sim::Hbm functional = timed;
  sim::run_functional({&t.p}, functional, trn2().memory_limits());
  trace::NullTraceSink sink;
  sc::TimedRunOptions options;
  options.perturb_schedule_seed = seed;
  sc::run_timed({&t.p}, timed, trn2(), sink, options);
  std::vector<std::string> differing;
  for (const isa::TensorDecl& d : t.p.tensors) {
    if (d.kind != isa::TensorKind::kOutput)
      continue;
    REQUIRE(timed.unwritten_elements(d.name) == 0);
    if (timed.at(d.name).bytes != functional.at(d.name).bytes)
      differing.push_back(d.name);
  }
  return differing;
}

}  // namespace

TEST_CASE("schedule perturbation: issue delays are a bounded pure function of (seed, core, stream, seq)") {
  const sc::SchedulePerturbation a(7), b(7), c(8);
  CHECK_FALSE(sc::SchedulePerturbation(0).enabled());
  CHECK(a.enabled());
  int zeros = 0, differ_by_seed = 0;
  for (uint64_t seq = 0; seq < 4000; ++seq) {
    const uint64_t d = a.issue_delay_ps(1, 3, seq);
    CHECK(d == b.issue_delay_ps(1, 3, seq));
    CHECK(d <= sc::SchedulePerturbation::kMaxIssueDelayPs);
    zeros += d == 0;
    differ_by_seed += d != c.issue_delay_ps(1, 3, seq);
  }
  // About a quarter issue at once (the low two bits of a well-mixed hash); other seeds give other delays.
  CHECK(zeros > 800);
  CHECK(zeros < 1200);
  CHECK(differ_by_seed > 3000);
  CHECK(a.issue_delay_ps(0, 3, 5) != a.issue_delay_ps(1, 3, 5));
  CHECK(a.issue_delay_ps(1, 2, 5) != a.issue_delay_ps(1, 3, 5));
}

TEST_CASE("schedule perturbation: a shuffle is a permutation, the same for the same seed") {
  std::vector<int> x(50), y;
  std::iota(x.begin(), x.end(), 0);
  y = x;
  sc::SchedulePerturbation a(3), b(3);
  a.shuffle(x);
  b.shuffle(y);
  CHECK(x == y);
  std::vector<int> sorted = x;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int> identity(50);
  std::iota(identity.begin(), identity.end(), 0);
  CHECK(sorted == identity);
  CHECK(x != identity);
}

TEST_CASE("schedule perturbation: a synchronised program computes run_functional's outputs (seed 1)") {
  CHECK(outputs_differing_from_functional(synchronised_program(), 1).empty());
}

TEST_CASE("schedule perturbation: a synchronised program computes run_functional's outputs (seed 12345)") {
  CHECK(outputs_differing_from_functional(synchronised_program(), 12345).empty());
}

TEST_CASE("schedule perturbation: a missing wait changes outputs (seed 1)") {
  CHECK_FALSE(outputs_differing_from_functional(racy_program(), 1).empty());
}

TEST_CASE("schedule perturbation: a missing wait changes outputs (seed 99)") {
  CHECK_FALSE(outputs_differing_from_functional(racy_program(), 99).empty());
}

TEST_CASE("schedule perturbation: the race is reported with its two instructions (seed 1)") {
  const TestProgram t = racy_program();
  sim::Hbm timed;
  sc::testing::fill_inputs(timed, t.p, 0.25f);
  sim::Hbm functional = timed;
  sim::ExecutionLog functional_log(1, {&t.p}), timed_log(1, {&t.p});
  sim::FunctionalOptions functional_options;
  functional_options.execution_log = &functional_log;
  sim::run_functional({&t.p}, functional, trn2().memory_limits(), functional_options);
  trace::NullTraceSink sink;
  sc::TimedRunOptions options;
  options.perturb_schedule_seed = 1;
  options.execution_log = &timed_log;
  sc::run_timed({&t.p}, timed, trn2(), sink, options);
  // Whichever tile raced first, its copy (qSyncIO0[i], line i + 1) is named with the second write of its
  // tile (Vector[2i + 1], line 2i + 2): find which from the message and check the pair.
  const std::string race = sim::describe_race({&t.p}, functional_log, timed_log, {0, "out0", 0});
  INFO(race);
  const std::string prefix = "qSyncIO0[";
  REQUIRE(race.rfind(prefix, 0) == 0);
  const int tile = std::stoi(race.substr(prefix.size()));
  CHECK(race.find("dma_copy (test.cpp:" + std::to_string(tile + 1) +
                  ") is the first instruction to read other data") != std::string::npos);
  CHECK(race.find("Vector[" + std::to_string(2 * tile + 1) + "] memset (test.cpp:" +
                  std::to_string(2 * tile + 2) + "), which writes memory it reads") != std::string::npos);
  CHECK(race.find("no semaphore orders the two") != std::string::npos);
}

TEST_CASE("schedule perturbation: unperturbed, the same missing wait hides (why the mode exists)") {
  // Every copy and the second write of its tile become ready at the same retirement; the unperturbed
  // schedule happens to order them as run_functional does.
  CHECK(outputs_differing_from_functional(racy_program(), 0).empty());
}
