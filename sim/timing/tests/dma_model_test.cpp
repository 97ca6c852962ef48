// DMA timing on trn2: 16 engines at 23 B/ns each, 1300 ns fixed latency, HBM stacks of 725 B/ns.
#include "sim/timing/dma_model.hpp"

#include <doctest/doctest.h>

#include "sim/timing/tests/trn2_preset.hpp"

using namespace tn;
using isa::ApDim;
using timing::testing::trn2;

namespace {

// HBM -> SBUF load of `rows` partitions x `bytes_per_row` (fp32).
timing::InstructionCost load(int32_t rows, int64_t bytes_per_row) {
  const int64_t n = bytes_per_row / 4;
  isa::DmaCopy d{isa::sbuf_ap(DType::kFloat32, 0, 0, rows, {ApDim{1, n}}),
                 isa::hbm_ap(0, DType::kFloat32, 0, ApDim{n, rows}, {ApDim{1, n}})};
  return timing::cost(d, isa::Engine::kDma, trn2());
}

}  // namespace

TEST_CASE("dma_model: one isolated 32 KiB single-engine transfer") {
  timing::HbmStacks stacks(trn2());
  timing::DmaModel dma(trn2(), stacks.stack_of(0));
  const timing::DmaTiming t = dma.issue(0, load(1, 32768));
  // Data: 32768 B / 23 B/ns = 1424.696 ns from issue (hardware.md §1.8 measured 1416 ns for this transfer).
  // The 1300 ns fixed cost runs alongside and is shorter, so the transfer completes at 1424.696 ns.
  // (HBM side: 32768 B / 725 B/ns = 45.2 ns, not the bottleneck.)
  CHECK(t.issue_ps == 0);
  CHECK(t.data_start_ps == 0);
  CHECK(t.data_end_ps == 1424696);
  CHECK(t.complete_ps == 1424696);
  CHECK(dma.engine(0).busy_ps() == 1424696);
  CHECK(dma.engine(1).busy_ps() == 0);
}

TEST_CASE("dma_model: a 128-partition 64 KiB transfer uses all 16 engines and is overhead-bound") {
  timing::HbmStacks stacks(trn2());
  timing::DmaModel dma(trn2(), stacks.stack_of(0));
  const timing::DmaTiming t = dma.issue(1000, load(128, 512));
  // 128 rows / 16 engines = 8 rows of 512 B = 4096 B per engine: 4096 / 23 = 178.087 ns of data, so the
  // 1300 ns fixed cost decides: completion at 1000 + 1300000 ps (hardware.md §1.8: small transfers are
  // overhead-bound). HBM: 65536 B / 725 B/ns = 90.394 ns.
  CHECK(t.data_start_ps == 1000);
  CHECK(t.data_end_ps == 1000 + 178087);
  CHECK(t.complete_ps == 1000 + 1300000);
  for (size_t e = 0; e < dma.num_engines(); ++e) {
    CHECK(dma.engine(e).bytes() == 4096);
    CHECK(dma.engine(e).busy_ps() == 178087);
  }
}

TEST_CASE("dma_model: a large transfer is bandwidth-bound") {
  timing::HbmStacks stacks(trn2());
  timing::DmaModel dma(trn2(), stacks.stack_of(0));
  // 1 MiB over 128 rows: 8 rows x 8 KiB = 65536 B per engine / 23 B/ns = 2849.391 ns > 1300 ns.
  CHECK(dma.issue(0, load(128, 8192)).complete_ps == 2849391);
}

TEST_CASE("dma_model: transfers pipeline: fixed costs overlap, data serialises on the engines") {
  timing::HbmStacks stacks(trn2());
  timing::DmaModel dma(trn2(), stacks.stack_of(0));
  // Two small transfers issued together both finish at the 1300 ns floor: 2 x 178.087 ns of data.
  CHECK(dma.issue(0, load(128, 512)).complete_ps == 1300000);
  CHECK(dma.issue(0, load(128, 512)).complete_ps == 1300000);
  // Two large ones: the second's data follows the first's on every engine, 356.174 + 2 x 2849.391 ns.
  CHECK(dma.issue(0, load(128, 8192)).complete_ps == 2 * 178087 + 2849391);
  CHECK(dma.issue(0, load(128, 8192)).complete_ps == 2 * 178087 + 2 * 2849391);
}

TEST_CASE("dma_model: single-row transfers go round-robin over the engines") {
  timing::HbmStacks stacks(trn2());
  timing::DmaModel dma(trn2(), stacks.stack_of(0));
  for (int i = 0; i < 16; ++i) {
    CHECK(dma.issue(0, load(1, 32768)).complete_ps == 1424696);  // engines 0..15, in parallel
  }
  // The 17th is back on engine 0, behind the first: 2 x 1424.696 ns.
  CHECK(dma.issue(0, load(1, 32768)).complete_ps == 2 * 1424696);
}

TEST_CASE("dma_model: two cores on one HBM stack share its bandwidth") {
  timing::HbmStacks stacks(trn2());
  CHECK(&stacks.stack_of(0) == &stacks.stack_of(1));  // 2 cores per stack
  CHECK(&stacks.stack_of(0) != &stacks.stack_of(2));
  timing::DmaModel core0(trn2(), stacks.stack_of(0)), core1(trn2(), stacks.stack_of(1));
  // 1 MiB over 128 rows: 65536 B per engine / 23 B/ns = 2849.391 ns.
  // HBM: 1048576 B / 725 B/ns = 1446.312 ns per transfer.
  CHECK(core0.issue(0, load(128, 8192)).complete_ps == 2849391);  // engine-bound
  // Core 1's HBM reservation waits for core 0's: 2 x 1446.312 ns = 2892.624 ns > its engines' 2849.391.
  CHECK(core1.issue(0, load(128, 8192)).complete_ps == 2 * 1446312);
  // A core on another stack is unaffected.
  timing::DmaModel core2(trn2(), stacks.stack_of(2));
  CHECK(core2.issue(0, load(128, 8192)).complete_ps == 2849391);
}

TEST_CASE("dma_model: DMA transpose runs at 90% from HBM, 50% on chip") {
  timing::HbmStacks stacks(trn2());
  timing::DmaModel dma(trn2(), stacks.stack_of(0));
  isa::DmaTranspose from_hbm{isa::sbuf_ap(DType::kBFloat16, 0, 0, 128, {ApDim{1, 128}}),
                             isa::hbm_ap(0, DType::kBFloat16, 0, ApDim{128, 128}, {ApDim{1, 128}})};
  // 32 KiB over 128 rows: 2048 B per engine at 23 x 0.9 B/ns = 98.937 ns (under the 1300 ns floor).
  CHECK(dma.issue(0, timing::cost(from_hbm, isa::Engine::kDma, trn2())).complete_ps == 1300000);
  CHECK(dma.engine(0).busy_ps() == 98937);
  isa::DmaTranspose on_chip{isa::sbuf_ap(DType::kBFloat16, 0, 0, 128, {ApDim{1, 128}}),
                            isa::sbuf_ap(DType::kBFloat16, 0, 0, 128, {ApDim{1, 128}})};
  // 2048 B per engine at 23 x 0.5 B/ns = 178.087 ns, after the previous transfer on every engine.
  CHECK(dma.issue(0, timing::cost(on_chip, isa::Engine::kDma, trn2())).complete_ps == 1300000);
  CHECK(dma.engine(0).busy_ps() == 98937 + 178087);
}
