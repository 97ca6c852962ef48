// sim::ValueSlice on builder programs: the instructions a timing-only run must evaluate are exactly those
// whose results can reach a reg_load or a gather's index column, in the builder's emission order: not the
// earlier or later tenants of the same SBUF address, values carried around a runtime loop included.
#include "sim/func/value_slice.hpp"

#include <doctest/doctest.h>

#include <set>

#include "kernels/builder/program_builder.hpp"

namespace tn::kernels {
namespace {

using namespace isa;

const MemoryLimits kTrn2;

// The kernel source lines of the slice's instructions.
std::set<uint32_t> slice_lines(const Program& p) {
  const sim::ValueSlice slice({&p});
  std::set<uint32_t> lines;
  for (size_t s = 0; s < p.streams.size(); ++s) {
    for (size_t i = 0; i < p.streams[s].instructions.size(); ++i) {
      if (slice.contains(0, s, i))
        lines.insert(p.streams[s].instructions[i].loc.line);
    }
  }
  return lines;
}

AccessPattern rows(int32_t tensor) { return hbm_ap(tensor, DType::kFloat32, 0, {64, 128}, {{1, 64}}); }
AccessPattern scalar(int32_t tensor) { return hbm_ap(tensor, DType::kInt32, 0, {1, 1}, {{1, 1}}); }

struct ReuseProgram {
  Program program;
  uint32_t early_tenant, early_reader, trip_load, loop_body, late_tenant, out_copy;
};

// A trip count loaded into an SBUF address that an earlier buffer used and a later one reuses.
ReuseProgram reuse_program() {
  ReuseProgram r;
  ProgramBuilder b("slice_reuse", kTrn2);
  const int32_t x = b.hbm_tensor("x", DType::kFloat32, {128, 64}, TensorKind::kInput);
  const int32_t trips = b.hbm_tensor("trips", DType::kInt32, {1, 1}, TensorKind::kInput);
  const int32_t out = b.hbm_tensor("out", DType::kFloat32, {128, 64}, TensorKind::kOutput);
  const int32_t q0 = b.dma_queue("qSyncIO0"), q1 = b.dma_queue("qSyncIO1");
  const AccessPattern acc = b.sbuf("acc", DType::kFloat32, 128, {64}).ap;
  const ProgramBuilder::Mark top = b.mark();
  const AccessPattern early = b.sbuf("early", DType::kFloat32, 128, {64}).ap;
  r.early_tenant = __LINE__ + 1;
  b.dma_copy(q0, early, rows(x));
  r.early_reader = __LINE__ + 1;
  b.activation(acc, early, ActFunc::kCopy);
  b.release(top);
  const AccessPattern n = b.sbuf("n", DType::kInt32, 1, {1}).ap;
  CHECK(n.offset == early.offset);  // the trip count lives where `early` was
  r.trip_load = __LINE__ + 1;
  b.dma_copy(q1, n, scalar(trips));
  r.loop_body = __LINE__ + 1;
  b.dynamic_loop(n, 8, [&] { b.tensor_scalar(acc, acc, AluOp::kAdd, imm(1.0f)); });
  b.release(top);
  const AccessPattern late = b.sbuf("late", DType::kFloat32, 128, {64}).ap;
  CHECK(late.offset == n.offset);
  r.late_tenant = __LINE__ + 1;
  b.dma_copy(q0, late, rows(x));
  b.tensor_tensor(acc, acc, late, AluOp::kAdd);
  r.out_copy = __LINE__ + 1;
  b.dma_copy(q0, rows(out), acc);
  r.program = b.finish();
  return r;
}

TEST_CASE("value slice: a reg_load's producers, not the other tenants of its address") {
  const ReuseProgram r = reuse_program();
  const std::set<uint32_t> lines = slice_lines(r.program);
  // The trip count's DMA and the loop's reg_load / reg_check (emitted at the dynamic_loop line).
  CHECK(lines == std::set<uint32_t>{r.trip_load, r.loop_body});
  const sim::ValueSlice slice({&r.program});
  CHECK(slice.tensors() == std::set<std::string>{"trips"});
  CHECK(slice.size() == 2);  // the DMA and the reg_load (reg_check reads a register only)
}

TEST_CASE("value slice: without an emission order every writer of the address counts") {
  ReuseProgram r = reuse_program();
  for (Stream& st : r.program.streams)
    st.emission_order.clear();
  const std::set<uint32_t> lines = slice_lines(r.program);
  CHECK(lines.count(r.trip_load) == 1);
  CHECK(lines.count(r.early_tenant) == 1);  // conservative: order unknown
  CHECK(lines.count(r.late_tenant) == 1);
  CHECK(lines.count(r.out_copy) == 0);  // never writes the address
}

// A gather inside a runtime loop whose index column a later instruction of the loop body advances.
struct GatherProgram {
  Program program;
  uint32_t index_init, index_reset, gather, index_step, trip_load;
};

GatherProgram gather_program(bool reset_each_trip) {
  GatherProgram g;
  ProgramBuilder b("slice_gather", kTrn2);
  const int32_t table = b.hbm_tensor("table", DType::kFloat32, {16, 64}, TensorKind::kInput);
  const int32_t trips = b.hbm_tensor("trips", DType::kInt32, {1, 1}, TensorKind::kInput);
  const int32_t out = b.hbm_tensor("out", DType::kFloat32, {1, 64}, TensorKind::kOutput);
  // The gather's address comes from SBUF at run time: a DGE's job (hardware.md §1.8).
  const int32_t q0 = b.dma_queue("qSyncDynamic0", DgeMode::kHardware), q1 = b.dma_queue("qSyncIO1");
  const AccessPattern n = b.sbuf("n", DType::kInt32, 1, {1}).ap;
  const AccessPattern index = b.sbuf("index", DType::kInt32, 1, {1}).ap;
  const AccessPattern row = b.sbuf("row", DType::kFloat32, 1, {64}).ap;
  g.trip_load = __LINE__ + 1;
  b.dma_copy(q1, n, scalar(trips));
  g.index_init = __LINE__ + 1;
  b.iota(index, 0, 0, {});
  const uint32_t loop_line = __LINE__ + 1;
  b.dynamic_loop(n, 16, [&] {
    if (reset_each_trip)
      b.memset(index, 3.0f);
    b.dma_gather(q0, row, hbm_ap(table, DType::kFloat32, 0, {64, 1}, {{1, 64}}), index, 64, 16);
    b.tensor_scalar(index, index, AluOp::kAdd, imm(1.0f));
  });
  g.index_reset = loop_line + 2;
  g.gather = loop_line + 3;
  g.index_step = loop_line + 4;
  b.dma_copy(q0, hbm_ap(out, DType::kFloat32, 0, {64, 1}, {{1, 64}}), row);
  g.program = b.finish();
  return g;
}

TEST_CASE("value slice: an index carried around a runtime loop, and one a covering write resets") {
  const GatherProgram carried = gather_program(false);
  // The gather's own line holds the loop's entry too (reg_load of the trip count), so check it by op.
  std::set<uint32_t> lines = slice_lines(carried.program);
  CHECK(lines.count(carried.index_init) == 1);
  CHECK(lines.count(carried.index_step) == 1);  // reaches the next trip's gather
  CHECK(lines.count(carried.trip_load) == 1);
  const sim::ValueSlice slice({&carried.program});
  size_t gathers_in_slice = 0;
  for (size_t s = 0; s < carried.program.streams.size(); ++s) {
    for (size_t i = 0; i < carried.program.streams[s].instructions.size(); ++i) {
      gathers_in_slice += slice.contains(0, s, i) && std::holds_alternative<DmaGather>(
                                                         carried.program.streams[s].instructions[i].op.get());
    }
  }
  CHECK(gathers_in_slice == 0);  // its data feeds no value
  CHECK(slice.tensors() == std::set<std::string>{"trips"});

  const GatherProgram reset = gather_program(true);
  lines = slice_lines(reset.program);
  CHECK(lines.count(reset.index_reset) == 1);
  CHECK(lines.count(reset.index_init) == 0);  // every trip's memset covers it before the gather
  CHECK(lines.count(reset.index_step) == 0);
}

TEST_CASE("value slice: an accumulating multiply reads its old PSUM and the array's stationary operand") {
  ProgramBuilder b("slice_matmul", kTrn2);
  const int32_t w = b.hbm_tensor("w", DType::kBFloat16, {128, 128}, TensorKind::kInput);
  const int32_t x = b.hbm_tensor("x", DType::kBFloat16, {128, 128}, TensorKind::kInput);
  const int32_t q0 = b.dma_queue("qSyncIO0");
  const AccessPattern ws = b.sbuf("w", DType::kBFloat16, 128, {128}).ap;
  const AccessPattern xs = b.sbuf("x", DType::kBFloat16, 128, {128}).ap;
  const AccessPattern ps = b.psum("p", DType::kFloat32, 128, {1}).ap;
  const AccessPattern n = b.sbuf("n", DType::kInt32, 1, {1}).ap;
  const auto bf = [](int32_t t) { return hbm_ap(t, DType::kBFloat16, 0, {128, 128}, {{1, 128}}); };
  const uint32_t loads = __LINE__ + 1;
  b.dma_copy(q0, ws, bf(w)), b.dma_copy(q0, xs, bf(x));
  const uint32_t first = __LINE__ + 1;
  b.matmul(ps, ws, columns(xs, 0, 1), false);
  const uint32_t second = __LINE__ + 1;
  b.matmul(ps, ws, columns(xs, 1, 1), true);
  const uint32_t copy = __LINE__ + 1;
  b.tensor_copy(n, partitions(ps, 0, 1));
  const uint32_t loop = __LINE__ + 1;
  b.dynamic_loop(n, 4, [&] { b.memset(xs, 0.0f); });
  const Program p = b.finish();
  CHECK(slice_lines(p) == std::set<uint32_t>{loads, first, second, copy, loop});
  CHECK(sim::ValueSlice({&p}).tensors() == std::set<std::string>{"w", "x"});
}

}  // namespace
}  // namespace tn::kernels
