// Hand-built programs for the timed-run tests.
#pragma once
#include <string>
#include <vector>

#include "isa/program.hpp"
#include "sim/func/hbm.hpp"

namespace tn::sc::testing {

struct TestProgram {
  isa::Program p;

  int32_t sem(const std::string& name, int64_t initial = 0) {
    p.semaphores.push_back({name, initial});
    return int32_t(p.semaphores.size() - 1);
  }
  // A stream with its own completion semaphore "<name>" (counts retired instructions).
  int32_t stream(const std::string& name, isa::Engine engine) {
    const int32_t done = sem(name);
    p.streams.push_back(isa::Stream{name, engine, done, {}});
    return int32_t(p.streams.size() - 1);
  }
  int32_t done_sem(int32_t stream) const { return p.streams[stream].completion_sem; }
  int32_t tensor(const std::string& name, DType t, std::vector<int64_t> shape, isa::TensorKind kind) {
    p.tensors.push_back(isa::TensorDecl{name, t, std::move(shape), kind});
    return int32_t(p.tensors.size() - 1);
  }
  // Appends an instruction; returns its index. Its source line is its index + 1 in "test.cpp".
  int32_t emit(int32_t stream, isa::Operation op, std::vector<isa::SemCondition> waits = {}) {
    auto& ins = p.streams[stream].instructions;
    ins.push_back(isa::Instruction{std::move(op), std::move(waits), {"test.cpp", uint32_t(ins.size() + 1)}});
    return int32_t(ins.size() - 1);
  }
  // Waits for `count` instructions of `stream` to have retired.
  isa::SemCondition after(int32_t stream, int64_t count) const { return {done_sem(stream), count}; }
};

// [rows, cols] row-major HBM pattern of a whole 2-D tensor.
inline isa::AccessPattern hbm2d(int32_t tensor, DType t, int64_t rows, int64_t cols) {
  return isa::hbm_ap(tensor, t, 0, isa::ApDim{cols, rows}, {isa::ApDim{1, cols}});
}
inline isa::AccessPattern sbuf2d(DType t, int64_t addr, int32_t rows, int64_t cols) {
  return isa::sbuf_ap(t, addr, 0, rows, {isa::ApDim{1, cols}});
}
inline isa::AccessPattern psum2d(DType t, int64_t addr, int32_t rows, int64_t cols) {
  return isa::psum_ap(t, addr, 0, rows, {isa::ApDim{1, cols}});
}

// DMA in -> matmul -> ACT exp of PSUM -> DVE add -> DMA out, over five streams (qSyncIO0, Tensor, Scalar,
// Vector, qSyncIO1, in that order), every dependency waited for: inputs w, x, a; output out [128, 64] fp32.
inline TestProgram five_stream_pipeline() {
  TestProgram t;
  const auto bf = DType::kBFloat16, f32 = DType::kFloat32;
  const int32_t w = t.tensor("w", bf, {128, 128}, isa::TensorKind::kInput);
  const int32_t x = t.tensor("x", bf, {128, 64}, isa::TensorKind::kInput);
  const int32_t a = t.tensor("a", f32, {128, 64}, isa::TensorKind::kInput);
  const int32_t out = t.tensor("out", f32, {128, 64}, isa::TensorKind::kOutput);
  const int32_t q0 = t.stream("qSyncIO0", isa::Engine::kDma);
  const int32_t pe = t.stream("Tensor", isa::Engine::kPe);
  const int32_t act = t.stream("Scalar", isa::Engine::kAct);
  const int32_t dve = t.stream("Vector", isa::Engine::kDve);
  const int32_t q1 = t.stream("qSyncIO1", isa::Engine::kDma);
  t.emit(q0, isa::DmaCopy{sbuf2d(bf, 0, 128, 128), hbm2d(w, bf, 128, 128)});
  t.emit(q0, isa::DmaCopy{sbuf2d(bf, 256, 128, 64), hbm2d(x, bf, 128, 64)});
  t.emit(q0, isa::DmaCopy{sbuf2d(f32, 512, 128, 64), hbm2d(a, f32, 128, 64)});
  t.emit(pe, isa::LoadStationary{sbuf2d(bf, 0, 128, 128)}, {t.after(q0, 1)});
  t.emit(pe, isa::MultiplyMoving{psum2d(f32, 0, 128, 64), sbuf2d(bf, 256, 128, 64), false}, {t.after(q0, 2)});
  t.emit(
      act,
      isa::Activation{
          sbuf2d(f32, 1024, 128, 64), psum2d(f32, 0, 128, 64), isa::ActFunc::kExp, isa::imm(0.01f), {}, {}},
      {t.after(pe, 2)});
  t.emit(dve,
         isa::TensorTensor{sbuf2d(f32, 1536, 128, 64), sbuf2d(f32, 1024, 128, 64), sbuf2d(f32, 512, 128, 64),
                           isa::AluOp::kAdd},
         {t.after(act, 1), t.after(q0, 3)});
  t.emit(q1, isa::DmaCopy{hbm2d(out, f32, 128, 64), sbuf2d(f32, 1536, 128, 64)}, {t.after(dve, 1)});
  return t;
}

// Deterministic, varied input values.
inline std::vector<float> pattern(size_t n, float scale = 1.0f) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) {
    v[i] = scale * float(int((i * 7919u) % 263u) - 131) / 64.0f;
  }
  return v;
}

// Declares and fills every input tensor of `program` with pattern() values.
inline void fill_inputs(sim::Hbm& hbm, const isa::Program& program, float scale = 1.0f) {
  for (const isa::TensorDecl& t : program.tensors) {
    if (t.kind == isa::TensorKind::kInput) {
      hbm.declare(t);
      hbm.fill(t.name, pattern(size_t(t.num_elements()), scale));
    }
  }
}

}  // namespace tn::sc::testing
