// The static checks of isa::validate: one minimal violating program per rule, checking that the issue names
// the instruction as `stream[index] mnemonic (file:line)` and says what is wrong; and clean programs.
#include "isa/validator.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace {

using namespace tn;
using namespace tn::isa;

const MemoryLimits kLimits{};
constexpr uint32_t kLine = 42;
const char* const kFile = "kernels/unit.cpp";

// A program of one stream per engine kind (named after the engine), one DMA queue "q0" and one CC-core
// "CC-core", with an HBM tensor "t" of 128 x 1024 bf16.
Program empty_program() {
  Program p;
  p.kernel = "unit";
  p.tensors = {{"t", DType::kBFloat16, {128, 1024}, TensorKind::kInput}};
  for (Engine e :
       {Engine::kPe, Engine::kAct, Engine::kDve, Engine::kPool, Engine::kSp, Engine::kDma, Engine::kCc}) {
    const int32_t sem = static_cast<int32_t>(p.semaphores.size());
    const std::string name = e == Engine::kDma ? "q0" : std::string(engine_name(e));
    p.semaphores.push_back({name, 0});
    p.streams.push_back({name, e, sem, {}});
  }
  return p;
}

int32_t stream_of(Engine e) { return static_cast<int32_t>(e); }

void add(Program& p, Engine e, Operation op, std::vector<SemCondition> waits = {}) {
  auto& s = p.streams[stream_of(e)].instructions;
  s.push_back({std::move(op), std::move(waits), {kFile, kLine + static_cast<uint32_t>(s.size())}});
}

Program one(Engine e, Operation op) {
  Program p = empty_program();
  add(p, e, std::move(op));
  return p;
}

// `op` on DMA queue q0 with descriptor generation `dge` (hwdge: commanded by Sync).
Program on_queue(DgeMode dge, Operation op) {
  Program p = one(Engine::kDma, std::move(op));
  p.streams[stream_of(Engine::kDma)].dge = dge;
  return p;
}

std::string issues_text(const Program& p) {
  std::string out;
  for (const auto& i : validate(p, kLimits))
    out += i.to_string() + "\n";
  return out;
}

// Checks that validating `p` gives exactly one issue, at `where`, whose message contains `what`.
void check_single_issue(const Program& p, const std::string& where, const std::string& what) {
  const auto issues = validate(p, kLimits);
  INFO(issues_text(p));
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].where == where);
  CHECK(issues[0].message.find(what) != std::string::npos);
}

AccessPattern sb(int32_t start, int32_t count, int64_t free = 64, int64_t addr = 0,
                 DType t = DType::kBFloat16) {
  return sbuf_ap(t, addr, start, count, {{1, free}});
}
AccessPattern ps(int32_t start, int32_t count, int64_t free = 64, int64_t addr = 0) {
  return psum_ap(DType::kFloat32, addr, start, count, {{1, free}});
}
AccessPattern hbm(int64_t offset, int32_t rows, int64_t cols, DType t = DType::kBFloat16) {
  return hbm_ap(0, t, offset, {1024, rows}, {{1, cols}});
}

// A correct little program: load, matmul, evacuate PSUM, store, with the waits a builder would emit.
Program clean_program() {
  Program p = empty_program();
  p.tensors.push_back({"out", DType::kFloat32, {128, 512}, TensorKind::kOutput});
  const AccessPattern x = sb(0, 128, 512), w = sb(0, 128, 128, 2048),
                      y = sb(0, 128, 512, 4096, DType::kFloat32);
  add(p, Engine::kDma, DmaCopy{x, hbm(0, 128, 512)});
  add(p, Engine::kDma, DmaCopy{w, hbm(512, 128, 128)});
  add(p, Engine::kPe, LoadStationary{w}, {{5, 2}});
  add(p, Engine::kPe, MultiplyMoving{ps(0, 128, 512), x, false});
  add(p, Engine::kAct, Activation{y, ps(0, 128, 512), ActFunc::kCopy, imm(1.0f), {}, {}}, {{0, 2}});
  add(p, Engine::kDma, DmaCopy{hbm_ap(1, DType::kFloat32, 0, {512, 128}, {{1, 512}}), y}, {{1, 1}});
  add(p, Engine::kSp, SemSignal{4, 1});
  add(p, Engine::kPool, SemWait{4, 1});
  add(p, Engine::kPool, Iota{sb(32, 32, 16, 8192, DType::kInt32), 0, 1, {1, 0, 0, 0}});
  return p;
}

}  // namespace

TEST_CASE("a correct program validates clean") {
  const Program p = clean_program();
  INFO(issues_text(p));
  CHECK(validate(p, kLimits).empty());
  CHECK_NOTHROW(validate_or_throw(p, kLimits));
}

TEST_CASE("issues name the instruction as stream[index] mnemonic (file:line)") {
  Program p = empty_program();
  add(p, Engine::kDve, Memset{sb(0, 1), 0.0f});
  add(p, Engine::kDve, Activation{sb(0, 1), sb(0, 1), ActFunc::kExp, {}, {}, {}});
  CHECK(describe_instruction(p, stream_of(Engine::kDve), 1) == "Vector[1] activation (kernels/unit.cpp:43)");
  p.streams[stream_of(Engine::kDve)].instructions[1].loc = {};
  CHECK(describe_instruction(p, stream_of(Engine::kDve), 1) == "Vector[1] activation");
}

TEST_CASE("kernel inputs and outputs must be in shared HBM") {
  Program p = empty_program();
  p.tensors.push_back({"scratch", DType::kFloat32, {4}, TensorKind::kInternal, TensorScope::kPrivate});
  CHECK(validate(p, kLimits).empty());
  p.tensors[0].scope = TensorScope::kPrivate;
  const auto issues = validate(p, kLimits);
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].to_string() == "tensor 't': a kernel input or output cannot be in private HBM");
}

