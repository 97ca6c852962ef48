// Test bench for single instructions: a one-stream program, its HBM and core state, and helpers to put
// values into and read them out of SBUF/PSUM/HBM without going through other instructions.
#pragma once
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "isa/program.hpp"
#include "isa/validator.hpp"
#include "sim/func/access_walker.hpp"
#include "sim/func/executor.hpp"
#include "sim/numerics/float_formats.hpp"

namespace tn::sim::test {

using isa::ApDim;

struct Bench {
  isa::Program program;
  isa::MemoryLimits limits;
  Hbm hbm;
  CoreState core{limits};

  explicit Bench(isa::Engine engine = isa::Engine::kDve, std::string stream = "dve") {
    program.kernel = "test";
    program.semaphores.push_back({stream + "_done", 0});
    program.streams.push_back({std::move(stream), engine, 0, {}});
  }

  // Declares an HBM tensor; inputs are filled with `values`.
  int32_t tensor(const std::string& name, DType t, std::vector<int64_t> shape, isa::TensorKind kind,
                 const std::vector<float>& values = {}) {
    isa::TensorDecl decl{name, t, std::move(shape), kind};
    hbm.declare(decl);
    if (!values.empty()) {
      hbm.fill(name, values);
    }
    program.tensors.push_back(decl);
    return static_cast<int32_t>(program.tensors.size() - 1);
  }

  // Appends `op` to the stream and executes it.
  void exec(const isa::Operation& op) {
    auto& ins = program.streams[0].instructions;
    ins.push_back({op, {}, {"kernel.cpp", static_cast<uint32_t>(10 + ins.size())}});
    Executor e(program, core, hbm);
    e.execute(0, ins.size() - 1);
  }

  AccessWalker io() { return AccessWalker(core, hbm.bind(program)); }
  void put(const isa::AccessPattern& ap, const std::vector<float>& v) { io().write(ap, "test", v.data()); }
  std::vector<float> get(const isa::AccessPattern& ap) {
    std::vector<float> out;
    io().read(ap, "test", out);
    return out;
  }
  std::vector<std::byte> get_raw(const isa::AccessPattern& ap) {
    std::vector<std::byte> out;
    io().read_raw(ap, "test", out);
    return out;
  }
};

inline float bf16(float x) { return num::bf16_to_f32(num::f32_to_bf16(x)); }

template <class Word>
std::vector<std::byte> bytes_of(const std::vector<Word>& words) {
  std::vector<std::byte> out(words.size() * sizeof(Word));
  std::memcpy(out.data(), words.data(), out.size());
  return out;
}

}  // namespace tn::sim::test
