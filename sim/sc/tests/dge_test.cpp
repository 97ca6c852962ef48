// Descriptor generation in a timed run (hardware.md §1.8 [S12,S16]; sim/timing/dma_model.hpp): hwdge
// transfers hold their commanding sequencer's DGE block ~600 ns each before their data moves, so one queue
// issues one every 600 ns and a Sync and a Scalar queue two; swdge transfers hold GpSimd, which then runs
// its own instructions later, and the GpSimd row shows them. Timing-only runs of hand-built programs on
// trn2; each case runs in its own process.
#include <doctest/doctest.h>

#include "sim/sc/tests/recording_sink.hpp"
#include "sim/sc/tests/test_program.hpp"
#include "sim/sc/timed_run.hpp"
#include "sim/timing/tests/trn2_preset.hpp"

using namespace tn;
using sc::testing::hbm2d;
using sc::testing::RecordingSink;
using sc::testing::sbuf2d;
using sc::testing::TestProgram;
using timing::testing::trn2;

namespace {

constexpr auto kF32 = DType::kFloat32;

// `count` loads of x [128, 16] fp32 (64 B per partition) on each of `queues`, into separate SBUF rows.
struct Loads {
  TestProgram t;
  std::vector<int32_t> queues;
};
Loads loads(const std::vector<std::pair<isa::DgeMode, isa::Engine>>& queues, int count) {
  Loads l;
  const int32_t x = l.t.tensor("x", kF32, {128, 16}, isa::TensorKind::kInput);
  int64_t addr = 0;
  for (size_t q = 0; q < queues.size(); ++q) {
    const int32_t s = l.t.stream("q" + std::to_string(q), isa::Engine::kDma);
    l.t.p.streams[s].dge = queues[q].first;
    l.t.p.streams[s].dge_trigger = queues[q].second;
    l.queues.push_back(s);
    for (int i = 0; i < count; ++i, addr += 64)
      l.t.emit(s, isa::DmaCopy{sbuf2d(kF32, addr, 128, 16), hbm2d(x, kF32, 128, 16)});
  }
  return l;
}

sc::TimedRunResult run(const isa::Program& p, RecordingSink& sink) {
  REQUIRE(isa::validate(p, trn2().memory_limits()).empty());
  sim::Hbm hbm(false);  // shapes only: timing needs no values
  for (const isa::TensorDecl& t : p.tensors)
    hbm.declare(t);
  sc::TimedRunOptions options;
  options.execute_numerics = false;
  return sc::run_timed({&p}, hbm, trn2(), sink, options);
}

}  // namespace

TEST_CASE("dge: hwdge transfers on one Sync queue build their descriptors one per 600 ns") {
  Loads l = loads({{isa::DgeMode::kHardware, isa::Engine::kSp}}, 10);
  RecordingSink sink;
  const sc::TimedRunResult r = run(l.t.p, sink);
  const auto slices = sink.slices_on("q0");
  REQUIRE(slices.size() == 10);
  for (size_t i = 0; i < slices.size(); ++i) {
    CHECK(slices[i]->arg_string("dge") == "hwdge");
    // All issue at 0; the Sync sequencer's DGE block builds them in turn: transfer i's end at (i+1) x 600 ns.
    CHECK(slices[i]->arg_int("descriptors_end_ns") == int64_t(600 * (i + 1)));
    CHECK(slices[i]->arg_int("data_start_ns") == int64_t(600 * (i + 1)));
  }
  // The last transfer's data: 8 rows of 64 B per engine = 512 B / 27.2 B/ns + 8 packets x 27.5 ns =
  // 18.824 + 220 = 238.824 ns after 6000 ns. Descriptor-bound: without DGE these would all end by 1300 ns.
  CHECK(r.total_ps == 6000000 + 238824);
}

TEST_CASE("dge: a Sync and a Scalar hwdge queue use the core's two DGE blocks side by side") {
  Loads l =
      loads({{isa::DgeMode::kHardware, isa::Engine::kSp}, {isa::DgeMode::kHardware, isa::Engine::kAct}}, 5);
  RecordingSink sink;
  const sc::TimedRunResult r = run(l.t.p, sink);
  for (const char* q : {"q0", "q1"}) {
    const auto slices = sink.slices_on(q);
    REQUIRE(slices.size() == 5);
    for (size_t i = 0; i < slices.size(); ++i)
      CHECK(slices[i]->arg_int("descriptors_end_ns") == int64_t(600 * (i + 1)));
  }
  // Both last transfers' descriptors end at 3000 ns; q0's data moves first (requests are granted in stream
  // order) over 238.824 ns on all 16 engines, then q1's: 3000 + 2 x 238.824 ns.
  CHECK(r.total_ps == 3000000 + 2 * 238824);
}

TEST_CASE(
    "dge: swdge descriptors take GpSimd's time between its instructions, on its row and in its busy time") {
  Loads l = loads({{isa::DgeMode::kSoftware, isa::Engine::kSp}}, 4);
  const int32_t pool = l.t.stream("GpSimd", isa::Engine::kPool);
  // Two independent copies of 1050 elements: 150 + 1050 = 1200 GpSimd cycles = 1000 ns each at 1.2 GHz.
  l.t.emit(pool, isa::TensorCopy{sbuf2d(kF32, 8192, 1, 1050), sbuf2d(kF32, 4096, 1, 1050)});
  l.t.emit(pool, isa::TensorCopy{sbuf2d(kF32, 16384, 1, 1050), sbuf2d(kF32, 4096, 1, 1050)});
  RecordingSink sink;
  const sc::TimedRunResult r = run(l.t.p, sink);
  // The first copy starts at 0 (the queue's requests are timed after the streams' first round); the four
  // descriptor builds follow it at 150 cycles = 125 ns each, [1000, 1500] ns; the second copy waits for
  // them and runs [1500, 2500] ns.
  const auto row = sink.slices_on("GpSimd");
  REQUIRE(row.size() == 6);
  CHECK(row[0]->name == "tensor_copy");
  CHECK(row[0]->start_ns == 0);
  for (int i = 0; i < 4; ++i) {
    CHECK(row[size_t(1 + i)]->name == "swdge descriptors");
    CHECK(row[size_t(1 + i)]->arg_string("queue") == "q0");
    CHECK(row[size_t(1 + i)]->arg_int("pc") == i);
    CHECK(row[size_t(1 + i)]->start_ns == uint64_t(1000 + 125 * i));
  }
  CHECK(row[5]->name == "tensor_copy");
  CHECK(row[5]->start_ns == 1500);
  CHECK(row[5]->end_ns == 2500);
  const sc::StreamStats& gpsimd = r.cores[0].streams[size_t(pool)];
  CHECK(gpsimd.busy_ps == 2500000);  // 2 x 1000 ns of copies + 4 x 125 ns of descriptors
  // Each transfer's data follows its descriptors: the first from 1125 ns, for 238.824 ns on all 16
  // engines; the others' descriptors are ready sooner than the engines, so the last starts at 1125 + 3 x
  // 238.824 = 1841.5 ns.
  const auto q = sink.slices_on("q0");
  REQUIRE(q.size() == 4);
  CHECK(q[0]->arg_int("data_start_ns") == 1125);
  CHECK(q[3]->arg_int("data_start_ns") == 1841);
  CHECK(q[3]->arg_string("dge") == "swdge");
}