TEST_CASE("validate_or_throw lists every issue") {
  Program p = empty_program();
  add(p, Engine::kPe, Activation{sb(0, 1), sb(0, 1), ActFunc::kExp, {}, {}, {}});
  add(p, Engine::kDve, SemSignal{99, 1});
  try {
    validate_or_throw(p, kLimits);
    FAIL("expected a ValidationError");
  } catch (const ValidationError& e) {
    REQUIRE(e.issues().size() == 2);
    const std::string what = e.what();
    CHECK(what.find("2 issue(s)") != std::string::npos);
    CHECK(what.find("Tensor[0] activation (kernels/unit.cpp:42): cannot run on the Tensor engine") !=
          std::string::npos);
    CHECK(what.find("Vector[0] sem_signal (kernels/unit.cpp:42): sem_signal names semaphore 99") !=
          std::string::npos);
  }
}

TEST_CASE("HBM accesses outside the tensor are rejected") {
  // t is 128 x 1024: rows 100..131 run past the end.
  check_single_issue(one(Engine::kDma, DmaCopy{sb(0, 32), hbm(100 * 1024, 32, 64)}),
                     "q0[0] dma_copy (kernels/unit.cpp:42)",
                     "src: reads elements [102400, 134207] of tensor 't'");
  check_single_issue(one(Engine::kDma, DmaCopy{sb(0, 1, 2), hbm(-1, 1, 2)}),
                     "q0[0] dma_copy (kernels/unit.cpp:42)", "of tensor 't' which has 131072");
  CHECK(validate(one(Engine::kDma, DmaCopy{sb(0, 128, 1024), hbm(0, 128, 1024)}), kLimits).empty());
}

TEST_CASE("HBM accesses to a tensor that does not exist or with another dtype are rejected") {
  AccessPattern src = hbm(0, 1, 8);
  src.tensor = 3;
  check_single_issue(one(Engine::kDma, DmaCopy{sb(0, 1, 8), src}), "q0[0] dma_copy (kernels/unit.cpp:42)",
                     "src: HBM tensor 3 does not exist");
  check_single_issue(one(Engine::kDma, DmaCopy{sb(0, 1, 8), hbm(0, 1, 8, DType::kFloat16)}),
                     "q0[0] dma_copy (kernels/unit.cpp:42)",
                     "dtype float16 differs from tensor 't' (bfloat16)");
}

TEST_CASE("SBUF accesses past the per-partition size are rejected") {
  const int64_t end = kLimits.sbuf_partition_bytes;
  // 64 bf16 elements = 128 bytes ending exactly at the end of the partition: fine; one element more is not.
  CHECK(validate(one(Engine::kDve, Memset{sb(0, 128, 64, end - 128), 1.0f}), kLimits).empty());
  check_single_issue(one(Engine::kDve, Memset{sb(0, 128, 65, end - 128), 1.0f}),
                     "Vector[0] memset (kernels/unit.cpp:42)",
                     "dst: bytes [229248, 229378) overflow the 229376-byte sbuf partition");
  check_single_issue(one(Engine::kDve, Memset{sb(0, 128, 4, -2), 1.0f}),
                     "Vector[0] memset (kernels/unit.cpp:42)", "overflow the 229376-byte sbuf partition");
}

TEST_CASE("negative strides are checked at their lowest address") {
  // Walks backwards from byte 6: elements at 6, 4, 2, 0, -2.
  const AccessPattern back = sbuf_ap(DType::kBFloat16, 6, 0, 1, {{-1, 5}});
  check_single_issue(one(Engine::kDve, Memset{back, 0.0f}), "Vector[0] memset (kernels/unit.cpp:42)",
                     "bytes [-2, 8)");
}

TEST_CASE("PSUM accesses past the per-partition size are rejected") {
  check_single_issue(one(Engine::kDve, Memset{ps(0, 128, 8, kLimits.psum_partition_bytes - 16), 1.0f}),
                     "Vector[0] memset (kernels/unit.cpp:42)", "overflow the 16384-byte psum partition");
}

TEST_CASE("a matmul output crossing a PSUM bank is rejected") {
  Program p = empty_program();
  add(p, Engine::kPe, LoadStationary{sb(0, 128, 128)});
  add(p, Engine::kPe, MultiplyMoving{ps(0, 128, 512, 1024), sb(0, 128, 512), false});
  check_single_issue(p, "Tensor[1] multiply_moving (kernels/unit.cpp:43)",
                     "PE output [1024, 3072) crosses a 2048-byte PSUM bank boundary");
  // The same output at the start of bank 1 is fine.
  p.streams[0].instructions[1].op = MultiplyMoving{ps(0, 128, 512, 2048), sb(0, 128, 512), false};
  CHECK(validate(p, kLimits).empty());
}

TEST_CASE("a PE transpose output crossing a PSUM bank is rejected") {
  check_single_issue(one(Engine::kPe, PeTranspose{ps(0, 64, 128, 1792), sb(0, 128, 64, 0, DType::kFloat32)}),
                     "Tensor[0] pe_transpose (kernels/unit.cpp:42)",
                     "crosses a 2048-byte PSUM bank boundary");
}

