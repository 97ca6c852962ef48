// ProgramBuilder::dynamic_loop: one program serves every runtime trip count (0 included), its engines
// stay correctly synchronised under any interleaving, and out-of-range trip counts stop the run.
#include <doctest/doctest.h>

#include "isa/program_hash.hpp"
#include "isa/program_json.hpp"
#include "kernels/builder/program_builder.hpp"
#include "kernels/tests/kernel_harness.hpp"
#include "sim/func/executor.hpp"

namespace tn::kernels {
namespace {

using namespace isa;

const MemoryLimits kTrn2;

// out = x * 2 * N (ACT doubles x into tmp, DVE adds tmp into acc, N times), and
// kept = x + N (DVE increments a copy of x in place; ACT reads it after the loop).
Program loop_program() {
  ProgramBuilder b("loop_test", kTrn2);
  const int32_t x = b.hbm_tensor("x", DType::kFloat32, {128, 64}, TensorKind::kInput);
  const int32_t trip = b.hbm_tensor("trip", DType::kInt32, {1, 1}, TensorKind::kInput);
  const int32_t out = b.hbm_tensor("out", DType::kFloat32, {128, 64}, TensorKind::kOutput);
  const int32_t kept = b.hbm_tensor("kept", DType::kFloat32, {128, 64}, TensorKind::kOutput);
  const int32_t q = b.dma_queue("qSyncIO0");
  const int32_t q_trip = b.dma_queue("qSyncIO1");  // so that loading N orders nothing else
  const AccessPattern a = b.sbuf("a", DType::kFloat32, 128, {64}).ap;
  const AccessPattern c = b.sbuf("c", DType::kFloat32, 128, {64}).ap;
  const AccessPattern tmp = b.sbuf("tmp", DType::kFloat32, 128, {64}).ap;
  const AccessPattern acc = b.sbuf("acc", DType::kFloat32, 128, {64}).ap;
  const AccessPattern final_c = b.sbuf("final_c", DType::kFloat32, 128, {64}).ap;
  const AccessPattern n = b.sbuf("n", DType::kInt32, 1, {1}).ap;
  const auto rows = [](int32_t t) { return hbm_ap(t, DType::kFloat32, 0, {64, 128}, {{1, 64}}); };
  b.dma_copy(q_trip, n, hbm_ap(trip, DType::kInt32, 0, {1, 1}, {{1, 1}}));
  b.dma_copy(q, a, rows(x));
  b.dma_copy(q, c, rows(x));  // written by a DMA before the loop, rewritten by DVE inside it
  b.memset(acc, 0.0f);
  b.dynamic_loop(n, 8, [&] {
    b.activation(tmp, a, ActFunc::kCopy,
                 imm(2.0f));  // tmp is rewritten every iteration: a carried WAR on DVE
    b.tensor_tensor(acc, acc, tmp, AluOp::kAdd);
    b.tensor_scalar(c, c, AluOp::kAdd, imm(1.0f));
  });
  // After the loop: with N = 0, ACT must still see the DMA's c, which only the loop entry's waits order.
  b.activation(final_c, c, ActFunc::kCopy);
  b.dma_copy(q, rows(out), acc);
  b.dma_copy(q, rows(kept), final_c);
  return b.finish();
}

std::map<std::string, ref::HostTensor> run(const Program& p, int64_t trips, uint64_t schedule_seed) {
  ref::HostTensor x{{128, 64}, std::vector<double>(128 * 64)};
  for (size_t i = 0; i < x.data.size(); ++i)
    x.data[i] = double(i % 97) - 40.0;
  const std::vector<test::HarnessTensor> in = {{"x", DType::kFloat32, {128, 64}},
                                               {"trip", DType::kInt32, {1, 1}}};
  const std::vector<test::HarnessTensor> out = {{"out", DType::kFloat32, {128, 64}},
                                                {"kept", DType::kFloat32, {128, 64}}};
  auto result = test::run_functional({p}, {{"x", x}, {"trip", ref::HostTensor{{1, 1}, {double(trips)}}}}, in,
                                     out, kTrn2, schedule_seed);
  result["x"] = x;
  return result;
}

TEST_CASE("dynamic_loop: one program, any trip count, any interleaving of the engines") {
  const Program p = loop_program();
  CHECK(validate(p, kTrn2).empty());
  for (int64_t trips : {0, 1, 3, 8}) {
    for (uint64_t seed = 0; seed < 30; ++seed) {  // races show only in some interleavings
      CAPTURE(trips);
      CAPTURE(seed);
      const auto r = run(p, trips, seed);
      bool ok = true;
      for (size_t i = 0; i < r.at("x").data.size(); ++i) {
        ok = ok && r.at("out").data[i] == r.at("x").data[i] * 2 * trips &&
             r.at("kept").data[i] == r.at("x").data[i] + trips;
      }
      CHECK(ok);
    }
  }
}

TEST_CASE("dynamic_loop: loop bodies do not advance completion counts, and carry their own semaphores") {
  const Program p = loop_program();
  size_t uncounted = 0, consuming = 0;
  for (const auto& st : p.streams) {
    for (const auto& in : st.instructions) {
      uncounted += !in.counts;
      for (const auto& w : in.waits)
        consuming += w.consume > 0;
    }
  }
  CHECK(uncounted > 0);
  CHECK(consuming >= 2);  // ACT -> DVE within an iteration, and DVE -> ACT carried to the next
  CHECK(program_from_json(program_to_json(p)) == p);  // "counts": false and consuming waits round-trip
}

TEST_CASE("dynamic_loop: a trip count outside [0, max] stops the run naming the value") {
  const Program p = loop_program();
  CHECK_THROWS_WITH_AS(run(p, 9, 0), doctest::Contains("= 9 is outside [0, 8]"), sim::ExecutionError);
  CHECK_THROWS_WITH_AS(run(p, -1, 0), doctest::Contains("= -1 is outside [0, 8]"), sim::ExecutionError);
}

TEST_CASE("dynamic_loop: loops do not nest") {
  ProgramBuilder b("nest", kTrn2);
  const AccessPattern n = b.sbuf("n", DType::kInt32, 1, {1}).ap;
  b.memset(n, 1.0f);
  CHECK_THROWS_AS(b.dynamic_loop(n, 4, [&] { b.dynamic_loop(n, 4, [&] { b.memset(n, 0.0f); }); }),
                  std::logic_error);
}

}  // namespace
}  // namespace tn::kernels
