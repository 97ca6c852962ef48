// A program with runtime trip counts, shared by the functional and the timed tests: ACT produces a tile
// N times and DVE consumes it N times, where N is an int32 in HBM ("n") that both engines reg_load from
// SBUF. One program serves every N. The hand-off is a bounded buffer of one slot built from consuming
// waits: `full` (initially 0) counts produced tiles, `empty` (initially 1) free slots; the producer
// waits empty >= 1 consume 1 before overwriting X and signals full +1, the consumer waits full >= 1
// consume 1 before reading X and signals empty +1. Completion semaphores count executed instructions,
// so after a loop their values depend on N: the store waits on an explicit `finished` signal instead.
//
//   qSyncIO0: dma n -> N_SB [1,1] int32; dma x -> X [4,8] fp32
//   act:  0 reg_load r0 <- N_SB (waits qSyncIO0 >= 2)   dve:  0 memset ACC = 0
//         1 reg_check r0 in [0, 64]                             1 reg_load r0 <- N_SB (waits qSyncIO0 >= 2)
//         2 branch 7 if r0 <= 0                                 2 reg_check r0 in [0, 64]
//         3 activation X = 2 * X (waits empty >= 1 consume 1)   3 branch 8 if r0 <= 0
//         4 sem_signal full +1                                  4 tensor_tensor ACC = ACC + X
//         5 reg_op r0 = r0 - 1                                    (waits full >= 1 consume 1)
//         6 branch 3 if r0 > 0                                  5 sem_signal empty +1
//                                                               6 reg_op r0 = r0 - 1
//                                                               7 branch 4 if r0 > 0
//                                                               8 sem_signal finished +1
//   qOut: dma ACC -> out (waits finished >= 1)
//
// out = sum_{i=1..N} 2^i x = (2^(N+1) - 2) x.
#pragma once
#include <string>
#include <vector>

#include "isa/program.hpp"

namespace tn::sim::test {

struct LoopProgram {
  isa::Program p;
  int32_t full = 0, empty = 0, finished = 0;
};

inline LoopProgram counted_loop_program() {
  using isa::AccessPattern;
  using isa::Engine;
  LoopProgram lp;
  isa::Program& p = lp.p;
  p.kernel = "counted_loop";
  const auto sem = [&](const std::string& name, int64_t initial) {
    p.semaphores.push_back({name, initial});
    return int32_t(p.semaphores.size() - 1);
  };
  const auto stream = [&](const std::string& name, Engine e) {
    p.streams.push_back({name, e, sem(name, 0), {}});
    return int32_t(p.streams.size() - 1);
  };
  lp.full = sem("full", 0);
  lp.empty = sem("empty", 1);
  lp.finished = sem("finished", 0);
  const int32_t q = stream("qSyncIO0", Engine::kDma), act = stream("act", Engine::kAct),
                dve = stream("dve", Engine::kDve), out_q = stream("qOut", Engine::kDma);
  p.tensors = {{"n", DType::kInt32, {1, 1}, isa::TensorKind::kInput},
               {"x", DType::kFloat32, {4, 8}, isa::TensorKind::kInput},
               {"out", DType::kFloat32, {4, 8}, isa::TensorKind::kOutput}};
  const AccessPattern n_sb = isa::sbuf_ap(DType::kInt32, 0, 0, 1, {{1, 1}});
  const AccessPattern x_sb = isa::sbuf_ap(DType::kFloat32, 64, 0, 4, {{1, 8}});
  const AccessPattern acc = isa::sbuf_ap(DType::kFloat32, 128, 0, 4, {{1, 8}});
  uint32_t line = 1;
  const auto emit = [&](int32_t s, isa::Operation op, std::vector<isa::SemCondition> waits = {}) {
    p.streams[s].instructions.push_back({std::move(op), std::move(waits), {"loop.cpp", line++}});
  };
  emit(q, isa::DmaCopy{n_sb, isa::hbm_ap(0, DType::kInt32, 0, {1, 1}, {{1, 1}})});
  emit(q, isa::DmaCopy{x_sb, isa::hbm_ap(1, DType::kFloat32, 0, {8, 4}, {{1, 8}})});
  const isa::SemCondition loaded{p.streams[q].completion_sem, 2};

  emit(act, isa::RegLoad{0, n_sb}, {loaded});
  emit(act, isa::RegCheck{0, 0, 64});
  emit(act, isa::Branch{7, isa::BranchCond::kLe, 0, 0});
  emit(act, isa::Activation{x_sb, x_sb, isa::ActFunc::kCopy, isa::imm(2.0f), {}, {}}, {{lp.empty, 1, 1}});
  emit(act, isa::SemSignal{lp.full, 1});
  emit(act, isa::RegOp{0, 0, isa::AluOp::kSubtract, isa::imm_operand(1)});
  emit(act, isa::Branch{3, isa::BranchCond::kGt, 0, 0});

  emit(dve, isa::Memset{acc, 0.0f});
  emit(dve, isa::RegLoad{0, n_sb}, {loaded});
  emit(dve, isa::RegCheck{0, 0, 64});
  emit(dve, isa::Branch{8, isa::BranchCond::kLe, 0, 0});
  emit(dve, isa::TensorTensor{acc, acc, x_sb, isa::AluOp::kAdd}, {{lp.full, 1, 1}});
  emit(dve, isa::SemSignal{lp.empty, 1});
  emit(dve, isa::RegOp{0, 0, isa::AluOp::kSubtract, isa::imm_operand(1)});
  emit(dve, isa::Branch{4, isa::BranchCond::kGt, 0, 0});
  emit(dve, isa::SemSignal{lp.finished, 1});

  emit(out_q, isa::DmaCopy{isa::hbm_ap(2, DType::kFloat32, 0, {8, 4}, {{1, 8}}), acc}, {{lp.finished, 1}});
  return lp;
}

// x values: small integers, so every sum is exact in fp32.
inline std::vector<float> loop_x() {
  std::vector<float> x(32);
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = float(int(i % 7) - 3);
  }
  return x;
}

}  // namespace tn::sim::test