TEST_CASE("partition windows follow hardware.md 1.7") {
  struct Window {
    int32_t start, count;
    bool legal;
  };
  const Window windows[] = {
      {0, 128, true},  {0, 65, true},   {0, 64, true},   {64, 64, true},  {64, 33, true},  {0, 32, true},
      {32, 32, true},  {64, 32, true},  {96, 32, true},  {96, 1, true},   {0, 1, true},    {32, 16, true},
      {32, 40, false}, {1, 100, false}, {32, 65, false}, {32, 33, false}, {80, 33, false}, {16, 64, false},
      {1, 1, false},   {8, 16, false},  {48, 16, false}, {100, 4, false}, {127, 1, false}, {0, 129, false},
  };
  for (const Window& w : windows) {
    CAPTURE(w.start);
    CAPTURE(w.count);
    const Program p = one(Engine::kAct, TensorCopy{sb(w.start, w.count), sb(w.start, w.count, 64, 1024)});
    const auto issues = validate(p, kLimits);
    INFO(issues_text(p));
    if (w.legal) {
      CHECK(issues.empty());
    } else {
      // dst and src both violate the rule.
      REQUIRE(issues.size() == 2);
      CHECK(issues[0].where == "Scalar[0] tensor_copy (kernels/unit.cpp:42)");
      CHECK(issues[0].message.rfind("dst: ", 0) == 0);
      CHECK(issues[1].message.rfind("src: ", 0) == 0);
    }
  }
}

TEST_CASE("a partition window violation names the window") {
  const Program p = one(Engine::kDve, Memset{sb(32, 40), 0.0f});
  check_single_issue(p, "Vector[0] memset (kernels/unit.cpp:42)",
                     "dst: 40 partitions may not start at partition 32");
  check_single_issue(one(Engine::kDve, Memset{sb(1, 100), 0.0f}), "Vector[0] memset (kernels/unit.cpp:42)",
                     "100 partitions may not start at partition 1");
}

TEST_CASE("partitions outside the 128 are rejected") {
  check_single_issue(one(Engine::kDma, DmaCopy{sb(120, 16), hbm(0, 16, 64)}),
                     "q0[0] dma_copy (kernels/unit.cpp:42)", "dst: partitions [120, 136) outside 0..128");
}

TEST_CASE("DMA queues are not bound by the partition window rule") {
  CHECK(validate(one(Engine::kDma, DmaCopy{sb(1, 100), hbm(0, 100, 64)}), kLimits).empty());
}

TEST_CASE("an instruction on an engine that cannot run it is rejected") {
  check_single_issue(one(Engine::kPe, Activation{sb(0, 1), sb(0, 1), ActFunc::kExp, {}, {}, {}}),
                     "Tensor[0] activation (kernels/unit.cpp:42)", "cannot run on the Tensor engine");
  check_single_issue(one(Engine::kAct, Iota{sb(0, 1, 64, 0, DType::kInt32), 0, 0, {}}),
                     "Scalar[0] iota (kernels/unit.cpp:42)", "cannot run on the Scalar engine");
  check_single_issue(one(Engine::kDve, DmaCopy{sb(0, 1), sb(0, 1, 64, 256)}),
                     "Vector[0] dma_copy (kernels/unit.cpp:42)", "cannot run on the Vector engine");
  // tensor_copy may run on ACT, DVE and POOL.
  for (Engine e : {Engine::kAct, Engine::kDve, Engine::kPool}) {
    CHECK(validate(one(e, TensorCopy{sb(0, 1), sb(0, 1, 64, 256)}), kLimits).empty());
  }
}

TEST_CASE("GpSimd touching PSUM is rejected") {
  check_single_issue(one(Engine::kPool, TensorCopy{sb(0, 32), ps(0, 32)}),
                     "GpSimd[0] tensor_copy (kernels/unit.cpp:42)",
                     "src: the GpSimd engine cannot access PSUM");
  CHECK(validate(one(Engine::kDve, TensorCopy{sb(0, 32), ps(0, 32)}), kLimits).empty());
}

TEST_CASE("DMA touching PSUM is rejected") {
  check_single_issue(one(Engine::kDma, DmaCopy{hbm_ap(0, DType::kBFloat16, 0, {1024, 1}, {{1, 64}}),
                                               psum_ap(DType::kBFloat16, 0, 0, 1, {{1, 64}})}),
                     "q0[0] dma_copy (kernels/unit.cpp:42)", "src: DMA moves HBM and SBUF data, not PSUM");
}

TEST_CASE("a compute engine touching HBM is rejected") {
  check_single_issue(one(Engine::kDve, TensorCopy{sb(0, 1), hbm(0, 1, 64)}),
                     "Vector[0] tensor_copy (kernels/unit.cpp:42)",
                     "src: compute engines cannot access HBM; use a DMA");
}

TEST_CASE("an operation repeated in a stream is reported at every instruction that uses it") {
  // The validator checks an operation that passed once per stream only once; one that fails, every time.
  Program p = empty_program();
  const Operation good = TensorCopy{sb(0, 1), sb(0, 1, 64, 256)};
  const Operation bad = TensorCopy{sb(0, 1), hbm(0, 1, 64)};
  for (int i = 0; i < 3; ++i) {
    add(p, Engine::kDve, good);
    add(p, Engine::kDve, bad);
  }
  // The same operation on another stream is checked against that stream's engine.
  add(p, Engine::kPe, good);
  const auto issues = validate(p, kLimits);
  INFO(issues_text(p));
  REQUIRE(issues.size() == 4);
  CHECK(issues[0].where.rfind("Tensor[0] tensor_copy", 0) == 0);  // streams are checked in order
  CHECK(issues[0].message.find("cannot run on the Tensor engine") != std::string::npos);
  for (int i = 0; i < 3; ++i) {
    CHECK(issues[1 + i].where == "Vector[" + std::to_string(2 * i + 1) + "] tensor_copy (kernels/unit.cpp:" +
                                     std::to_string(kLine + 2 * i + 1) + ")");
    CHECK(issues[1 + i].message.find("compute engines cannot access HBM") != std::string::npos);
  }
}

