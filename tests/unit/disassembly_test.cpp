// The human-readable listing of operations and programs.
#include "isa/disassembly.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>

namespace {

using namespace tn;
using namespace tn::isa;

std::string listing(const Program& p) {
  std::ostringstream s;
  disassemble(p, s);
  return s.str();
}

Program two_stream_program() {
  Program p;
  p.kernel = "demo";
  p.core_id = 1;
  p.tensors = {{"x", DType::kBFloat16, {128, 64}, TensorKind::kInput}};
  p.semaphores = {{"Vector", 0}, {"qSyncIO0", 0}};
  const AccessPattern x_sb = sbuf_ap(DType::kBFloat16, 0x400, 0, 128, {{1, 64}});
  Stream dma{"qSyncIO0", Engine::kDma, 1, {}};
  dma.instructions.push_back({DmaCopy{x_sb, hbm_ap(0, DType::kBFloat16, 0, {64, 128}, {{1, 64}})}, {}, {}});
  Stream dve{"dve", Engine::kDve, 0, {}};
  dve.instructions.push_back(
      {TensorScalar{x_sb, x_sb, AluOp::kMultiply, imm(0.5f), false, AluOp::kBypass, imm(0.0f), false},
       {{1, 1}},
       {"kernels/demo.cpp", 42}});
  p.streams = {dve, dma};
  return p;
}

}  // namespace

TEST_CASE("access patterns print partitions, address, dtype and free dims outermost first") {
  CHECK(to_string(sbuf_ap(DType::kBFloat16, 0x400, 0, 128, {{1, 512}})) ==
        "sbuf[0:128]@0x400 bfloat16 [[1,512]]");
  CHECK(to_string(psum_ap(DType::kFloat32, 2048, 32, 32, {{8, 4}, {1, 8}})) ==
        "psum[32:64]@0x800 float32 [[8,4],[1,8]]");
  CHECK(to_string(hbm_ap(3, DType::kFloat16, 100, {64, 128}, {{1, 64}})) ==
        "hbm:t3+100 float16 [[64,128],[1,64]]");
  CHECK(to_string(sbuf_ap(DType::kInt32, 0, 5, 1, {})) == "sbuf[5:6]@0x0 int32 []");
}

TEST_CASE("an operation disassembles as mnemonic and field=value pairs in table order") {
  const Operation op = SemWait{3, 17};
  CHECK(disassemble(op) == "sem_wait sem=3, at_least=17");
  const Operation mm = MultiplyMoving{psum_ap(DType::kFloat32, 0, 0, 128, {{1, 512}}),
                                      sbuf_ap(DType::kBFloat16, 0, 0, 128, {{1, 512}}), true};
  CHECK(disassemble(mm) ==
        "multiply_moving dst=psum[0:128]@0x0 float32 [[1,512]], moving=sbuf[0:128]@0x0 bfloat16 [[1,512]], "
        "accumulate=true");
}

TEST_CASE("operators, steps, absent operands and fill values print by name and value") {
  AffineSelect sel;
  sel.steps = {1, -2, 0, 0};
  sel.cmp = CmpOp::kGe;
  sel.fill = kFmin;
  const std::string text = disassemble(sel);
  CHECK(text.find("steps=[1,-2,0,0]") != std::string::npos);
  CHECK(text.find("cmp=ge") != std::string::npos);
  CHECK(text.find("fill=-3.40282347e+38") != std::string::npos);
  Activation act;
  act.func = ActFunc::kGeluTanhApprox;
  const std::string a = disassemble(act);
  CHECK(a.find("func=gelu_apprx_tanh") != std::string::npos);
  CHECK(a.find("bias=none") != std::string::npos);
  CHECK(a.find("scale=0") != std::string::npos);
}

TEST_CASE("float fields print as printf's %.9g does, special values included") {
  const float values[] = {0.0f,        -0.0f,  0.08838834764831845f,
                          1.0f / 3,    1e-45f, 3.40282347e38f,
                          16777216.0f, 1e9f,   INFINITY,
                          -INFINITY,   NAN,    -NAN};
  for (const float v : values) {
    char expected[64];
    std::snprintf(expected, sizeof expected, "memset dst=sbuf[0:1]@0x0 float32 [], value=%.9g", double(v));
    CHECK(disassemble(Memset{sbuf_ap(DType::kFloat32, 0, 0, 1, {}), v}) == expected);
  }
  // Negative offsets (which the validator refuses) print as std::hex printed them: two's complement.
  CHECK(to_string(sbuf_ap(DType::kInt8, -1, 0, 1, {})) == "sbuf[0:1]@0xffffffffffffffff int8 []");
}

TEST_CASE("a program listing shows tensors, streams, waits with semaphore names and source lines") {
  const std::string text = listing(two_stream_program());
  CHECK(text.find("; kernel demo, core 1, 2 instructions\n") == 0);
  CHECK(text.find("; tensor t0 x bfloat16 [128,64] input\n") != std::string::npos);
  CHECK(text.find("dve:  ; Vector engine, completion semaphore S[0]\n") != std::string::npos);
  CHECK(text.find("qSyncIO0:  ; DMA engine, completion semaphore S[1]\n") != std::string::npos);
  CHECK(text.find("wait S[1](qSyncIO0)>=1; tensor_scalar dst=") != std::string::npos);
  CHECK(text.find("  ; kernels/demo.cpp:42\n") != std::string::npos);
}

TEST_CASE("a DMA queue's header names its DGE mode and the sequencer commanding a hwdge queue") {
  Program p = two_stream_program();
  p.streams[1].dge = DgeMode::kHardware;
  p.streams[1].dge_trigger = Engine::kAct;
  CHECK(listing(p).find("qSyncIO0:  ; DMA engine, completion semaphore S[1], hwdge commanded by Scalar\n") !=
        std::string::npos);
  p.streams[1].dge = DgeMode::kSoftware;
  CHECK(listing(p).find("qSyncIO0:  ; DMA engine, completion semaphore S[1], swdge\n") != std::string::npos);
}

TEST_CASE("a program listing survives waits on semaphores that do not exist") {
  // Disassembly is how one debugs a bad program, so it must not depend on the program being valid.
  Program p = two_stream_program();
  p.streams[0].instructions[0].waits = {{7, 2}, {-1, 1}};
  const std::string text = listing(p);
  CHECK(text.find("wait S[7](?)>=2; wait S[-1](?)>=1; tensor_scalar") != std::string::npos);
}

TEST_CASE("sequencer instructions and consuming waits disassemble readably") {
  CHECK(disassemble(RegOp{1, 2, AluOp::kAdd, reg_operand(3)}) == "reg_op dst_reg=1, a_reg=2, op=add, b=r3");
  CHECK(disassemble(RegOp{1, 2, AluOp::kMultiply, imm_operand(-4)}) ==
        "reg_op dst_reg=1, a_reg=2, op=multiply, b=-4");
  CHECK(disassemble(Branch{0, BranchCond::kGt, 5, 0}) == "branch target=0, cond=gt, reg=5, imm=0");
  CHECK(disassemble(RegCheck{5, 0, 100}) == "reg_check reg=5, min=0, max=100");
  Program p = two_stream_program();
  p.streams[0].instructions[0].waits = {{1, 1, 1}};
  CHECK(listing(p).find("wait S[1](qSyncIO0)>=1 consume 1; tensor_scalar") != std::string::npos);
}
