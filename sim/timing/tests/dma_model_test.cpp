// DMA timing on trn2: 16 engines moving bytes at 27.2 B/ns and paying 27.5 ns per packet (a contiguous run
// of a row, at most 4 KiB), 1300 ns fixed latency, HBM stacks of 725 B/ns.
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
  // One 32 KiB row is 8 packets of 4 KiB: 32768 B / 27.2 B/ns = 1204.706 ns of bytes + 8 x 27.5 ns =
  // 1424.706 ns from issue (hardware.md §1.8 measured 1416 ns for this transfer: 0.6% off). The 1300 ns
  // fixed cost runs alongside and is shorter. (HBM side: 32768 B / 725 B/ns = 45.2 ns, not the bottleneck.)
  CHECK(t.issue_ps == 0);
  CHECK(t.data_start_ps == 0);
  CHECK(t.data_end_ps == 1424706);
  CHECK(t.complete_ps == 1424706);
  CHECK(dma.engine(0).busy_ps() == 1424706);
  CHECK(dma.engine(1).busy_ps() == 0);
}

TEST_CASE("dma_model: a 128-partition 64 KiB transfer uses all 16 engines and is overhead-bound") {
  timing::HbmStacks stacks(trn2());
  timing::DmaModel dma(trn2(), stacks.stack_of(0));
  const timing::DmaTiming t = dma.issue(1000, load(128, 512));
  // 128 rows / 16 engines = 8 rows of 512 B (a packet each) per engine: 4096 B / 27.2 B/ns = 150.588 ns
  // + 8 x 27.5 ns = 370.588 ns of data, so the 1300 ns fixed cost decides: completion at 1000 + 1300000
  // ps (hardware.md §1.8: small transfers are overhead-bound). HBM: 65536 B / 725 B/ns = 90.394 ns.
  CHECK(t.data_start_ps == 1000);
  CHECK(t.data_end_ps == 1000 + 370588);
  CHECK(t.complete_ps == 1000 + 1300000);
  for (size_t e = 0; e < dma.num_engines(); ++e) {
    CHECK(dma.engine(e).bytes() == 4096);
    CHECK(dma.engine(e).busy_ps() == 370588);
  }
}

TEST_CASE("dma_model: a large transfer is bandwidth-bound") {
  timing::HbmStacks stacks(trn2());
  timing::DmaModel dma(trn2(), stacks.stack_of(0));
  // 1 MiB over 128 rows: 8 rows x 8 KiB (2 packets each) per engine: 65536 B / 27.2 B/ns = 2409.412 ns
  // + 16 x 27.5 ns = 2849.412 ns > 1300 ns: the effective 23 B/ns of full packets.
  CHECK(dma.issue(0, load(128, 8192)).complete_ps == 2849412);
}

TEST_CASE("dma_model: transfers pipeline: fixed costs overlap, data serialises on the engines") {
  timing::HbmStacks stacks(trn2());
  timing::DmaModel dma(trn2(), stacks.stack_of(0));
  // Two small transfers issued together both finish at the 1300 ns floor: 2 x 370.588 ns of data.
  CHECK(dma.issue(0, load(128, 512)).complete_ps == 1300000);
  CHECK(dma.issue(0, load(128, 512)).complete_ps == 1300000);
  // Two large ones: the second's data follows the first's on every engine, 741.176 + 2 x 2849.412 ns.
  CHECK(dma.issue(0, load(128, 8192)).complete_ps == 2 * 370588 + 2849412);
  CHECK(dma.issue(0, load(128, 8192)).complete_ps == 2 * 370588 + 2 * 2849412);
}

TEST_CASE("dma_model: a stream of small transfers is overhead-bound, not bandwidth-bound") {
  timing::HbmStacks stacks(trn2());
  timing::DmaModel dma(trn2(), stacks.stack_of(0));
  // 1000 transfers of 128 rows x 64 B (hardware.md §1.8: below 256 B per partition is strongly
  // overhead-bound). Per transfer each engine moves 8 rows, a packet each: 512 B / 27.2 B/ns = 18.824 ns
  // + 8 x 27.5 ns = 238.824 ns, where the bytes alone at the effective 23 B/ns would take 22.3 ns.
  uint64_t complete = 0;
  for (int i = 0; i < 1000; ++i) {
    complete = dma.issue(0, load(128, 64)).complete_ps;
  }
  CHECK(complete == 1000 * 238824);
  CHECK(dma.engine(15).busy_ps() == 1000 * 238824);
}

TEST_CASE("dma_model: single-row transfers go round-robin over the engines") {
  timing::HbmStacks stacks(trn2());
  timing::DmaModel dma(trn2(), stacks.stack_of(0));
  for (int i = 0; i < 16; ++i) {
    CHECK(dma.issue(0, load(1, 32768)).complete_ps == 1424706);  // engines 0..15, in parallel
  }
  // The 17th is back on engine 0, behind the first: 2 x 1424.706 ns.
  CHECK(dma.issue(0, load(1, 32768)).complete_ps == 2 * 1424706);
}