TEST_CASE("a matmul whose shapes do not chain is rejected") {
  SUBCASE("contraction over different partition counts") {
    Program p = empty_program();
    add(p, Engine::kPe, LoadStationary{sb(0, 128, 128)});
    add(p, Engine::kPe, MultiplyMoving{ps(0, 128, 512), sb(0, 64, 512), false});
    check_single_issue(p, "Tensor[1] multiply_moving (kernels/unit.cpp:43)",
                       "contraction mismatch: stationary has 128 partitions, moving 64");
  }
  SUBCASE("output partitions other than the stationary free size") {
    Program p = empty_program();
    add(p, Engine::kPe, LoadStationary{sb(0, 128, 64)});
    add(p, Engine::kPe, MultiplyMoving{ps(0, 128, 512), sb(0, 128, 512), false});
    check_single_issue(p, "Tensor[1] multiply_moving (kernels/unit.cpp:43)",
                       "dst must be [stationary free, moving free]");
  }
  SUBCASE("the shape check uses the latest load_stationary") {
    Program p = empty_program();
    add(p, Engine::kPe, LoadStationary{sb(0, 128, 128)});
    add(p, Engine::kPe, LoadStationary{sb(0, 128, 64)});
    add(p, Engine::kPe, MultiplyMoving{ps(0, 64, 512), sb(0, 128, 512), false});
    CHECK(validate(p, kLimits).empty());
  }
}

TEST_CASE("a multiply without a preceding load_stationary is rejected") {
  check_single_issue(one(Engine::kPe, MultiplyMoving{ps(0, 128, 512), sb(0, 128, 512), false}),
                     "Tensor[0] multiply_moving (kernels/unit.cpp:42)",
                     "no load_stationary precedes this multiply");
  // A load_stationary on another stream does not count.
  Program p = empty_program();
  add(p, Engine::kPe, LoadStationary{sb(0, 128, 128)});
  p.streams.push_back({"pe2", Engine::kPe, 0, {}});
  p.streams.back().instructions.push_back(
      {MultiplyMoving{ps(0, 128, 512), sb(0, 128, 512), false}, {}, {kFile, kLine}});
  check_single_issue(p, "pe2[0] multiply_moving (kernels/unit.cpp:42)",
                     "no load_stationary precedes this multiply");
}

TEST_CASE("a moving free size above 512 is rejected") {
  Program p = empty_program();
  add(p, Engine::kPe, LoadStationary{sb(0, 128, 128)});
  add(p, Engine::kPe,
      MultiplyMoving{psum_ap(DType::kFloat32, 0, 0, 128, {{1, 513}}), sb(0, 128, 513), false});
  const auto issues = validate(p, kLimits);
  INFO(issues_text(p));
  // 513 fp32 values also cannot fit one PSUM bank.
  REQUIRE(issues.size() == 2);
  CHECK(issues[0].where == "Tensor[1] multiply_moving (kernels/unit.cpp:43)");
  CHECK(issues[0].message == "moving free size 513 exceeds 512");
  CHECK(issues[1].message.find("crosses a 2048-byte PSUM bank boundary") != std::string::npos);
}

TEST_CASE("a stationary free size above 128 is rejected") {
  check_single_issue(one(Engine::kPe, LoadStationary{sb(0, 128, 129)}),
                     "Tensor[0] load_stationary (kernels/unit.cpp:42)",
                     "stationary free size 129 exceeds 128");
}

TEST_CASE("matmul operands in the wrong memory are rejected") {
  check_single_issue(one(Engine::kPe, LoadStationary{ps(0, 128, 128)}),
                     "Tensor[0] load_stationary (kernels/unit.cpp:42)", "stationary must be in sbuf");
  Program p = empty_program();
  add(p, Engine::kPe, LoadStationary{sb(0, 128, 128)});
  add(p, Engine::kPe, MultiplyMoving{sb(0, 128, 512, 0, DType::kFloat32), sb(0, 128, 512), false});
  check_single_issue(p, "Tensor[1] multiply_moving (kernels/unit.cpp:43)", "dst must be in psum");
}

TEST_CASE("semaphore ids out of range are rejected") {
  const size_t n = empty_program().semaphores.size();
  SUBCASE("in a wait") {
    Program p = empty_program();
    add(p, Engine::kAct, TensorCopy{sb(0, 1), sb(0, 1, 64, 256)}, {{static_cast<int32_t>(n), 1}});
    check_single_issue(p, "Scalar[0] tensor_copy (kernels/unit.cpp:42)",
                       "wait names semaphore " + std::to_string(n) + ", which does not exist");
  }
  SUBCASE("in a negative wait") {
    Program p = empty_program();
    add(p, Engine::kSp, SemSignal{0, 1}, {{-1, 1}});
    check_single_issue(p, "Sync[0] sem_signal (kernels/unit.cpp:42)",
                       "wait names semaphore -1, which does not exist");
  }
  SUBCASE("in sem_signal and sem_wait") {
    check_single_issue(one(Engine::kSp, SemSignal{static_cast<int32_t>(n) + 3, 1}),
                       "Sync[0] sem_signal (kernels/unit.cpp:42)",
                       "sem_signal names semaphore " + std::to_string(n + 3) + ", which does not exist");
    check_single_issue(one(Engine::kPool, SemWait{-2, 1}), "GpSimd[0] sem_wait (kernels/unit.cpp:42)",
                       "sem_wait names semaphore -2, which does not exist");
  }
  SUBCASE("as a stream's completion semaphore") {
    Program p = empty_program();
    p.streams[1].completion_sem = static_cast<int32_t>(n);
    const auto issues = validate(p, kLimits);
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].where == "Scalar");
    CHECK(issues[0].message == "completion semaphore id out of range");
  }
}

