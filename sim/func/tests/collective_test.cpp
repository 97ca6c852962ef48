// Collectives, rank-id registers, register-offset DMAs and core barriers across ranks (kernels.md §6.6-§6.7):
// the bytes each rank ends with on 2-8 ranks, several replica groups at once, and the errors for members
// that never arrive, arrive out of order or name a rank outside the group.
#include <doctest/doctest.h>

#include <functional>
#include <numeric>
#include <string>
#include <vector>

#include "isa/program.hpp"
#include "sim/func/executor.hpp"
#include "sim/func/functional_runner.hpp"

namespace tn::sim {
namespace {

using isa::AccessPattern;
using isa::hbm_ap;
using isa::TensorKind;

const isa::MemoryLimits kLimits{};

// An SPMD program with a CC stream (cc0), a DMA queue (q0) and a GpSimd stream (pool), each with its
// completion semaphore; instructions are appended by hand with their source line.
struct Spmd {
  isa::Program p;
  Spmd() {
    p.kernel = "collective_test";
    for (auto [name, engine] :
         {std::pair{"cc0", isa::Engine::kCc}, {"q0", isa::Engine::kDma}, {"pool", isa::Engine::kPool}}) {
      p.semaphores.push_back({name, 0});
      p.streams.push_back({name, engine, int32_t(p.streams.size()), {}});
    }
  }
  int32_t tensor(const std::string& name, std::vector<int64_t> shape, TensorKind kind,
                 isa::TensorScope scope = isa::TensorScope::kShared) {
    p.tensors.push_back({name, DType::kFloat32, std::move(shape), kind, scope});
    return int32_t(p.tensors.size() - 1);
  }
  // A flat [1, n] view of tensor t from element `offset`.
  static AccessPattern flat(int32_t t, int64_t n, int64_t offset = 0) {
    return hbm_ap(t, DType::kFloat32, offset, {n, 1}, {{1, n}});
  }
  void add(int stream, isa::Operation op, std::vector<isa::SemCondition> waits = {}) {
    auto& ins = p.streams[size_t(stream)].instructions;
    ins.push_back(
        {std::move(op), std::move(waits), {"kernels/collective_test.cpp", uint32_t(100 + ins.size())}});
  }
  static constexpr int kCc = 0, kQ = 1, kPool = 2;
};

// One HBM per rank, input `name` filled by `value(rank, i)`.
std::vector<Hbm> rank_memories(const isa::Program& p, size_t ranks, const std::string& name,
                               const std::function<float(size_t, size_t)>& value) {
  std::vector<Hbm> hbm(ranks);
  const int32_t t = p.find_tensor(name);
  for (size_t r = 0; r < ranks; ++r) {
    hbm[r].declare(p.tensors[size_t(t)]);
    std::vector<float> v(size_t(p.tensors[size_t(t)].num_elements()));
    for (size_t i = 0; i < v.size(); ++i)
      v[i] = value(r, i);
    hbm[r].fill(name, v);
  }
  return hbm;
}

std::vector<Hbm*> pointers(std::vector<Hbm>& hbm) {
  std::vector<Hbm*> out;
  for (Hbm& h : hbm)
    out.push_back(&h);
  return out;
}

std::vector<int32_t> iota_row(int n) {
  std::vector<int32_t> row(static_cast<size_t>(n));
  std::iota(row.begin(), row.end(), 0);
  return row;
}

std::string run_error(const std::vector<const isa::Program*>& programs, std::vector<Hbm>& hbm) {
  try {
    run_functional_ranks(programs, pointers(hbm), kLimits);
  } catch (const ExecutionError& e) {
    return e.what();
  }
  return "no error";
}

TEST_CASE("all_gather: every rank ends with the row's sources in row order, on 2 to 8 ranks") {
  for (int g : {2, 3, 4, 8}) {
    CAPTURE(g);
    Spmd s;
    const int32_t src = s.tensor("src", {4}, TensorKind::kInput);
    const int32_t dst = s.tensor("dst", {g, 4}, TensorKind::kOutput);
    s.p.replica_groups = {{iota_row(g)}};
    s.add(Spmd::kCc, isa::AllGather{Spmd::flat(dst, 4 * g), Spmd::flat(src, 4), 0});
    auto hbm = rank_memories(s.p, size_t(g), "src", [](size_t r, size_t i) { return float(10 * r + i); });
    run_functional_ranks({&s.p}, pointers(hbm), kLimits);
    for (int r = 0; r < g; ++r) {
      const std::vector<float> out = hbm[size_t(r)].read("dst");
      for (int j = 0; j < g; ++j) {
        for (int i = 0; i < 4; ++i)
          CHECK(out[size_t(4 * j + i)] == float(10 * j + i));
      }
    }
  }
}

TEST_CASE("all_to_all: chunk i of rank j's dst is chunk j of rank i's src") {
  for (int g : {2, 4, 8}) {
    CAPTURE(g);
    Spmd s;
    const int32_t src = s.tensor("src", {g, 2}, TensorKind::kInput);
    const int32_t dst = s.tensor("dst", {g, 2}, TensorKind::kOutput);
    s.p.replica_groups = {{iota_row(g)}};
    s.add(Spmd::kCc, isa::AllToAll{Spmd::flat(dst, 2 * g), Spmd::flat(src, 2 * g), 0});
    auto hbm = rank_memories(s.p, size_t(g), "src", [](size_t r, size_t i) { return float(100 * r + i); });
    run_functional_ranks({&s.p}, pointers(hbm), kLimits);
    for (int j = 0; j < g; ++j) {
      const std::vector<float> out = hbm[size_t(j)].read("dst");
      for (int i = 0; i < g; ++i) {
        CHECK(out[size_t(2 * i)] == float(100 * i + 2 * j));
        CHECK(out[size_t(2 * i + 1)] == float(100 * i + 2 * j + 1));
      }
    }
  }
}

TEST_CASE("collective_permute_implicit: each rank receives its predecessor's source, in every row") {
  // Two rows: [0, 2, 4, 6] and [1, 3, 5, 7] (rows need not be contiguous ranks).
  Spmd s;
  const int32_t src = s.tensor("src", {3}, TensorKind::kInput);
  const int32_t dst = s.tensor("dst", {3}, TensorKind::kOutput);
  s.p.replica_groups = {{{0, 2, 4, 6}, {1, 3, 5, 7}}};
  s.add(Spmd::kCc, isa::CollectivePermute{Spmd::flat(dst, 3), Spmd::flat(src, 3), 0, 0});
  auto hbm = rank_memories(s.p, 8, "src", [](size_t r, size_t i) { return float(10 * r + i); });
  run_functional_ranks({&s.p}, pointers(hbm), kLimits);
  const int pred[8] = {6, 7, 0, 1, 2, 3, 4, 5};
  for (int r = 0; r < 8; ++r) {
    CAPTURE(r);
    CHECK(hbm[size_t(r)].read("dst") ==
          std::vector<float>{float(10 * pred[r]), float(10 * pred[r] + 1), float(10 * pred[r] + 2)});
  }
}

TEST_CASE("collectives of two CC-cores pair per CC-core, whichever arrives first on each rank") {
  // cc0 permutes `a`, cc1 permutes `b`: under shuffled schedules the ranks reach them in different orders,
  // and each must still meet its own kind (ring attention runs K and V side by side so).
  Spmd s;
  s.p.semaphores.push_back({"cc1", 0});
  s.p.streams.push_back({"cc1", isa::Engine::kCc, int32_t(s.p.streams.size()), {}});
  const int kCc1 = int(s.p.streams.size()) - 1;
  const int32_t a = s.tensor("a", {2}, TensorKind::kInput), b = s.tensor("b", {2}, TensorKind::kInput);
  const int32_t a_out = s.tensor("a_out", {2}, TensorKind::kOutput);
  const int32_t b_out = s.tensor("b_out", {2}, TensorKind::kOutput);
  s.p.replica_groups = {{iota_row(4)}};
  s.add(Spmd::kCc, isa::CollectivePermute{Spmd::flat(a_out, 2), Spmd::flat(a, 2), 0, 0});
  s.add(kCc1, isa::CollectivePermute{Spmd::flat(b_out, 2), Spmd::flat(b, 2), 0, 1});
  for (uint64_t seed = 1; seed <= 16; ++seed) {
    CAPTURE(seed);
    auto hbm = rank_memories(s.p, 4, "a", [](size_t r, size_t i) { return float(10 * r + i); });
    for (size_t r = 0; r < 4; ++r) {
      hbm[r].declare(s.p.tensors[size_t(b)]);
      hbm[r].fill("b", {float(-10.0 * double(r)), float(-10.0 * double(r) - 1)});
    }
    FunctionalOptions options;
    options.schedule_seed = seed;
    run_functional_ranks({&s.p}, pointers(hbm), kLimits, options);
    for (size_t r = 0; r < 4; ++r) {
      const float pred = float((r + 3) % 4);
      CHECK(hbm[r].read("a_out") == std::vector<float>{10 * pred, 10 * pred + 1});
      CHECK(hbm[r].read("b_out") == std::vector<float>{-10 * pred, -10 * pred - 1});
    }
  }
}

TEST_CASE("several replica groups at once: an all_gather over [[0,4],[1,5],[2,6],[3,7]]") {
  Spmd s;
  const int32_t src = s.tensor("src", {2}, TensorKind::kInput);
  const int32_t dst = s.tensor("dst", {4}, TensorKind::kOutput);
  s.p.replica_groups = {{{0, 4}, {1, 5}, {2, 6}, {3, 7}}};
  s.add(Spmd::kCc, isa::AllGather{Spmd::flat(dst, 4), Spmd::flat(src, 2), 0});
  auto hbm = rank_memories(s.p, 8, "src", [](size_t r, size_t i) { return float(10 * r + i); });
  run_functional_ranks({&s.p}, pointers(hbm), kLimits);
  for (int r = 0; r < 8; ++r) {
    const int a = r % 4, b = r % 4 + 4;
    CHECK(hbm[size_t(r)].read("dst") ==
          std::vector<float>{float(10 * a), float(10 * a + 1), float(10 * b), float(10 * b + 1)});
  }
}

TEST_CASE("rank_id and current_processing_rank_id drive a register-offset DMA") {
  // Each rank copies row rank_id of a table, then the row of the rank a permute ring brings at
  // iteration 1: (position - 1) mod 4.
  Spmd s;
  const int32_t table = s.tensor("table", {4, 2}, TensorKind::kInput);
  const int32_t mine = s.tensor("mine", {2}, TensorKind::kOutput);
  const int32_t processed = s.tensor("processed", {2}, TensorKind::kOutput);
  s.p.replica_groups = {{{0, 1, 2, 3}}};
  s.add(Spmd::kQ, isa::RankId{5});
  s.add(Spmd::kQ, isa::DmaCopyRegOffset{Spmd::flat(mine, 2), Spmd::flat(table, 2), 5, 2, false});
  s.add(Spmd::kQ, isa::ProcessingRankId{6, 0, 1});
  s.add(Spmd::kQ, isa::DmaCopyRegOffset{Spmd::flat(processed, 2), Spmd::flat(table, 2), 6, 2, false});
  auto hbm = rank_memories(s.p, 4, "table", [](size_t, size_t i) { return float(i); });
  run_functional_ranks({&s.p}, pointers(hbm), kLimits);
  for (int r = 0; r < 4; ++r) {
    CAPTURE(r);
    CHECK(hbm[size_t(r)].read("mine") == std::vector<float>{float(2 * r), float(2 * r + 1)});
    const int p = (r + 3) % 4;
    CHECK(hbm[size_t(r)].read("processed") == std::vector<float>{float(2 * p), float(2 * p + 1)});
  }
}

TEST_CASE("a register offset that leaves the tensor is an error naming the register and its value") {
  Spmd s;
  const int32_t table = s.tensor("table", {4, 2}, TensorKind::kInput);
  const int32_t mine = s.tensor("mine", {2}, TensorKind::kOutput);
  s.add(Spmd::kQ, isa::RankId{5});
  s.add(Spmd::kQ, isa::DmaCopyRegOffset{Spmd::flat(mine, 2), Spmd::flat(table, 2), 5, 3, false});
  auto hbm = rank_memories(s.p, 4, "table", [](size_t, size_t i) { return float(i); });
  const std::string e = run_error({&s.p}, hbm);
  CHECK(e.find("rank 3: q0[1] dma_copy_reg_offset (kernels/collective_test.cpp:101)") != std::string::npos);
  CHECK(e.find("the src offset moved by r5 = 3 times 3 elements") != std::string::npos);
}

TEST_CASE("a collective some rank never reaches is a deadlock naming every rank's instruction and line") {
  // Rank 2 branches past the all_gather on its rank id.
  Spmd s;
  const int32_t src = s.tensor("src", {1}, TensorKind::kInput);
  const int32_t dst = s.tensor("dst", {4}, TensorKind::kOutput);
  s.p.replica_groups = {{iota_row(4)}};
  s.add(Spmd::kCc, isa::RankId{1});
  s.add(Spmd::kCc, isa::Branch{3, isa::BranchCond::kEq, 1, 2});
  s.add(Spmd::kCc, isa::AllGather{Spmd::flat(dst, 4), Spmd::flat(src, 1), 0});
  auto hbm = rank_memories(s.p, 4, "src", [](size_t r, size_t) { return float(r); });
  const std::string e = run_error({&s.p}, hbm);
  INFO(e);
  CHECK(e.find("deadlock") != std::string::npos);
  for (int r : {0, 1, 3}) {
    CHECK(e.find("rank " + std::to_string(r) +
                 ": cc0[2] all_gather (kernels/collective_test.cpp:102): waits at "
                 "collective #0 of cc0 on replica group 0 row [0, 1, 2, 3] for rank 2") != std::string::npos);
  }
  CHECK(e.find("rank 2: cc0") == std::string::npos);
  CHECK(e.find("finished: rank 2") != std::string::npos);
}

TEST_CASE("ranks that issue collectives in different orders are a mismatch naming both instructions") {
  // Ranks 0 and 2 run all_gather then all_to_all; ranks 1 and 3 the other way round (a branch on bit 0).
  Spmd s;
  const int32_t src = s.tensor("src", {4}, TensorKind::kInput);
  const int32_t gathered = s.tensor("gathered", {16}, TensorKind::kOutput);
  const int32_t exchanged = s.tensor("exchanged", {4}, TensorKind::kOutput);
  s.p.replica_groups = {{iota_row(4)}};
  const isa::Operation ag = isa::AllGather{Spmd::flat(gathered, 16), Spmd::flat(src, 4), 0};
  const isa::Operation a2a = isa::AllToAll{Spmd::flat(exchanged, 4), Spmd::flat(src, 4), 0};
  s.add(Spmd::kCc, isa::RankId{1});
  s.add(Spmd::kCc, isa::RegOp{1, 1, isa::AluOp::kBitwiseAnd, isa::imm_operand(1)});
  s.add(Spmd::kCc, isa::Branch{6, isa::BranchCond::kEq, 1, 1});
  s.add(Spmd::kCc, ag);                                              // 3
  s.add(Spmd::kCc, a2a);                                             // 4
  s.add(Spmd::kCc, isa::Branch{8, isa::BranchCond::kAlways, 0, 0});  // 5
  s.add(Spmd::kCc, a2a);                                             // 6
  s.add(Spmd::kCc, ag);                                              // 7
  auto hbm = rank_memories(s.p, 4, "src", [](size_t r, size_t i) { return float(r + i); });
  const std::string e = run_error({&s.p}, hbm);
  INFO(e);
  CHECK(e.find("collective mismatch at collective #0 of cc0 on replica group 0 row [0, 1, 2, 3]") !=
        std::string::npos);
  CHECK(e.find("cc0[6] all_to_all (kernels/collective_test.cpp:106)") != std::string::npos);
  CHECK(e.find("cc0[3] all_gather (kernels/collective_test.cpp:103)") != std::string::npos);
}

TEST_CASE("a rank outside every row of its collective's group is an error") {
  Spmd s;
  const int32_t src = s.tensor("src", {1}, TensorKind::kInput);
  const int32_t dst = s.tensor("dst", {2}, TensorKind::kOutput);
  s.p.replica_groups = {{{0, 1}}};
  s.add(Spmd::kCc, isa::AllGather{Spmd::flat(dst, 2), Spmd::flat(src, 1), 0});
  auto hbm = rank_memories(s.p, 3, "src", [](size_t r, size_t) { return float(r); });
  CHECK(run_error({&s.p}, hbm)
            .find("rank 2: cc0[0] all_gather (kernels/collective_test.cpp:100): rank 2 is in no "
                  "row of replica group 0") != std::string::npos);
}

TEST_CASE("core_barrier: core 1 reads what core 0 wrote before the barrier, under every schedule") {
  // Core 0 copies in -> shared before its barrier; core 1 copies shared -> out after its own. Without the
  // barrier core 1 could read shared before anything wrote it.
  Spmd s;
  const int32_t in = s.tensor("in", {4}, TensorKind::kInput);
  const int32_t shared = s.tensor("shared", {4}, TensorKind::kInternal);
  const int32_t out = s.tensor("out", {4}, TensorKind::kOutput);
  isa::Program core0 = s.p, core1 = s.p;
  core1.core_id = 1;
  const auto add = [](isa::Program& p, int stream, isa::Operation op,
                      std::vector<isa::SemCondition> waits = {}) {
    auto& ins = p.streams[size_t(stream)].instructions;
    ins.push_back(
        {std::move(op), std::move(waits), {"kernels/collective_test.cpp", uint32_t(200 + ins.size())}});
  };
  add(core0, Spmd::kQ, isa::DmaCopy{Spmd::flat(shared, 4), Spmd::flat(in, 4)});
  add(core0, Spmd::kPool, isa::CoreBarrier{0}, {{Spmd::kQ, 1}});
  add(core1, Spmd::kPool, isa::CoreBarrier{0});
  add(core1, Spmd::kQ, isa::DmaCopy{Spmd::flat(out, 4), Spmd::flat(shared, 4)}, {{Spmd::kPool, 1}});
  for (uint64_t seed = 0; seed < 20; ++seed) {
    CAPTURE(seed);
    auto hbm = rank_memories(core0, 2, "in", [](size_t r, size_t i) { return float(10 * r + i); });
    FunctionalOptions options;
    options.schedule_seed = seed;
    run_functional_ranks({&core0, &core1}, pointers(hbm), kLimits, options);
    for (size_t r = 0; r < 2; ++r)
      CHECK(hbm[r].read("out") ==
            std::vector<float>{float(10 * r), float(10 * r + 1), float(10 * r + 2), float(10 * r + 3)});
  }
  // Barriers that carry different numbers do not meet.
  core1.streams[Spmd::kPool].instructions[0].op = isa::CoreBarrier{1};
  auto hbm = rank_memories(core0, 1, "in", [](size_t, size_t i) { return float(i); });
  CHECK(run_error({&core0, &core1}, hbm).find("collective mismatch at core barrier #0 of rank 0") !=
        std::string::npos);
}

TEST_CASE("at LNC2 a collective on private HBM is refused: both cores issue it") {
  Spmd s;
  const int32_t src = s.tensor("src", {1}, TensorKind::kInput);
  const int32_t dst = s.tensor("dst", {2}, TensorKind::kInternal, isa::TensorScope::kPrivate);
  s.p.replica_groups = {{{0, 1}}};
  s.add(Spmd::kCc, isa::AllGather{Spmd::flat(dst, 2), Spmd::flat(src, 1), 0});
  isa::Program core1 = s.p;
  core1.core_id = 1;
  auto hbm = rank_memories(s.p, 2, "src", [](size_t r, size_t) { return float(r); });
  CHECK(run_error({&s.p, &core1}, hbm).find("dst is private HBM tensor 'dst'") != std::string::npos);
}

}  // namespace
}  // namespace tn::sim