TEST_CASE("dma_model: two cores on one HBM stack share its bandwidth") {
  timing::HbmStacks stacks(trn2());
  CHECK(&stacks.stack_of(0) == &stacks.stack_of(1));  // 2 cores per stack
  CHECK(&stacks.stack_of(0) != &stacks.stack_of(2));
  timing::DmaModel core0(trn2(), stacks.stack_of(0)), core1(trn2(), stacks.stack_of(1));
  // 1 MiB over 128 rows: 65536 B and 16 packets per engine, 2849.412 ns (as above).
  // HBM: 1048576 B / 725 B/ns = 1446.312 ns per transfer.
  CHECK(core0.issue(0, load(128, 8192)).complete_ps == 2849412);  // engine-bound
  // Core 1's HBM reservation waits for core 0's: 2 x 1446.312 ns = 2892.624 ns > its engines' 2849.412.
  CHECK(core1.issue(0, load(128, 8192)).complete_ps == 2 * 1446312);
  // A core on another stack is unaffected.
  timing::DmaModel core2(trn2(), stacks.stack_of(2));
  CHECK(core2.issue(0, load(128, 8192)).complete_ps == 2849412);
}

TEST_CASE("dma_model: DMA transpose runs at 90% from HBM, 50% on chip") {
  timing::HbmStacks stacks(trn2());
  timing::DmaModel dma(trn2(), stacks.stack_of(0));
  isa::DmaTranspose from_hbm{isa::sbuf_ap(DType::kBFloat16, 0, 0, 128, {ApDim{1, 128}}),
                             isa::hbm_ap(0, DType::kBFloat16, 0, ApDim{128, 128}, {ApDim{1, 128}})};
  // 32 KiB over 128 rows of 256 B (a packet each): per engine 2048 B at 27.2 x 0.9 B/ns = 83.660 ns + 8 x
  // 27.5 ns = 303.660 ns (under the 1300 ns floor).
  CHECK(dma.issue(0, timing::cost(from_hbm, isa::Engine::kDma, trn2())).complete_ps == 1300000);
  CHECK(dma.engine(0).busy_ps() == 303660);
  isa::DmaTranspose on_chip{isa::sbuf_ap(DType::kBFloat16, 0, 0, 128, {ApDim{1, 128}}),
                            isa::sbuf_ap(DType::kBFloat16, 0, 0, 128, {ApDim{1, 128}})};
  // 2048 B per engine at 27.2 x 0.5 B/ns = 150.588 ns + 8 x 27.5 ns, after the previous transfer.
  CHECK(dma.issue(0, timing::cost(on_chip, isa::Engine::kDma, trn2())).complete_ps == 1300000);
  CHECK(dma.engine(0).busy_ps() == 303660 + 370588);
}

TEST_CASE("dma_model: hardware DGE holds its sequencer's block 600 ns before the data moves") {
  timing::HbmStacks stacks(trn2());
  timing::DmaModel dma(trn2(), stacks.stack_of(0));
  using isa::DgeMode, isa::Engine;
  // hardware.md §1.8 [S12,S16]: ~600 ns per hwdge instruction. The first Sync-commanded transfer builds
  // its descriptors over [0, 600 ns] and its 8 packets of 512 B per engine move from there: 600000 +
  // 370588 ps; the 1300 ns fixed cost still bounds completion.
  const timing::DmaTiming a = dma.issue(0, load(128, 512), DgeMode::kHardware, Engine::kSp);
  CHECK(a.descriptors == timing::TimeInterval{0, 600000});
  CHECK(a.data_start_ps == 600000);
  CHECK(a.data_end_ps == 600000 + 370588);
  CHECK(a.complete_ps == 1300000);
  // A second one issued at once on a Sync queue waits for the block: descriptors over [600, 1200] ns.
  const timing::DmaTiming b = dma.issue(0, load(128, 512), DgeMode::kHardware, Engine::kSp);
  CHECK(b.descriptors == timing::TimeInterval{600000, 1200000});
  // The Scalar sequencer commands the other block: no wait for Sync's.
  const timing::DmaTiming c = dma.issue(0, load(128, 512), DgeMode::kHardware, Engine::kAct);
  CHECK(c.descriptors == timing::TimeInterval{0, 600000});
  // Its data waits for the engines, which serve in issue order: after b's data, [1200000, 1570588] ps.
  CHECK(c.data_start_ps == 1200000 + 370588);
}

TEST_CASE("dma_model: software DGE runs on GpSimd between its instructions") {
  timing::HbmStacks stacks(trn2());
  timing::DmaModel dma(trn2(), stacks.stack_of(0));
  // 150 GpSimd cycles at 1200 MHz = 125 ns per swdge instruction (a lower bound, configs/hw), after
  // the GpSimd instruction running until 2000 ns; the next swdge transfer follows it.
  dma.gpsimd_busy_until(2000000);
  const timing::DmaTiming a = dma.issue(1000000, load(1, 4096), isa::DgeMode::kSoftware);
  CHECK(a.descriptors == timing::TimeInterval{2000000, 2125000});
  CHECK(a.data_start_ps == 2125000);
  CHECK(dma.gpsimd_free_ps() == 2125000);
  const timing::DmaTiming b = dma.issue(1000000, load(1, 4096), isa::DgeMode::kSoftware);
  CHECK(b.descriptors == timing::TimeInterval{2125000, 2250000});
  // dge none: descriptors exist at issue.
  const timing::DmaTiming n = dma.issue(1000000, load(1, 4096));
  CHECK(n.descriptors == timing::TimeInterval{1000000, 1000000});
}