TEST_CASE("a DMA moving different element counts is rejected") {
  check_single_issue(one(Engine::kDma, DmaCopy{sb(0, 128, 512), hbm(0, 128, 256)}),
                     "q0[0] dma_copy (kernels/unit.cpp:42)", "dst has 65536 elements, src 32768");
  // Different shapes with equal counts are a legal reshaping copy.
  CHECK(validate(one(Engine::kDma, DmaCopy{sb(0, 64, 512), hbm(0, 128, 256)}), kLimits).empty());
}

TEST_CASE("a DMA transpose of a 1-byte dtype is rejected") {
  Program p = empty_program();
  p.tensors[0].dtype = DType::kFloat8E4M3;
  add(p, Engine::kDma,
      DmaTranspose{sb(0, 64, 32, 0, DType::kFloat8E4M3), hbm(0, 32, 64, DType::kFloat8E4M3)});
  check_single_issue(p, "q0[0] dma_transpose (kernels/unit.cpp:42)",
                     "DMA transpose moves 2- or 4-byte dtypes");
  // The same transpose in bf16 is fine.
  CHECK(validate(one(Engine::kDma, DmaTranspose{sb(0, 64, 32), hbm(0, 32, 64)}), kLimits).empty());
}

TEST_CASE("a DMA transpose must swap the shape") {
  check_single_issue(one(Engine::kDma, DmaTranspose{sb(0, 32, 64), hbm(0, 32, 64)}),
                     "q0[0] dma_transpose (kernels/unit.cpp:42)", "dst must be [src free, src partitions]");
  // The blocked form: src [64, 4 blocks, 128] -> dst [128, 4 blocks, 64] (isa/transpose_shape.hpp).
  const AccessPattern src = isa::sbuf_ap(DType::kBFloat16, 0, 0, 64, {{128, 4}, {1, 128}});
  CHECK(validate(one(Engine::kDma,
                     DmaTranspose{isa::sbuf_ap(DType::kBFloat16, 2048, 0, 128, {{64, 4}, {1, 64}}), src}),
                 kLimits)
            .empty());
  check_single_issue(
      one(Engine::kDma, DmaTranspose{isa::sbuf_ap(DType::kBFloat16, 2048, 0, 128, {{64, 3}, {1, 64}}), src}),
      "q0[0] dma_transpose (kernels/unit.cpp:42)", "or [src innermost, src outer x src partitions]");
}

TEST_CASE("elementwise operands of different shapes are rejected") {
  check_single_issue(
      one(Engine::kDve, TensorTensor{sb(0, 64, 32), sb(0, 64, 32, 256), sb(0, 64, 16, 512), AluOp::kAdd}),
      "Vector[0] tensor_tensor (kernels/unit.cpp:42)", "dst [64 x 32] and b [64 x 16] differ in shape");
}

TEST_CASE("stream_shuffle needs one dtype and shape, whole quadrants and a mask inside src") {
  const auto f32 = [](int32_t start, int32_t n) { return sbuf_ap(DType::kFloat32, 0, start, n, {{1, 4}}); };
  CHECK(validate(one(Engine::kDve, StreamShuffle{f32(32, 32), f32(0, 32), {}}), kLimits).empty());
  CHECK(validate(one(Engine::kDve, StreamShuffle{f32(0, 128), f32(0, 128), {}}), kLimits).empty());
  check_single_issue(
      one(Engine::kDve, StreamShuffle{sbuf_ap(DType::kBFloat16, 0, 0, 32, {{1, 4}}), f32(0, 32), {}}),
      "Vector[0] stream_shuffle (kernels/unit.cpp:42)", "one dtype");
  check_single_issue(one(Engine::kDve, StreamShuffle{f32(0, 48), f32(0, 48), {}}),
                     "Vector[0] stream_shuffle (kernels/unit.cpp:42)", "multiple of 32");
  ShuffleMask past{};
  past[1] = 9;  // partition 9 of a 4-partition source
  check_single_issue(one(Engine::kDve, StreamShuffle{f32(0, 4), f32(0, 4), past}),
                     "Vector[0] stream_shuffle (kernels/unit.cpp:42)", "past src's 4");
  ShuffleMask wild{};
  wild[0] = 40;
  check_single_issue(one(Engine::kDve, StreamShuffle{f32(0, 32), f32(0, 32), wild}),
                     "Vector[0] stream_shuffle (kernels/unit.cpp:42)", "0..31 or 255");
}

TEST_CASE("tensor_tensor with both inputs in PSUM is rejected") {
  check_single_issue(
      one(Engine::kDve, TensorTensor{sb(0, 64, 32), ps(0, 64, 32), ps(0, 64, 32, 128), AluOp::kAdd}),
      "Vector[0] tensor_tensor (kernels/unit.cpp:42)", "both inputs cannot be in PSUM");
}

TEST_CASE("per-partition scalar operands must be [P,1] columns") {
  const Program p =
      one(Engine::kDve, TensorScalar{sb(0, 64), sb(0, 64, 64, 256), AluOp::kAdd, column(sb(0, 64, 2, 512)),
                                     false, AluOp::kBypass, imm(0), false});
  check_single_issue(p, "Vector[0] tensor_scalar (kernels/unit.cpp:42)",
                     "operand0 must be a [P,1] column over the same partitions");
}

TEST_CASE("non-positive counts are rejected") {
  check_single_issue(one(Engine::kDve, Memset{sb(0, 1, 0), 0.0f}), "Vector[0] memset (kernels/unit.cpp:42)",
                     "dst: free dim 0 has count <= 0");
  check_single_issue(one(Engine::kDve, Memset{sb(0, 0), 0.0f}), "Vector[0] memset (kernels/unit.cpp:42)",
                     "dst: partition count must be positive");
}

