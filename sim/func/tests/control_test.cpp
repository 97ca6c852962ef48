// Sequencer registers and control flow (reg_load, reg_set, reg_op, branch, reg_check), consuming
// semaphore waits, the instruction budget, and dma_gather.
#include <doctest/doctest.h>

#include <functional>
#include <string>

#include "sim/func/functional_runner.hpp"
#include "sim/func/tests/bench.hpp"
#include "sim/func/tests/loop_program.hpp"

namespace tn::sim {

using isa::AluOp;
using isa::BranchCond;
using isa::hbm_ap;
using isa::imm_operand;
using isa::reg_operand;
using isa::sbuf_ap;
using isa::TensorKind;
using test::Bench;

namespace {

// Executes the bench's whole stream with one Executor (registers persist), following branches; returns
// the executed indices.
std::vector<size_t> run_stream(Bench& b, Executor& e) {
  std::vector<size_t> trace;
  const size_t n = b.program.streams[0].instructions.size();
  for (size_t pc = 0; pc < n && trace.size() < 1000;) {
    trace.push_back(pc);
    pc = e.execute(0, pc);
  }
  return trace;
}

void emit(Bench& b, const isa::Operation& op) {
  auto& ins = b.program.streams[0].instructions;
  ins.push_back({op, {}, {"kernel.cpp", static_cast<uint32_t>(10 + ins.size())}});
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ExecutionError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("control: reg_set and reg_op compute in 32-bit two's complement") {
  Bench b(isa::Engine::kAct, "act");
  emit(b, isa::RegSet{1, 7});
  emit(b, isa::RegSet{2, -3});
  emit(b, isa::RegOp{3, 1, AluOp::kAdd, reg_operand(2)});          // 4
  emit(b, isa::RegOp{4, 1, AluOp::kSubtract, imm_operand(10)});    // -3
  emit(b, isa::RegOp{5, 1, AluOp::kMultiply, reg_operand(2)});     // -21
  emit(b, isa::RegOp{6, 2, AluOp::kShiftRight, imm_operand(28)});  // 0xFFFFFFFD >> 28 = 15 (logical)
  emit(b, isa::RegOp{7, 1, AluOp::kShiftLeft, imm_operand(4)});    // 112
  emit(b, isa::RegOp{8, 1, AluOp::kBitwiseAnd, imm_operand(5)});   // 5
  emit(b, isa::RegOp{9, 1, AluOp::kMin, reg_operand(2)});          // -3 (signed)
  emit(b, isa::RegOp{10, 1, AluOp::kMax, reg_operand(2)});         // 7
  emit(b, isa::RegSet{11, 2147483647});
  emit(b, isa::RegOp{11, 11, AluOp::kAdd, imm_operand(1)});        // wraps to INT32_MIN
  emit(b, isa::RegOp{12, 1, AluOp::kShiftLeft, imm_operand(32)});  // out-of-range shift: 0
  Executor e(b.program, b.core, b.hbm);
  run_stream(b, e);
  CHECK(e.register_value(0, 0) == 0);  // zero at start
  CHECK(e.register_value(0, 3) == 4);
  CHECK(e.register_value(0, 4) == -3);
  CHECK(e.register_value(0, 5) == -21);
  CHECK(e.register_value(0, 6) == 15);
  CHECK(e.register_value(0, 7) == 112);
  CHECK(e.register_value(0, 8) == 5);
  CHECK(e.register_value(0, 9) == -3);
  CHECK(e.register_value(0, 10) == 7);
  CHECK(e.register_value(0, 11) == INT32_MIN);
  CHECK(e.register_value(0, 12) == 0);
}

TEST_CASE("control: reg_load reads an int32 or uint32 SBUF element; unwritten memory is an error") {
  Bench b(isa::Engine::kSp, "sp");
  const auto i32 = sbuf_ap(DType::kInt32, 0, 0, 1, {{1, 1}});
  const auto u32 = sbuf_ap(DType::kUInt32, 4, 0, 1, {{1, 1}});
  b.io().write_raw(i32, "t", test::bytes_of(std::vector<int32_t>{-5}).data());
  b.io().write_raw(u32, "t", test::bytes_of(std::vector<uint32_t>{0xFFFFFFFFu}).data());
  emit(b, isa::RegLoad{0, i32});
  emit(b, isa::RegLoad{1, u32});
  Executor e(b.program, b.core, b.hbm);
  run_stream(b, e);
  CHECK(e.register_value(0, 0) == -5);
  CHECK(e.register_value(0, 1) == -1);  // 0xFFFFFFFF keeps its bits
  emit(b, isa::RegLoad{2, sbuf_ap(DType::kInt32, 8, 0, 1, {{1, 1}})});
  Executor e2(b.program, b.core, b.hbm);
  const std::string msg = error_of([&] { e2.execute(0, 2); });
  CHECK(msg.rfind("sp[2] reg_load (kernel.cpp:12): ", 0) == 0);
  CHECK(msg.find("src") != std::string::npos);
  // Without numerics (timing_only) reg_load has no value to read: a clear error, not a guess.
  const std::string timing_only = error_of([&] { e2.execute(0, 0, false); });
  CHECK(timing_only.find("timing_only") != std::string::npos);
}

TEST_CASE("control: branch continues at its target when the signed condition holds") {
  const struct {
    BranchCond cond;
    int32_t value;
    bool taken;
  } cases[] = {{BranchCond::kAlways, 0, true}, {BranchCond::kEq, 3, true},  {BranchCond::kEq, 4, false},
               {BranchCond::kNe, 4, true},     {BranchCond::kLt, -1, true}, {BranchCond::kLt, 3, false},
               {BranchCond::kLe, 3, true},     {BranchCond::kGt, 4, true},  {BranchCond::kGt, 3, false},
               {BranchCond::kGe, 3, true},     {BranchCond::kGe, -5, false}};
  for (const auto& c : cases) {
    INFO(isa::name_of(c.cond), " ", c.value);
    Bench b(isa::Engine::kPool, "pool");
    emit(b, isa::RegSet{5, c.value});
    emit(b, isa::Branch{3, c.cond, 5, 3});
    emit(b, isa::RegSet{6, 1});
    Executor e(b.program, b.core, b.hbm);
    CHECK(e.execute(0, 0) == 1);
    CHECK(e.execute(0, 1) == (c.taken ? 3u : 2u));
  }
}

TEST_CASE("control: a counted loop runs its body the register's number of times") {
  Bench b(isa::Engine::kDve, "dve");
  emit(b, isa::RegSet{0, 4});                                   // 0: trip count
  emit(b, isa::RegOp{1, 1, AluOp::kAdd, imm_operand(10)});      // 1: body
  emit(b, isa::RegOp{0, 0, AluOp::kSubtract, imm_operand(1)});  // 2
  emit(b, isa::Branch{1, BranchCond::kGt, 0, 0});               // 3: back while r0 > 0
  Executor e(b.program, b.core, b.hbm);
  const auto trace = run_stream(b, e);
  CHECK(trace.size() == 1 + 4 * 3);
  CHECK(e.register_value(0, 1) == 40);
}

TEST_CASE("control: reg_check stops the run naming the instruction, register and value") {
  Bench b(isa::Engine::kAct, "act");
  emit(b, isa::RegSet{3, -7});
  emit(b, isa::RegCheck{3, 0, 128});
  Executor e(b.program, b.core, b.hbm);
  e.execute(0, 0);
  CHECK(error_of([&] { e.execute(0, 1); }) ==
        "act[1] reg_check (kernel.cpp:11): register r3 = -7 is outside [0, 128]");
  Bench ok(isa::Engine::kAct, "act");
  emit(ok, isa::RegSet{3, 128});
  emit(ok, isa::RegCheck{3, 0, 128});
  Executor e2(ok.program, ok.core, ok.hbm);
  e2.execute(0, 0);
  CHECK(e2.execute(0, 1) == 2);
}

TEST_CASE("control: bad register ids and branch targets in unvalidated programs are execution errors") {
  Bench b(isa::Engine::kAct, "act");
  emit(b, isa::RegSet{64, 1});
  emit(b, isa::Branch{5, BranchCond::kAlways, 0, 0});
  Executor e(b.program, b.core, b.hbm);
  CHECK(error_of([&] { e.execute(0, 0); }).find("register 64 does not exist") != std::string::npos);
  CHECK(error_of([&] { e.execute(0, 1); }).find("branch target 5 outside 0..2") != std::string::npos);
}

TEST_CASE("runner: a counted loop with consuming waits gives the same program's results for N = 0, 1, 5") {
  for (int32_t n : {0, 1, 5}) {
    for (uint64_t seed : {0u, 1u, 7u, 42u}) {
      INFO("N = ", n, ", schedule seed ", seed);
      const test::LoopProgram lp = test::counted_loop_program();
      REQUIRE(isa::validate(lp.p, isa::MemoryLimits{}).empty());
      Hbm hbm;
      hbm.declare(lp.p.tensors[0]);
      hbm.fill("n", {float(n)});
      hbm.declare(lp.p.tensors[1]);
      hbm.fill("x", test::loop_x());
      FunctionalOptions options;
      options.schedule_seed = seed;
      const FunctionalResult r = run_functional({&lp.p}, hbm, isa::MemoryLimits{}, options);
      const std::vector<float> out = hbm.read("out");
      const std::vector<float> x = test::loop_x();
      const float factor = float((1 << (n + 1)) - 2);
      for (size_t i = 0; i < out.size(); ++i) {
        CHECK(out[i] == factor * x[i]);
      }
      // Executed: 2 loads; ACT 3 + 4N (or 3); DVE 5 + 4N; the store.
      CHECK(r.instructions_executed == uint64_t(2 + 3 + 4 * n + 5 + 4 * n + 1));
    }
  }
}

TEST_CASE("runner: reg_check on a runtime trip count stops the run with the value") {
  const test::LoopProgram lp = test::counted_loop_program();
  Hbm hbm;
  hbm.declare(lp.p.tensors[0]);
  hbm.fill("n", {-2.0f});
  hbm.declare(lp.p.tensors[1]);
  hbm.fill("x", test::loop_x());
  const std::string msg = error_of([&] { run_functional({&lp.p}, hbm, isa::MemoryLimits{}); });
  CHECK(msg.find("reg_check (loop.cpp:") != std::string::npos);
  CHECK(msg.find("register r0 = -2 is outside [0, 64]") != std::string::npos);
}

TEST_CASE("runner: a loop that never ends hits the instruction budget, naming stream and instruction") {
  isa::Program p;
  p.kernel = "spin";
  p.semaphores = {{"sp", 0}};
  p.streams = {{"sp", isa::Engine::kSp, 0, {}}};
  p.streams[0].instructions.push_back({isa::RegOp{0, 0, AluOp::kAdd, imm_operand(1)}, {}, {"spin.cpp", 1}});
  p.streams[0].instructions.push_back({isa::Branch{0, BranchCond::kAlways, 0, 0}, {}, {"spin.cpp", 2}});
  Hbm hbm;
  FunctionalOptions options;
  options.max_instructions = 1000;
  const std::string msg = error_of([&] { run_functional({&p}, hbm, isa::MemoryLimits{}, options); });
  CHECK(msg ==
        "sp[0] reg_op (spin.cpp:1): instruction budget exhausted: 1000 instructions executed (a loop that "
        "never ends?)");
}

TEST_CASE("runner: a consuming wait takes its count when the instruction starts") {
  // Two consumers of one semaphore signalled 3 times: together they run exactly 3 bodies.
  isa::Program p;
  p.kernel = "consume";
  p.semaphores = {{"sp", 0}, {"act", 0}, {"dve", 0}, {"items", 0}};
  p.streams = {
      {"sp", isa::Engine::kSp, 0, {}}, {"act", isa::Engine::kAct, 1, {}}, {"dve", isa::Engine::kDve, 2, {}}};
  for (int i = 0; i < 3; ++i) {
    p.streams[0].instructions.push_back({isa::SemSignal{3, 1}, {}, {}});
  }
  p.streams[1].instructions.push_back({isa::RegSet{0, 1}, {{3, 1, 1}}, {}});
  p.streams[1].instructions.push_back({isa::RegSet{0, 2}, {{3, 1, 1}}, {}});
  p.streams[2].instructions.push_back({isa::RegSet{0, 3}, {{3, 1, 1}}, {}});
  for (uint64_t seed : {0u, 3u, 9u}) {
    Hbm hbm;
    FunctionalOptions options;
    options.schedule_seed = seed;
    CHECK(run_functional({&p}, hbm, isa::MemoryLimits{}, options).instructions_executed == 6);
  }
  // A fourth consumer would wait forever: the deadlock report names it.
  p.streams[2].instructions.push_back({isa::RegSet{0, 4}, {{3, 1, 1}}, {}});
  Hbm hbm;
  const std::string msg = error_of([&] { run_functional({&p}, hbm, isa::MemoryLimits{}); });
  CHECK(msg.find("deadlock") != std::string::npos);
  CHECK(msg.find("dve[1] reg_set: waits for semaphore 'items' (3) is 0, needs >= 1") != std::string::npos);
}

TEST_CASE("dma_gather: shuffled rows with -1 padding skipped (rows keep their contents)") {
  Bench b(isa::Engine::kDma, "qGpSimdDynamic");
  // A block cache of 6 blocks of [2, 4] bf16 (8 elements each), values 10 * block + element (exact in bf16).
  std::vector<float> cache(48);
  for (size_t i = 0; i < cache.size(); ++i) {
    cache[i] = float(10 * (i / 8) + i % 8);
  }
  const int32_t c = b.tensor("cache", DType::kBFloat16, {6, 8}, TensorKind::kInput, cache);
  const auto idx = sbuf_ap(DType::kInt32, 0, 0, 4, {{1, 1}});
  b.io().write_raw(idx, "t", test::bytes_of(std::vector<int32_t>{4, 1, -1, 5}).data());
  const auto dst = sbuf_ap(DType::kBFloat16, 64, 0, 4, {{1, 8}});
  b.put(dst, std::vector<float>(32, -7.0f));
  // Row r reads block idx[r]: 8 elements from idx[r] * 8; bound 6 blocks.
  b.exec(isa::DmaGather{dst, hbm_ap(c, DType::kBFloat16, 0, {0, 4}, {{1, 8}}), idx, 8, 6});
  const std::vector<float> got = b.get(dst);
  for (int r = 0; r < 4; ++r) {
    const int block = std::vector<int>{4, 1, -1, 5}[r];
    for (int e = 0; e < 8; ++e) {
      INFO("row ", r, " element ", e);
      CHECK(got[r * 8 + e] == (block < 0 ? -7.0f : float(10 * block + e)));
    }
  }
}

TEST_CASE("dma_gather: a [1,1] index shifts every row (scalar_offset); out of bound skips all rows") {
  Bench b(isa::Engine::kDma, "qSyncIO0");
  std::vector<float> t(40);
  for (size_t i = 0; i < t.size(); ++i) {
    t[i] = float(i);
  }
  const int32_t h = b.tensor("t", DType::kFloat32, {10, 4}, TensorKind::kInput, t);
  const auto off = sbuf_ap(DType::kUInt32, 0, 0, 1, {{1, 1}});
  b.io().write_raw(off, "t", test::bytes_of(std::vector<uint32_t>{3}).data());
  const auto dst = sbuf_ap(DType::kFloat32, 64, 0, 2, {{1, 4}});
  // Rows 4 elements apart from offset 3 * 4: rows 3 and 4 of t.
  b.exec(isa::DmaGather{dst, hbm_ap(h, DType::kFloat32, 0, {4, 2}, {{1, 4}}), off, 4, 9});
  CHECK(b.get(dst) == std::vector<float>{12, 13, 14, 15, 16, 17, 18, 19});
  b.io().write_raw(off, "t", test::bytes_of(std::vector<uint32_t>{9}).data());
  b.exec(isa::DmaGather{dst, hbm_ap(h, DType::kFloat32, 0, {4, 2}, {{1, 4}}), off, 4, 9});
  CHECK(b.get(dst) == std::vector<float>{12, 13, 14, 15, 16, 17, 18, 19});  // unchanged
}

TEST_CASE("dma_gather without numerics reads and checks its indices but moves nothing") {
  Bench b(isa::Engine::kDma, "qSyncIO0");
  const int32_t c =
      b.tensor("cache", DType::kFloat32, {4, 8}, TensorKind::kInput, std::vector<float>(32, 1.0f));
  const auto idx = sbuf_ap(DType::kInt32, 0, 0, 2, {{1, 1}});
  b.io().write_raw(idx, "t", test::bytes_of(std::vector<int32_t>{3, -1}).data());
  const auto dst = sbuf_ap(DType::kFloat32, 64, 0, 2, {{1, 8}});
  b.put(dst, std::vector<float>(16, -7.0f));
  emit(b, isa::DmaGather{dst, hbm_ap(c, DType::kFloat32, 0, {0, 2}, {{1, 8}}), idx, 8, 4});
  Executor e(b.program, b.core, b.hbm);
  e.execute(0, 0, /*numerics=*/false);
  CHECK(e.last_gather_indices() == "3,-1");
  CHECK(b.get(dst) == std::vector<float>(16, -7.0f));
  b.io().write_raw(idx, "t", test::bytes_of(std::vector<int32_t>{0, 4}).data());
  emit(b, isa::DmaGather{dst, hbm_ap(c, DType::kFloat32, 0, {0, 2}, {{1, 8}}), idx, 8, 100});
  Executor e2(b.program, b.core, b.hbm);
  CHECK(error_of([&] { e2.execute(0, 1, false); }).find("row 1: index 4 (< bound 100)") != std::string::npos);
}

TEST_CASE("dma_gather: an in-bound index addressing outside the tensor names row, index and tensor") {
  Bench b(isa::Engine::kDma, "qSyncIO0");
  const int32_t c =
      b.tensor("cache", DType::kFloat32, {4, 8}, TensorKind::kInput, std::vector<float>(32, 1.0f));
  const auto idx = sbuf_ap(DType::kInt32, 0, 0, 2, {{1, 1}});
  b.io().write_raw(idx, "t", test::bytes_of(std::vector<int32_t>{0, 4}).data());
  const auto dst = sbuf_ap(DType::kFloat32, 64, 0, 2, {{1, 8}});
  // bound 100 lets index 4 through, but block 4 of a 4-block cache does not exist.
  const std::string msg = error_of([&] {
    b.exec(isa::DmaGather{dst, hbm_ap(c, DType::kFloat32, 0, {0, 2}, {{1, 8}}), idx, 8, 100});
  });
  CHECK(msg ==
        "qSyncIO0[0] dma_gather (kernel.cpp:10): row 1: index 4 (< bound 100) addresses elements [32, 39] of "
        "tensor 'cache' which has 32");
}

}  // namespace tn::sim
