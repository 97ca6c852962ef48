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
