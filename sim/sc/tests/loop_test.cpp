// Timed runs of programs with sequencer control flow: a counted loop (sim/func/tests/loop_program.hpp)
// whose trip count is a runtime HBM value, consuming semaphore waits, the instruction budget, reg_check,
// and dma_gather's trace. Each case runs in its own process (SystemC cannot restart).
#include <doctest/doctest.h>

#include <functional>
#include <string>

#include "sim/func/functional_runner.hpp"
#include "sim/func/tests/loop_program.hpp"
#include "sim/sc/tests/recording_sink.hpp"
#include "sim/sc/timed_run.hpp"

using namespace tn;
using sc::testing::RecordingSink;

namespace {

// trn2 with 12 sequencer cycles per control instruction, so the loop's bookkeeping takes time.
const timing::HwConfig& hw() {
  static const timing::HwConfig h =
      timing::load_hw_config("trn2", {{"sp", {{"sequencer_instruction_cycles", 12}}}});
  return h;
}

void fill(sim::Hbm& hbm, const isa::Program& p, int32_t n) {
  hbm.declare(p.tensors[0]);
  hbm.fill("n", {float(n)});
  hbm.declare(p.tensors[1]);
  hbm.fill("x", sim::test::loop_x());
}

// Runs the loop program functionally and timed with trip count n; checks the outputs agree bit for bit
// and equal (2^(n+1) - 2) x.
sc::TimedRunResult run_both(int32_t n, RecordingSink& sink, const sc::TimedRunOptions& options = {}) {
  const sim::test::LoopProgram lp = sim::test::counted_loop_program();
  sim::Hbm func_hbm, timed_hbm;
  fill(func_hbm, lp.p, n);
  fill(timed_hbm, lp.p, n);
  sim::run_functional({&lp.p}, func_hbm, hw().memory_limits());
  const sc::TimedRunResult r = sc::run_timed({&lp.p}, timed_hbm, hw(), sink, options);
  CHECK(timed_hbm.at("out").bytes == func_hbm.at("out").bytes);
  const std::vector<float> out = timed_hbm.read("out"), x = sim::test::loop_x();
  for (size_t i = 0; i < out.size(); ++i) {
    CHECK(out[i] == float((1 << (n + 1)) - 2) * x[i]);
  }
  return r;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("timed loop: N = 5 iterations with a pinned time and executions counted per opcode") {
  RecordingSink sink;
  const sc::TimedRunResult r = run_both(5, sink);
  // Executed: 2 loads + ACT 3 + 4*5 + DVE 5 + 4*5 + 1 store = 51.
  CHECK(r.instructions == 51);
  CHECK(r.opcode_counts.at("activation") == 5);
  CHECK(r.opcode_counts.at("tensor_tensor") == 5);
  CHECK(r.opcode_counts.at("branch") == 2 * 6);  // one guard + 5 back-branches per engine
  CHECK(r.opcode_counts.at("reg_op") == 10);
  CHECK(r.opcode_counts.at("sem_signal") == 11);
  CHECK(r.opcode_counts.at("reg_load") == 2);
  // Every execution of the loop body is its own slice with pc = the instruction's index.
  const auto acts = sink.slices_on("Scalar");
  int body = 0;
  for (const auto* s : acts) {
    if (s->name == "activation") {
      CHECK(s->arg_int("pc") == 3);
      ++body;
    }
  }
  CHECK(body == 5);
  // Sequencer instructions: 12 cycles = 10000 ps on ACT (1.2 GHz), 12500 ps on DVE (0.96 GHz); sem_signal
  // is free, and retires (signals) no earlier than the instruction before it. activation [4, 8] fp32:
  // max(8, 64 + 100) = 164 ACT cycles = 136667 ps, its output committed 100 cycles = 83333 ps later;
  // tensor_tensor fp32: two passes, max(16, 164) = 164 DVE cycles = 170833 ps, committed +104167 ps.
  //   both loads complete at their 1300 ns fixed cost: 1300000
  //   ACT reg_load, reg_check, branch -> 1330000; DVE's three -> 1337500 (memset before them, [0, 170833])
  //   iteration k: activation starts at 1330000 + (k-1) * 495000 (slot free) and signals full once its
  //   output is committed, at + 136667 + 83333 = 220000; tensor_tensor starts then and signals empty
  //   after 170833 + 104167 = 275000: one iteration = 220000 + 275000 = 495000 ps
  //   (ACT's reg_op + branch, 20000 ps, hide under tensor_tensor)
  //   TT5 starts at 1330000 + 4 * 495000 + 220000 = 3530000 and commits at 3805000; DVE's reg_op and
  //   branch (25000 ps from TT5's end, 3700833) retire after it, so `finished` is signalled at 3805000
  //   the store of ACC issues then and completes after its 1300 ns: 5105000
  CHECK(r.total_ps == 5105000);
}

TEST_CASE("timed loop: N = 0 skips both loop bodies with the same program") {
  RecordingSink sink;
  const sc::TimedRunResult r = run_both(0, sink);
  CHECK(r.instructions == 2 + 3 + 5 + 1);
  CHECK(r.opcode_counts.count("activation") == 0);
}

TEST_CASE("timed loop: N = 3 with semaphore flows: one slice per execution") {
  RecordingSink sink;
  sc::TimedRunOptions options;
  options.trace_flows = true;
  const sc::TimedRunResult r = run_both(3, sink, options);
  CHECK(r.instructions == 2 + 15 + 17 + 1);
  int tts = 0;
  for (const auto* s : sink.slices_on("Vector")) {
    if (s->name == "tensor_tensor") {
      CHECK(s->arg_int("pc") == 4);
      CHECK(!s->flows.empty());  // each consumes the full signal of one activation
      ++tts;
    }
  }
  CHECK(tts == 3);
}

TEST_CASE("timed loop: N = 1") {
  RecordingSink sink;
  const sc::TimedRunResult r = run_both(1, sink);
  CHECK(r.instructions == 2 + 7 + 9 + 1);
}

TEST_CASE("timed loop: reg_check on the runtime trip count stops the run with the value") {
  const sim::test::LoopProgram lp = sim::test::counted_loop_program();
  sim::Hbm hbm;
  fill(hbm, lp.p, 100);
  RecordingSink sink;
  const std::string msg = error_of([&] { sc::run_timed({&lp.p}, hbm, hw(), sink, {}); });
  CHECK(msg.find("reg_check (loop.cpp:") != std::string::npos);
  CHECK(msg.find("register r0 = 100 is outside [0, 64]") != std::string::npos);
}

TEST_CASE("timed loop: a loop that never ends hits the instruction budget") {
  isa::Program p;
  p.kernel = "spin";
  p.semaphores = {{"sp", 0}};
  p.streams = {{"sp", isa::Engine::kSp, 0, {}}};
  p.streams[0].instructions.push_back(
      {isa::RegOp{0, 0, isa::AluOp::kAdd, isa::imm_operand(1)}, {}, {"spin.cpp", 1}});
  p.streams[0].instructions.push_back({isa::Branch{0, isa::BranchCond::kAlways, 0, 0}, {}, {"spin.cpp", 2}});
  sim::Hbm hbm;
  RecordingSink sink;
  sc::TimedRunOptions options;
  options.max_instructions = 5000;
  // Zero-cost instructions (the preset's 0 cycles): the thread never waits, so only the budget stops it.
  const timing::HwConfig trn2 = timing::load_hw_config("trn2");
  const std::string msg = error_of([&] { sc::run_timed({&p}, hbm, trn2, sink, options); });
  CHECK(msg ==
        "sp[0] reg_op (spin.cpp:1): instruction budget exhausted: 5000 instructions executed (a loop that "
        "never ends?)");
}

TEST_CASE("timed dma_gather: the slice carries the runtime index values") {
  isa::Program p;
  p.kernel = "gather";
  p.semaphores = {{"qSyncIO0", 0}, {"qGather", 0}, {"GpSimd", 0}};
  // A gather by a column of indices needs software DGE, which runs on GpSimd (hardware.md §1.8).
  p.streams = {{"qSyncIO0", isa::Engine::kDma, 0, {}},
               {"qGather", isa::Engine::kDma, 1, {}},
               {"GpSimd", isa::Engine::kPool, 2, {}}};
  p.streams[1].dge = isa::DgeMode::kSoftware;
  p.tensors = {{"idx", DType::kInt32, {3, 1}, isa::TensorKind::kInput},
               {"cache", DType::kFloat32, {8, 16}, isa::TensorKind::kInput}};
  const auto idx = isa::sbuf_ap(DType::kInt32, 0, 0, 3, {{1, 1}});
  const auto dst = isa::sbuf_ap(DType::kFloat32, 64, 0, 3, {{1, 16}});
  p.streams[0].instructions.push_back(
      {isa::DmaCopy{idx, isa::hbm_ap(0, DType::kInt32, 0, {1, 3}, {{1, 1}})}, {}, {}});
  p.streams[0].instructions.push_back(
      {isa::DmaCopy{dst, isa::hbm_ap(1, DType::kFloat32, 0, {16, 3}, {{1, 16}})}, {}, {}});
  p.streams[1].instructions.push_back(
      {isa::DmaGather{dst, isa::hbm_ap(1, DType::kFloat32, 0, {0, 3}, {{1, 16}}), idx, 16, 8}, {{0, 2}}, {}});
  REQUIRE(isa::validate(p, hw().memory_limits()).empty());
  sim::Hbm hbm;
  hbm.declare(p.tensors[0]);
  hbm.fill("idx", {7, 3, -1});
  hbm.declare(p.tensors[1]);
  std::vector<float> cache(128);
  for (size_t i = 0; i < cache.size(); ++i) {
    cache[i] = float(i);
  }
  hbm.fill("cache", cache);
  RecordingSink sink;
  sc::run_timed({&p}, hbm, hw(), sink, {});
  const auto g = sink.slices_on("qGather");
  REQUIRE(g.size() == 1);
  CHECK(g[0]->arg_string("indices") == "7,3,-1");
}