TEST_CASE("access patterns with more than 4 free dims are rejected without reading past the dims") {
  AccessPattern ap = sb(0, 1);
  ap.ndim = 5;
  check_single_issue(one(Engine::kDve, Memset{ap, 0.0f}), "Vector[0] memset (kernels/unit.cpp:42)",
                     "dst: more than 4 free dimensions");
}

TEST_CASE("tensor_reduce must keep the outer dims") {
  const AccessPattern src = sbuf_ap(DType::kFloat32, 0, 0, 64, {{8, 4}, {1, 8}});
  CHECK(validate(one(Engine::kDve, TensorReduce{sb(0, 64, 4, 512), src, AluOp::kMax, 1, false}), kLimits)
            .empty());
  CHECK(validate(one(Engine::kDve, TensorReduce{sb(0, 64, 1, 512), src, AluOp::kMax, 2, false}), kLimits)
            .empty());
  check_single_issue(one(Engine::kDve, TensorReduce{sb(0, 64, 1, 512), src, AluOp::kMax, 1, false}),
                     "Vector[0] tensor_reduce (kernels/unit.cpp:42)",
                     "dst must hold the 4 values per partition");
  check_single_issue(one(Engine::kDve, TensorReduce{sb(0, 64, 4, 512), src, AluOp::kDivide, 1, false}),
                     "Vector[0] tensor_reduce (kernels/unit.cpp:42)", "reduce op must be");
}

TEST_CASE("sequencer instructions with valid registers and targets validate clean") {
  Program p = empty_program();
  add(p, Engine::kAct, RegLoad{0, sb(0, 1, 1, 0, DType::kInt32)});
  add(p, Engine::kAct, RegLoad{1, sb(0, 1, 1, 4, DType::kUInt32)});
  add(p, Engine::kAct, RegSet{63, -7});
  add(p, Engine::kAct, RegOp{2, 0, AluOp::kShiftLeft, imm_operand(3)});
  add(p, Engine::kAct, RegCheck{2, 0, 1024});
  add(p, Engine::kAct, Branch{0, BranchCond::kNe, 2, 0});
  add(p, Engine::kAct, Branch{7, BranchCond::kAlways, 0, 0});  // target == length: the end
  add(p, Engine::kDma, RegSet{0, 1});
  INFO(issues_text(p));
  CHECK(validate(p, kLimits).empty());
}

TEST_CASE("register ids outside 0..63 are rejected") {
  check_single_issue(one(Engine::kAct, RegSet{64, 0}), "Scalar[0] reg_set (kernels/unit.cpp:42)",
                     "dst_reg: register 64 does not exist (0..63)");
  check_single_issue(one(Engine::kAct, RegOp{0, -1, AluOp::kAdd, imm_operand(1)}),
                     "Scalar[0] reg_op (kernels/unit.cpp:42)", "a_reg: register -1 does not exist");
  check_single_issue(one(Engine::kAct, RegOp{0, 1, AluOp::kAdd, reg_operand(99)}),
                     "Scalar[0] reg_op (kernels/unit.cpp:42)", "b: register 99 does not exist");
  check_single_issue(one(Engine::kAct, Branch{0, BranchCond::kEq, 70, 0}),
                     "Scalar[0] branch (kernels/unit.cpp:42)", "reg: register 70 does not exist");
  check_single_issue(one(Engine::kAct, RegCheck{64, 0, 1}), "Scalar[0] reg_check (kernels/unit.cpp:42)",
                     "reg: register 64 does not exist");
}

TEST_CASE("reg_op accepts only the integer ALU ops") {
  check_single_issue(one(Engine::kAct, RegOp{0, 1, AluOp::kDivide, imm_operand(2)}),
                     "Scalar[0] reg_op (kernels/unit.cpp:42)", "not divide");
}

TEST_CASE("branch targets outside 0..stream length are rejected") {
  check_single_issue(one(Engine::kPool, Branch{2, BranchCond::kAlways, 0, 0}),
                     "GpSimd[0] branch (kernels/unit.cpp:42)", "branch target 2 outside 0..1");
  check_single_issue(one(Engine::kPool, Branch{-1, BranchCond::kAlways, 0, 0}),
                     "GpSimd[0] branch (kernels/unit.cpp:42)", "branch target -1 outside 0..1");
}

TEST_CASE("reg_check with an empty range is rejected") {
  check_single_issue(one(Engine::kSp, RegCheck{0, 5, 4}), "Sync[0] reg_check (kernels/unit.cpp:42)",
                     "range is empty");
}

TEST_CASE("reg_load needs a [1,1] int32 or uint32 element in SBUF") {
  check_single_issue(one(Engine::kAct, RegLoad{0, sb(0, 1, 1, 0, DType::kFloat32)}),
                     "Scalar[0] reg_load (kernels/unit.cpp:42)", "src must be int32 or uint32");
  check_single_issue(one(Engine::kAct, RegLoad{0, sb(0, 1, 2, 0, DType::kInt32)}),
                     "Scalar[0] reg_load (kernels/unit.cpp:42)", "src must be a [1,1] element");
  check_single_issue(one(Engine::kAct, RegLoad{0, psum_ap(DType::kInt32, 0, 0, 1, {{1, 1}})}),
                     "Scalar[0] reg_load (kernels/unit.cpp:42)", "src must be in sbuf");
}

