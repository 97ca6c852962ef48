#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <set>

#include "sim/func/functional_runner.hpp"
#include "sim/func/tests/bench.hpp"

namespace tn::sim {

using isa::AluOp;
using isa::Engine;
using isa::hbm_ap;
using isa::sbuf_ap;
using isa::SemCondition;
using isa::TensorKind;

namespace {

// Builds a Program stream by stream; every stream gets a completion semaphore "<name>_done".
struct Builder {
  isa::Program p;
  Builder() { p.kernel = "test"; }
  int32_t sem(const std::string& name, int64_t initial = 0) {
    p.semaphores.push_back({name, initial});
    return static_cast<int32_t>(p.semaphores.size() - 1);
  }
  int32_t stream(const std::string& name, Engine e) {
    p.streams.push_back({name, e, sem(name + "_done"), {}});
    return static_cast<int32_t>(p.streams.size() - 1);
  }
  int32_t find_stream(const std::string& name) const {
    for (size_t i = 0; i < p.streams.size(); ++i) {
      if (p.streams[i].name == name) {
        return static_cast<int32_t>(i);
      }
    }
    return -1;
  }
  int32_t done(const std::string& name) const { return p.streams[find_stream(name)].completion_sem; }
  void add(const std::string& stream, const isa::Operation& op, std::vector<SemCondition> waits = {}) {
    p.streams[find_stream(stream)].instructions.push_back({op, std::move(waits), {}});
  }
  int32_t tensor(const std::string& name, DType t, std::vector<int64_t> shape, TensorKind k) {
    p.tensors.push_back({name, t, std::move(shape), k});
    return static_cast<int32_t>(p.tensors.size() - 1);
  }
};

// Four streams passing a tile along: two DMA loads into A, ACT scales A into B, a third load reuses A
// once ACT has read it (a write-after-read hazard), ACT scales it into B2, DVE adds, a DMA stores.
// out = 2 * in + 3 * in2. `order` permutes the streams' positions in the program; `guard_war` = false
// drops the wait that protects A from being overwritten before ACT's first read.
isa::Program pipeline(const std::array<int, 4>& order, bool guard_war = true) {
  const char* names[4] = {"q_in", "act", "dve", "q_out"};
  const Engine engines[4] = {Engine::kDma, Engine::kAct, Engine::kDve, Engine::kDma};
  Builder b;
  for (int i : order) {
    b.stream(names[i], engines[i]);
  }
  const int32_t in = b.tensor("in", DType::kFloat32, {4, 8}, TensorKind::kInput);
  const int32_t in2 = b.tensor("in2", DType::kFloat32, {4, 8}, TensorKind::kInput);
  const int32_t out = b.tensor("out", DType::kFloat32, {4, 8}, TensorKind::kOutput);
  auto A = [](int64_t col, int64_t n) { return sbuf_ap(DType::kFloat32, col * 4, 0, 4, {{1, n}}); };
  auto B = sbuf_ap(DType::kBFloat16, 1024, 0, 4, {{1, 8}});
  auto B2 = sbuf_ap(DType::kFloat32, 2048, 0, 4, {{1, 8}});
  auto C = sbuf_ap(DType::kFloat32, 4096, 0, 4, {{1, 8}});
  b.add("q_in", isa::DmaCopy{A(0, 4), hbm_ap(in, DType::kFloat32, 0, {8, 4}, {{1, 4}})});
  b.add("q_in", isa::DmaCopy{A(4, 4), hbm_ap(in, DType::kFloat32, 4, {8, 4}, {{1, 4}})});
  std::vector<SemCondition> war;
  if (guard_war) {
    war.push_back({b.done("act"), 1});
  }
  b.add("q_in", isa::DmaCopy{A(0, 8), hbm_ap(in2, DType::kFloat32, 0, {8, 4}, {{1, 8}})}, war);
  b.add("act", isa::Activation{B, A(0, 8), isa::ActFunc::kCopy, isa::imm(2), {}, {}}, {{b.done("q_in"), 2}});
  b.add("act", isa::Activation{B2, A(0, 8), isa::ActFunc::kCopy, isa::imm(3), {}, {}}, {{b.done("q_in"), 3}});
  b.add("dve", isa::TensorTensor{C, B, B2, AluOp::kAdd}, {{b.done("act"), 2}});
  b.add("q_out", isa::DmaCopy{hbm_ap(out, DType::kFloat32, 0, {8, 4}, {{1, 8}}), C}, {{b.done("dve"), 1}});
  return b.p;
}

std::vector<float> run_pipeline(const isa::Program& p, uint64_t seed) {
  Hbm hbm;
  std::vector<float> in(32), in2(32);
  for (int i = 0; i < 32; ++i) {
    in[i] = 0.25f * float(i) - 3.0f;
    in2[i] = float(i % 5) - 1.5f;
  }
  hbm.declare(p.tensors[0]);
  hbm.fill("in", in);
  hbm.declare(p.tensors[1]);
  hbm.fill("in2", in2);
  const FunctionalResult r = run_functional({&p}, hbm, isa::MemoryLimits{}, FunctionalOptions{seed});
  CHECK(r.instructions_executed == 7);
  return hbm.read("out");
}

}  // namespace

TEST_CASE("runner: a synchronised pipeline gives the same result in every stream order and schedule") {
  std::vector<float> want(32);
  for (int i = 0; i < 32; ++i) {
    // bf16(2 * in) + 3 * in2: B is bf16, exact for these values.
    want[i] = 2.0f * (0.25f * float(i) - 3.0f) + 3.0f * (float(i % 5) - 1.5f);
  }
  std::array<int, 4> order = {0, 1, 2, 3};
  int runs = 0;
  do {
    for (uint64_t seed : {0, 1, 2, 3, 7, 42}) {
      CHECK(run_pipeline(pipeline(order), seed) == want);
      ++runs;
    }
  } while (std::next_permutation(order.begin(), order.end()));
  CHECK(runs == 24 * 6);
}

TEST_CASE("runner: shuffled schedules expose a missing wait") {
  // Without the write-after-read guard the third load may land before ACT's first read.
  std::set<std::vector<float>> outcomes;
  for (uint64_t seed = 1; seed <= 64; ++seed) {
    outcomes.insert(run_pipeline(pipeline({0, 1, 2, 3}, false), seed));
  }
  CHECK(outcomes.size() > 1);
}

TEST_CASE("runner: a deadlock names every blocked instruction and semaphore") {
  Builder b;
  b.stream("a", Engine::kDve);
  b.stream("b", Engine::kPool);
  auto x = sbuf_ap(DType::kFloat32, 0, 0, 1, {});
  b.add("a", isa::Memset{x, 1.0f});
  b.add("a", isa::Memset{x, 1.0f}, {{b.done("b"), 1}});
  b.add("b", isa::Memset{x, 2.0f}, {{b.done("a"), 2}});
  b.p.streams[1].instructions[0].loc = {"k.cpp", 7};
  Hbm hbm;
  CHECK_THROWS_WITH_AS(run_functional({&b.p}, hbm, isa::MemoryLimits{}),
                       "deadlock: no stream can progress; blocked:\n"
                       "  a[1] memset: waits for semaphore 'b_done' (1) is 0, needs >= 1\n"
                       "  b[0] memset (k.cpp:7): waits for semaphore 'a_done' (0) is 1, needs >= 2",
                       ExecutionError);
}

TEST_CASE("runner: sem_signal adds its delta, sem_wait blocks until the value is reached") {
  Builder b;
  b.stream("sp", Engine::kSp);
  b.stream("dve", Engine::kDve);
  b.stream("q", Engine::kDma);
  const int32_t flag = b.sem("flag", 1);
  const int32_t out = b.tensor("out", DType::kFloat32, {2}, TensorKind::kOutput);
  auto x = sbuf_ap(DType::kFloat32, 0, 0, 1, {{1, 2}});
  b.add("dve", isa::SemWait{flag, 4});
  b.add("dve", isa::Memset{x, 5.0f});
  b.add("sp", isa::SemSignal{flag, 2});
  b.add("sp", isa::SemSignal{flag, 1});
  // The sem_wait retires like any instruction: dve_done reaches 2 after the memset.
  b.add("q", isa::DmaCopy{hbm_ap(out, DType::kFloat32, 0, {2, 1}, {{1, 2}}), x}, {{b.done("dve"), 2}});
  for (uint64_t seed : {0, 5}) {
    Hbm hbm;
    CHECK(run_functional({&b.p}, hbm, isa::MemoryLimits{}, {seed}).instructions_executed == 5);
    CHECK(hbm.read("out") == std::vector<float>{5, 5});
  }
  b.p.streams[1].instructions[0].op = isa::SemWait{flag, 5};
  Hbm hbm;
  CHECK_THROWS_WITH_AS(run_functional({&b.p}, hbm, isa::MemoryLimits{}),
                       "deadlock: no stream can progress; blocked:\n"
                       "  dve[0] sem_wait: sem_wait on semaphore 'flag' (3) is 4, needs >= 5\n"
                       "  q[0] dma_copy: waits for semaphore 'dve_done' (1) is 0, needs >= 2",
                       ExecutionError);
}

TEST_CASE("runner: several cores share HBM, faults name the core and instruction") {
  Hbm hbm;
  hbm.declare({"in", DType::kFloat32, {2, 4}, TensorKind::kInput});
  hbm.fill("in", {1, 2, 3, 4, 5, 6, 7, 8});
  std::vector<isa::Program> programs;
  for (uint32_t core = 0; core < 2; ++core) {
    Builder b;
    b.p.core_id = core;
    b.stream("q", Engine::kDma);
    const int32_t in = b.tensor("in", DType::kFloat32, {2, 4}, TensorKind::kInput);
    const int32_t out = b.tensor("out", DType::kFloat32, {2, 4}, TensorKind::kOutput);
    auto s = sbuf_ap(DType::kFloat32, 0, 0, 1, {{1, 4}});
    b.add("q", isa::DmaCopy{s, hbm_ap(in, DType::kFloat32, 4 * core, {4, 1}, {{1, 4}})});
    b.add("q", isa::DmaCopy{hbm_ap(out, DType::kFloat32, 4 * core, {4, 1}, {{1, 4}}), s}, {{b.done("q"), 1}});
    programs.push_back(b.p);
  }
  CHECK(run_functional({&programs[0], &programs[1]}, hbm, isa::MemoryLimits{}).instructions_executed == 4);
  CHECK(hbm.read("out") == hbm.read("in"));

  // Core 1 reads SBUF its own loads never wrote (core 0's SBUF is separate).
  auto& core1 = programs[1].streams[0].instructions;
  isa::ChunkedVector<isa::Instruction> without_load;
  for (size_t i = 1; i < core1.size(); ++i)
    without_load.push_back(core1[i]);
  core1 = std::move(without_load);
  programs[1].streams[0].instructions[0].waits.clear();
  Hbm hbm2;
  hbm2.declare({"in", DType::kFloat32, {2, 4}, TensorKind::kInput});
  hbm2.fill("in", {1, 2, 3, 4, 5, 6, 7, 8});
  CHECK_THROWS_WITH_AS(run_functional({&programs[0], &programs[1]}, hbm2, isa::MemoryLimits{}),
                       "core 1: q[0] dma_copy: src reads uninitialised sbuf partition 0 bytes [0, 4)",
                       ExecutionError);
}

TEST_CASE("runner: bad semaphore ids are reported before running") {
  Builder b;
  b.stream("dve", Engine::kDve);
  b.add("dve", isa::SemSignal{9, 1});
  Hbm hbm;
  CHECK_THROWS_WITH_AS(run_functional({&b.p}, hbm, isa::MemoryLimits{}),
                       "dve[0] sem_signal: semaphore 9 does not exist", ExecutionError);
}

}  // namespace tn::sim