TEST_CASE("dma_gather checks its index, memories and shapes") {
  const AccessPattern col = sb(0, 4, 1, 0, DType::kInt32);
  const AccessPattern dst = sb(0, 4, 64, 64);
  const AccessPattern src = hbm_ap(0, DType::kBFloat16, 0, {0, 4}, {{1, 64}});
  Program ok = on_queue(DgeMode::kSoftware, DmaGather{dst, src, col, 1024, 128});
  INFO(issues_text(ok));
  CHECK(validate(ok, kLimits).empty());
  CHECK(validate(on_queue(DgeMode::kSoftware, DmaGather{dst, src, sb(0, 1, 1, 0, DType::kUInt32), 1024, 128}),
                 kLimits)
            .empty());
  const std::string where = "q0[0] dma_gather (kernels/unit.cpp:42)";
  check_single_issue(
      on_queue(DgeMode::kSoftware, DmaGather{dst, src, sb(0, 4, 1, 0, DType::kFloat32), 1024, 128}), where,
      "index must be int32 or uint32");
  check_single_issue(
      on_queue(DgeMode::kSoftware, DmaGather{dst, src, sb(0, 3, 1, 0, DType::kInt32), 1024, 128}), where,
      "index must be an [n,1] column with n = src's 4 rows, or a [1,1] scalar");
  check_single_issue(on_queue(DgeMode::kSoftware, DmaGather{dst, dst, col, 1024, 128}), where,
                     "src must be in hbm");
  check_single_issue(on_queue(DgeMode::kSoftware, DmaGather{sb(0, 4, 32, 64), src, col, 1024, 128}), where,
                     "must have src's shape");
  check_single_issue(on_queue(DgeMode::kSoftware, DmaGather{dst, src, col, 1024, -1}), where,
                     "bound must be in 0..2^32");
}

TEST_CASE("consuming waits: negative consume and a consume combined with another wait are rejected") {
  Program p = empty_program();
  add(p, Engine::kAct, RegSet{0, 1}, {{0, 1, -1}});
  check_single_issue(p, "Scalar[0] reg_set (kernels/unit.cpp:42)", "negative consume");
  Program q = empty_program();
  add(q, Engine::kAct, RegSet{0, 1}, {{0, 1, 1}, {0, 2}});
  check_single_issue(q, "Scalar[0] reg_set (kernels/unit.cpp:42)", "cannot be combined");
  Program ok = empty_program();
  add(ok, Engine::kAct, RegSet{0, 1}, {{0, 1, 1}, {2, 2}});
  CHECK(validate(ok, kLimits).empty());
}

TEST_CASE("replica groups: rows of one size, each rank once, none negative; ranks inside the launch") {
  Program p = empty_program();
  p.replica_groups = {{{0, 1}, {2, 3}}, {{0, 1}, {1, 2}}, {{0, 1, 2}, {3}}, {{-1, 0}}};
  const auto issues = validate(p, kLimits);
  REQUIRE(issues.size() == 3);
  CHECK(issues[0].to_string() == "replica group 1: rank 1 appears twice");
  CHECK(issues[1].to_string() == "replica group 2: rows must be non-empty and of one size");
  CHECK(issues[2].to_string() == "replica group 3: rank -1 is negative");
  p.replica_groups = {{{0, 4}, {1, 5}}};
  CHECK(replica_group_issues(p, 8).empty());
  CHECK(replica_group_issues(p, 5) ==
        std::vector<std::string>{"replica group 0 names rank 5, outside the launch's 5 ranks"});
}

TEST_CASE("collectives: internal HBM operands of one dtype sized for the group, on a CC-core") {
  AccessPattern src = hbm(0, 1, 64), dst = hbm(0, 4, 64);
  Program p = one(Engine::kCc, AllGather{dst, src, 0});
  p.replica_groups = {{{0, 1, 2, 3}}};
  const auto io = validate(p, kLimits);
  REQUIRE(io.size() == 2);  // dst and src are the kernel's input
  CHECK(io[1].to_string() ==
        "CC-core[0] all_gather (kernels/unit.cpp:42): src is the kernel's input 't': collectives take "
        "internal HBM "
        "tensors (collectives.md §2); copy it first");
  p.tensors[0].kind = TensorKind::kInternal;
  CHECK(validate(p, kLimits).empty());
  p.replica_groups = {{{0, 1}}};
  check_single_issue(p, "CC-core[0] all_gather (kernels/unit.cpp:42)",
                     "gathering 2 ranks' src of 64 needs 128");
  Program none = one(Engine::kCc, AllGather{dst, src, 0});
  none.tensors[0].kind = TensorKind::kInternal;
  check_single_issue(none, "CC-core[0] all_gather (kernels/unit.cpp:42)",
                     "replica group 0 does not exist (the program has 0)");
  Program a = one(Engine::kCc, AllToAll{hbm(0, 1, 6), hbm(0, 1, 6), 0});
  a.tensors[0].kind = TensorKind::kInternal;
  a.replica_groups = {{{0, 1, 2, 3}}};
  check_single_issue(a, "CC-core[0] all_to_all (kernels/unit.cpp:42)", "a multiple of the group's 4 ranks");
  Program m = one(Engine::kCc, CollectivePermute{hbm(0, 1, 64), sb(0, 1), 0, 4});
  m.tensors[0].kind = TensorKind::kInternal;
  m.replica_groups = {{{0, 1}}};
  const std::string text = issues_text(m);
  CHECK(text.find("src must be in hbm") != std::string::npos);
  CHECK(text.find("one dtype") == std::string::npos);
  CHECK(text.find("channel 4 outside 0..3") != std::string::npos);
  Program d = one(Engine::kDma, AllGather{dst, src, 0});
  d.tensors[0].kind = TensorKind::kInternal;
  d.replica_groups = {{{0, 1, 2, 3}}};
  check_single_issue(d, "q0[0] all_gather (kernels/unit.cpp:42)", "cannot run on the DMA engine");
}

TEST_CASE("rank-id registers, register-offset DMAs and core barriers are checked like their kin") {
  check_single_issue(one(Engine::kDma, RankId{64}), "q0[0] rank_id (kernels/unit.cpp:42)",
                     "dst_reg: register 64 does not exist");
  check_single_issue(on_queue(DgeMode::kHardware, DmaCopyRegOffset{sb(0, 1), sb(0, 1), 0, 1, false}),
                     "q0[0] dma_copy_reg_offset (kernels/unit.cpp:42)", "src must be in hbm");
  check_single_issue(one(Engine::kPool, CoreBarrier{-1}), "GpSimd[0] core_barrier (kernels/unit.cpp:42)",
                     "barrier number must be >= 0");
  check_single_issue(one(Engine::kDma, CoreBarrier{0}), "q0[0] core_barrier (kernels/unit.cpp:42)",
                     "cannot run on the DMA engine");
  Program p = one(Engine::kSp, ProcessingRankId{3, 0, -1});
  p.replica_groups = {{{0, 1}}};
  check_single_issue(p, "Sync[0] current_processing_rank_id (kernels/unit.cpp:42)", "iteration must be >= 0");
}

TEST_CASE(
    "DGE modes: run-time addresses need a DGE, gathers by column need swdge, hwdge needs v3 and no cast") {
  const AccessPattern col = sb(0, 4, 1, 0, DType::kInt32), scalar = sb(0, 1, 1, 0, DType::kInt32);
  const AccessPattern dst = sb(0, 4, 64, 64);
  const AccessPattern src = hbm_ap(0, DType::kBFloat16, 0, {0, 4}, {{1, 64}});
  const std::string gather = "q0[0] dma_gather (kernels/unit.cpp:42)";
  // A scalar offset works with either DGE; none builds its descriptors before the run.
  CHECK(validate(on_queue(DgeMode::kHardware, DmaGather{dst, src, scalar, 1024, 128}), kLimits).empty());
  check_single_issue(on_queue(DgeMode::kNone, DmaGather{dst, src, scalar, 1024, 128}), gather,
                     "computes its address at run time: its queue needs a DGE mode (swdge or hwdge)");
  check_single_issue(on_queue(DgeMode::kNone, DmaCopyRegOffset{sb(0, 1), hbm(0, 1, 64), 0, 1, false}),
                     "q0[0] dma_copy_reg_offset (kernels/unit.cpp:42)", "needs a DGE mode");
  check_single_issue(on_queue(DgeMode::kHardware, DmaGather{dst, src, col, 1024, 128}), gather,
                     "a gather with a column of indices (vector_offset) needs a swdge queue");
  MemoryLimits v2;
  v2.neuron_core_version = 2;
  const auto v2_issues = validate(on_queue(DgeMode::kSoftware, DmaGather{dst, src, col, 1024, 128}), v2);
  REQUIRE(v2_issues.size() == 1);
  CHECK(v2_issues[0].message.find("needs NeuronCore-v3 or later (this hardware is v2") != std::string::npos);
  const auto hw_on_v2 = validate(on_queue(DgeMode::kHardware, DmaCopy{dst, src}), v2);
  REQUIRE(hw_on_v2.size() == 1);
  CHECK(hw_on_v2[0].to_string().find("q0: hwdge needs NeuronCore-v3 or later (this hardware is v2") == 0);

  // Hardware DGE moves bytes as they are, and is commanded by Sync or Scalar.
  check_single_issue(on_queue(DgeMode::kHardware, DmaCopy{sb(0, 4, 64, 0, DType::kFloat32), src}),
                     "q0[0] dma_copy (kernels/unit.cpp:42)", "moves bytes without converting dtypes");
  CHECK(validate(on_queue(DgeMode::kSoftware, DmaCopy{sb(0, 4, 64, 0, DType::kFloat32), src}), kLimits)
            .empty());
  Program pool_trigger = on_queue(DgeMode::kHardware, DmaCopy{dst, src});
  pool_trigger.streams[stream_of(Engine::kDma)].dge_trigger = Engine::kPool;
  check_single_issue(pool_trigger, "q0", "commanded by the Sync or the Scalar sequencer, not GpSimd");
  // The DGE reference's hwdge transpose: 2 bytes, 16 source rows, a multiple of 128 innermost.
  const AccessPattern rows16 = hbm_ap(0, DType::kBFloat16, 0, {1024, 16}, {{1, 128}});
  CHECK(validate(on_queue(DgeMode::kHardware, DmaTranspose{sb(0, 128, 16, 0, DType::kBFloat16), rows16}),
                 kLimits)
            .empty());
  const AccessPattern rows32 = hbm_ap(0, DType::kBFloat16, 0, {1024, 32}, {{1, 128}});
  check_single_issue(on_queue(DgeMode::kHardware, DmaTranspose{sb(0, 128, 32, 0, DType::kBFloat16), rows32}),
                     "q0[0] dma_transpose (kernels/unit.cpp:42)", "16 source rows");

  // A DGE mode belongs to a DMA queue; software DGE needs GpSimd.
  Program on_engine = empty_program();
  on_engine.streams[stream_of(Engine::kAct)].dge = DgeMode::kSoftware;
  check_single_issue(on_engine, "Scalar", "only a DMA queue has a DGE mode");
  Program no_gpsimd = on_queue(DgeMode::kSoftware, DmaCopy{dst, src});
  no_gpsimd.streams[stream_of(Engine::kPool)].engine = Engine::kDve;
  const auto missing = validate(no_gpsimd, kLimits);
  CHECK(std::any_of(missing.begin(), missing.end(), [](const ValidationIssue& i) {
    return i.to_string().find("q0: a swdge queue needs the program's GpSimd stream") == 0;
  }));
}
