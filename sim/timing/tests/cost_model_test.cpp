// Pinned per-instruction costs on the presets. The arithmetic behind every number is written next to
// its assert (ONNXim style); cycles convert to ps as round(cycles * 1e6 / clock_mhz).
#include "sim/timing/cost_model.hpp"

#include <doctest/doctest.h>

#include "sim/timing/tests/trn2_preset.hpp"

using namespace tn;
using isa::ApDim;
using isa::Engine;
using timing::cost;
using timing::testing::trn2;

namespace {

isa::AccessPattern sbuf(DType t, int32_t partitions, int64_t n, int64_t stride = 1) {
  return isa::sbuf_ap(t, 0, 0, partitions, {ApDim{stride, n}});
}
isa::AccessPattern psum(DType t, int32_t partitions, int64_t n) {
  return isa::psum_ap(t, 0, 0, partitions, {ApDim{1, n}});
}

isa::MultiplyMoving matmul(DType t, int64_t n, int32_t m = 128, int32_t k = 128) {
  return isa::MultiplyMoving{psum(DType::kFloat32, m, n), sbuf(t, k, n), false};
}

isa::TensorCopy copy(isa::AccessPattern dst, isa::AccessPattern src) { return isa::TensorCopy{dst, src}; }

isa::TensorTensor tensor_tensor(DType t, int64_t n, isa::AluOp op, isa::MemKind a_mem = isa::MemKind::kSbuf) {
  isa::TensorTensor tt{sbuf(t, 128, n), sbuf(t, 128, n), sbuf(t, 128, n), op};
  tt.a.mem = a_mem;
  return tt;
}

}  // namespace

TEST_CASE("cost: multiply_moving is max(min(64, M), N) cycles, x4 for fp32") {
  auto c = cost(matmul(DType::kBFloat16, 512), Engine::kPe, trn2());
  CHECK(c.cycles == 512);           // max(512, 64) = 512
  CHECK(c.duration_ps == 213333);   // 512 cycles / 2.4 GHz = 213.333 ns
  CHECK(c.flops == 16777216.0);     // 2 * K 128 * M 128 * N 512
  CHECK(c.read.sbuf == 131072);     // moving 128 x 512 bf16
  CHECK(c.written.psum == 262144);  // dst 128 x 512 fp32
  CHECK(c.read.psum == 0);
  c = cost(matmul(DType::kFloat32, 512), Engine::kPe, trn2());
  CHECK(c.cycles == 2048);         // 512 * 4 (fp32)
  CHECK(c.duration_ps == 853333);  // 2048 / 2.4 GHz = 853.333 ns
  c = cost(matmul(DType::kBFloat16, 32), Engine::kPe, trn2());
  CHECK(c.cycles == 64);          // max(min(64, M 128), N 32) = 64
  CHECK(c.duration_ps == 26667);  // 64 / 2.4 GHz = 26.667 ns
  // A narrow stationary: M = 32 columns, N = 16: max(min(64, 32), 16) = 32 cycles (hardware.md §3).
  CHECK(cost(matmul(DType::kBFloat16, 16, 32), Engine::kPe, trn2()).cycles == 32);
  CHECK(cost(matmul(DType::kBFloat16, 48, 32), Engine::kPe, trn2()).cycles == 48);  // N dominates
  CHECK(cost(matmul(DType::kFloat32, 16, 32), Engine::kPe, trn2()).cycles == 128);  // x4 for fp32
  isa::MultiplyMoving acc = matmul(DType::kBFloat16, 512);
  acc.accumulate = true;
  CHECK(cost(acc, Engine::kPe, trn2()).read.psum == 262144);  // read-accumulate-write of dst
  // trn1: 512 cycles / 2.8 GHz = 182.857 ns
  CHECK(cost(matmul(DType::kBFloat16, 512), Engine::kPe, timing::load_hw_config("trn1")).duration_ps ==
        182857);
}

TEST_CASE("cost: load_stationary is ceil(M / 4), x4 for fp32") {
  auto c = cost(isa::LoadStationary{sbuf(DType::kBFloat16, 128, 128)}, Engine::kPe, trn2());
  CHECK(c.cycles == 32);          // ceil(128 / 4)
  CHECK(c.duration_ps == 13333);  // 32 / 2.4 GHz = 13.333 ns
  CHECK(cost(isa::LoadStationary{sbuf(DType::kBFloat16, 128, 30)}, Engine::kPe, trn2()).cycles ==
        8);  // ceil(30/4)
  c = cost(isa::LoadStationary{sbuf(DType::kFloat32, 128, 128)}, Engine::kPe, trn2());
  CHECK(c.cycles == 128);         // 32 * 4 (fp32)
  CHECK(c.duration_ps == 53333);  // 128 / 2.4 GHz
}

TEST_CASE("cost: pe_transpose is max(P, min(64, F)), x2 for fp32 on v3") {
  isa::PeTranspose t{psum(DType::kBFloat16, 128, 128), sbuf(DType::kBFloat16, 128, 128)};
  auto c = cost(t, Engine::kPe, trn2());
  CHECK(c.cycles == 128);                 // max(128, min(64, 128))
  CHECK(c.transpose_flops == 4194304.0);  // 2 * 128 * 128 * 128 (the identity matmul)
  CHECK(c.flops == 0);
  t = isa::PeTranspose{psum(DType::kBFloat16, 128, 32), sbuf(DType::kBFloat16, 32, 128)};
  CHECK(cost(t, Engine::kPe, trn2()).cycles == 64);  // max(32, min(64, 128))
  t = isa::PeTranspose{psum(DType::kFloat32, 128, 128), sbuf(DType::kFloat32, 128, 128)};
  c = cost(t, Engine::kPe, trn2());
  CHECK(c.cycles == 256);          // 128 * 2 (v3 true-transpose fp32)
  CHECK(c.duration_ps == 106667);  // 256 / 2.4 GHz = 106.667 ns
  CHECK(cost(t, Engine::kPe, timing::load_hw_config("trn1")).cycles == 512);  // 128 * 4 on v2
}

TEST_CASE(
    "cost: activation is max(N, 64 + 100 static overhead), +64 with accumulate, then a 100-cycle commit") {
  isa::Activation a{sbuf(DType::kBFloat16, 128, 512),
                    sbuf(DType::kBFloat16, 128, 512),
                    isa::ActFunc::kExp,
                    isa::imm(1.0f),
                    {},
                    {}};
  auto c = cost(a, Engine::kAct, trn2());
  CHECK(c.cycles == 512);               // max(512, 64 + 100): a long stream hides the static overhead
  CHECK(c.duration_ps == 426667);       // 512 / 1.2 GHz = 426.667 ns
  CHECK(c.commit_latency_ps == 83333);  // 100 cycles / 1.2 GHz = 83.333 ns after the end
  a.accumulate = isa::some(sbuf(DType::kFloat32, 128, 1));
  c = cost(a, Engine::kAct, trn2());
  CHECK(c.cycles == 576);          // 512 + 64 readout
  CHECK(c.duration_ps == 480000);  // 576 / 1.2 GHz
  a = isa::Activation{sbuf(DType::kFloat32, 128, 1),
                      sbuf(DType::kFloat32, 128, 1),
                      isa::ActFunc::kExp,
                      isa::imm(1.0f),
                      {},
                      {}};
  CHECK(cost(a, Engine::kAct, trn2()).cycles == 164);  // max(1, 64 + 100): tiny, the overhead shows
}

TEST_CASE("cost: DVE copy perf modes at N = 2048") {
  const auto bf = DType::kBFloat16;
  auto c = cost(copy(sbuf(bf, 128, 2048), sbuf(bf, 128, 2048)), Engine::kDve, trn2());
  CHECK(c.cycles == 512);                // 4x mode: max(2048 / 4, 64 + 100)
  CHECK(c.duration_ps == 533333);        // 512 / 0.96 GHz = 533.333 ns
  CHECK(c.commit_latency_ps == 104167);  // 100 cycles / 0.96 GHz = 104.167 ns
  // stride 2 bf16 = 4 bytes: non-contiguous but within the 16-byte fast stride -> 2x mode
  CHECK(cost(copy(sbuf(bf, 128, 2048), sbuf(bf, 128, 2048, 2)), Engine::kDve, trn2()).cycles ==
        1024);  // 2048 / 2
  // one side in PSUM -> 2x mode
  CHECK(cost(copy(sbuf(bf, 128, 2048), psum(bf, 128, 2048)), Engine::kDve, trn2()).cycles ==
        1024);  // 2048 / 2
  // fp32 -> no perf mode
  const auto f32 = DType::kFloat32;
  CHECK(cost(copy(sbuf(f32, 128, 2048), sbuf(f32, 128, 2048)), Engine::kDve, trn2()).cycles == 2048);  // N
  // fp32 stride 8 = 32 bytes > 16: port bandwidth halves -> 2x time
  CHECK(cost(copy(sbuf(f32, 128, 2048), sbuf(f32, 128, 2048, 8)), Engine::kDve, trn2()).cycles ==
        4096);  // 2 x 2048
  // bf16 stride 16 = 32 bytes: 2x mode and the stride penalty
  CHECK(cost(copy(sbuf(bf, 128, 2048), sbuf(bf, 128, 2048, 16)), Engine::kDve, trn2()).cycles ==
        2048);  // 2048 / 2 * 2
  // trn1 has no perf mode: max(2048, 164) = 2048 cycles at 1.12 GHz
  CHECK(cost(copy(sbuf(bf, 128, 2048), sbuf(bf, 128, 2048)), Engine::kDve, timing::load_hw_config("trn1"))
            .cycles == 2048);
  isa::TensorScalar ts{sbuf(bf, 128, 2048),
                       sbuf(bf, 128, 2048),
                       isa::AluOp::kMultiply,
                       isa::imm(2.0f),
                       false,
                       isa::AluOp::kAdd,
                       isa::imm(1.0f),
                       false};
  CHECK(cost(ts, Engine::kDve, trn2()).cycles == 512);  // same 4x mode as tensor_copy
}

TEST_CASE("cost: DVE tensor_tensor passes and perf mode") {
  using isa::AluOp;
  // fp32 add, both SBUF: 2 passes, no perf mode: 2 * 512
  CHECK(cost(tensor_tensor(DType::kFloat32, 512, AluOp::kAdd), Engine::kDve, trn2()).cycles == 1024);
  // bf16 add contiguous, both SBUF: 1 pass, 2x mode: 512 / 2 = 256, over the 64 + 100 floor
  CHECK(cost(tensor_tensor(DType::kBFloat16, 512, AluOp::kAdd), Engine::kDve, trn2()).cycles == 256);
  // bf16 max: 2 passes, 2x mode: 2 * 512 / 2
  CHECK(cost(tensor_tensor(DType::kBFloat16, 512, AluOp::kMax), Engine::kDve, trn2()).cycles == 512);
  // fp32 with one input in PSUM: 1 pass: 512
  CHECK(cost(tensor_tensor(DType::kFloat32, 512, AluOp::kMax, isa::MemKind::kPsum), Engine::kDve, trn2())
            .cycles == 512);
  // bf16 add of 128 elements, 2x mode: 64 cycles of stream under the floor of MIN_II 64 + 100 static
  CHECK(cost(tensor_tensor(DType::kBFloat16, 128, AluOp::kAdd), Engine::kDve, trn2()).cycles == 164);
  // On GpSimd: 150 start-up + 2 inputs * 512
  CHECK(cost(tensor_tensor(DType::kFloat32, 512, AluOp::kAdd), Engine::kPool, trn2()).cycles == 1174);
}

TEST_CASE("cost: other DVE formulas") {
  using isa::AluOp;
  const auto bf = DType::kBFloat16, f32 = DType::kFloat32;
  isa::ScalarTensorTensor stt{sbuf(bf, 128, 512), sbuf(bf, 128, 512), AluOp::kSubtract,
                              isa::imm(1.0f),     AluOp::kMultiply,   sbuf(bf, 128, 512)};
  CHECK(cost(stt, Engine::kDve, trn2()).cycles == 512);  // bf16 subtract->multiply, N even: N
  stt.op1 = AluOp::kAdd;
  CHECK(cost(stt, Engine::kDve, trn2()).cycles == 1024);  // otherwise 2N
  isa::TensorReduce tr{sbuf(bf, 128, 1), sbuf(bf, 128, 1024), AluOp::kMax, 1, false};
  CHECK(cost(tr, Engine::kDve, trn2()).cycles == 512);  // bf16 max: N/2 = 512
  tr = isa::TensorReduce{sbuf(f32, 128, 1), sbuf(f32, 128, 1024), AluOp::kAdd, 1, false};
  CHECK(cost(tr, Engine::kDve, trn2()).cycles == 1024);  // fp32: N = 1024
  CHECK(cost(isa::Reciprocal{sbuf(f32, 128, 512), sbuf(f32, 128, 512)}, Engine::kDve, trn2()).cycles ==
        4096);                                                                               // 8N
  CHECK(cost(isa::Memset{sbuf(bf, 128, 1024), 0.0f}, Engine::kDve, trn2()).cycles == 512);   // zero bf16: N/2
  CHECK(cost(isa::Memset{sbuf(bf, 128, 1024), 1.0f}, Engine::kDve, trn2()).cycles == 1024);  // N
  auto c = cost(isa::Memset{sbuf(bf, 128, 1024), 0.0f}, Engine::kPool, trn2());
  CHECK(c.cycles == 1174);         // GpSimd: 150 + 1024
  CHECK(c.duration_ps == 978333);  // 1174 / 1.2 GHz = 978.333 ns
  isa::RangeSelect rs{sbuf(f32, 128, 32),
                      sbuf(f32, 128, 32),
                      isa::CmpOp::kGe,
                      sbuf(f32, 128, 1),
                      isa::CmpOp::kLt,
                      sbuf(f32, 128, 1),
                      0.0f,
                      isa::kFmin,
                      {}};
  CHECK(cost(rs, Engine::kDve, trn2()).cycles == 164);  // max(32, 64 + 100)
  isa::TensorScalarReduce tsr{sbuf(f32, 128, 512), sbuf(f32, 128, 512), AluOp::kMultiply,
                              isa::imm(2.0f),      AluOp::kAdd,         sbuf(f32, 128, 1)};
  CHECK(cost(tsr, Engine::kDve, trn2()).cycles == 576);  // max(512, 164) + MIN_II 64
  const isa::StreamShuffle broadcast{sbuf(f32, 32, 1), sbuf(f32, 32, 1), {}};
  CHECK(cost(broadcast, Engine::kDve, trn2()).cycles == 164);  // max(N = 1, MIN_II 64 + 100)
  const isa::StreamShuffle wide{sbuf(bf, 128, 256), sbuf(bf, 128, 256), {}};
  CHECK(cost(wide, Engine::kDve, trn2()).cycles == 256);  // max(256, 164)
}

TEST_CASE("cost: GpSimd is 150 + N") {
  isa::Iota iota{sbuf(DType::kInt32, 128, 512), 0, 1, {1, 0, 0, 0}};
  auto c = cost(iota, Engine::kPool, trn2());
  CHECK(c.cycles == 662);          // 150 + 512
  CHECK(c.duration_ps == 551667);  // 662 / 1.2 GHz = 551.667 ns
  isa::AffineSelect as{sbuf(DType::kFloat32, 128, 256),
                       sbuf(DType::kFloat32, 128, 256),
                       0,
                       1,
                       {-1, 0, 0, 0},
                       isa::CmpOp::kGe,
                       isa::kFmin};
  CHECK(cost(as, Engine::kPool, trn2()).cycles == 406);  // 150 + 256
}

TEST_CASE("cost: ScalarE tensor_scalar, 2x for bf16 on v4 only") {
  const auto bf = DType::kBFloat16;
  isa::TensorScalar ts{sbuf(bf, 128, 512),
                       sbuf(bf, 128, 512),
                       isa::AluOp::kMultiply,
                       isa::imm(2.0f),
                       false,
                       isa::AluOp::kBypass,
                       isa::imm(0.0f),
                       false};
  CHECK(cost(ts, Engine::kAct, trn2()).cycles == 512);                          // max(512, 64 + 100)
  CHECK(cost(ts, Engine::kAct, timing::load_hw_config("trn3")).cycles == 256);  // max(512 / 2, 164)
  CHECK(cost(copy(sbuf(bf, 128, 512), sbuf(bf, 128, 512)), Engine::kPool, trn2()).cycles ==
        662);  // 150 + 512
}

TEST_CASE("cost: sync instructions are free in the presets") {
  auto c = cost(isa::SemSignal{3, 1}, Engine::kSp, trn2());
  CHECK(c.cycles == 0);
  CHECK(c.duration_ps == 0);
  CHECK(cost(isa::SemWait{3, 5}, Engine::kDma, trn2()).duration_ps == 0);
  timing::HwConfig hw = timing::load_hw_config("trn2", {{"sp", {{"sync_instruction_cycles", 12}}}});
  CHECK(cost(isa::SemWait{3, 5}, Engine::kAct, hw).duration_ps == 10000);  // 12 ACT cycles / 1.2 GHz = 10 ns
}

TEST_CASE("cost: DMA instructions describe their transfer") {
  isa::DmaCopy d{sbuf(DType::kFloat32, 128, 256),
                 isa::hbm_ap(0, DType::kFloat32, 0, ApDim{256, 128}, {ApDim{1, 256}})};
  auto c = cost(d, Engine::kDma, trn2());
  CHECK(c.cycles == 0);
  CHECK(c.duration_ps == 0);
  CHECK(c.read.hbm == 131072);  // 128 x 256 fp32
  CHECK(c.written.sbuf == 131072);
  CHECK(c.dma.rows == 128);
  CHECK(c.dma.bytes == 131072);
  CHECK(c.dma.efficiency == 1.0);
  CHECK(c.dma.packets == 128);  // a 1 KiB contiguous row is one packet
  isa::DmaTranspose t{sbuf(DType::kBFloat16, 128, 16),
                      isa::hbm_ap(0, DType::kBFloat16, 0, ApDim{128, 16}, {ApDim{1, 128}})};
  CHECK(cost(t, Engine::kDma, trn2()).dma.efficiency == 0.9);
  t.src = sbuf(DType::kBFloat16, 16, 128);
  CHECK(cost(t, Engine::kDma, trn2()).dma.efficiency == 0.5);
  CHECK(timing::is_dma_transfer(d));
  CHECK_FALSE(timing::is_dma_transfer(isa::SemSignal{0, 1}));
}

TEST_CASE("cost: a DMA's packets are its rows' contiguous runs, cut at dma.packet_bytes") {
  const auto packets = [](const isa::AccessPattern& dst, const isa::AccessPattern& src) {
    return cost(isa::DmaCopy{dst, src}, Engine::kDma, trn2()).dma.packets;
  };
  const auto hbm_rows = [](DType t, int64_t rows, int64_t n) {
    return isa::hbm_ap(0, t, 0, ApDim{n, rows}, {ApDim{1, n}});
  };
  // 8 KiB rows (2048 fp32) are 2 packets of 4 KiB each (collectives.md §1): 128 x 2.
  CHECK(packets(sbuf(DType::kFloat32, 128, 2048), hbm_rows(DType::kFloat32, 128, 2048)) == 256);
  // 6 KiB rows: a full packet and a 2 KiB one.
  CHECK(packets(sbuf(DType::kFloat32, 128, 1536), hbm_rows(DType::kFloat32, 128, 1536)) == 256);
  // A destination stride of 2 elements leaves no two elements contiguous on both sides: 64 packets a row.
  CHECK(packets(sbuf(DType::kFloat32, 16, 64, 2), hbm_rows(DType::kFloat32, 16, 64)) == 16 * 64);
  // A [2, 32]-per-row source read with a gap between its two halves: 2 runs of 32 a row.
  const isa::AccessPattern split =
      isa::hbm_ap(0, DType::kFloat32, 0, ApDim{128, 16}, {ApDim{64, 2}, ApDim{1, 32}});
  CHECK(packets(sbuf(DType::kFloat32, 16, 64), split) == 16 * 2);
  // A cast moves the wider side: 1024 bf16 into fp32 is 4 KiB of fp32, one packet a row.
  CHECK(packets(sbuf(DType::kFloat32, 128, 1024), hbm_rows(DType::kBFloat16, 128, 1024)) == 128);
  CHECK(packets(sbuf(DType::kFloat32, 128, 1025), hbm_rows(DType::kBFloat16, 128, 1025)) == 256);
}

TEST_CASE("cost: an engine that cannot run the instruction is an error") {
  isa::Activation a{sbuf(DType::kFloat32, 128, 8),
                    sbuf(DType::kFloat32, 128, 8),
                    isa::ActFunc::kExp,
                    isa::imm(1.0f),
                    {},
                    {}};
  CHECK_THROWS_AS(cost(a, Engine::kDve, trn2()), std::invalid_argument);
  CHECK_THROWS_WITH(cost(isa::LoadStationary{}, Engine::kAct, trn2()),
                    "load_stationary cannot run on the Scalar engine");
}

TEST_CASE("cost: sequencer instructions take sp.sequencer_instruction_cycles of the stream's clock") {
  const isa::Operation ops[] = {isa::RegLoad{0, sbuf(DType::kInt32, 1, 1)}, isa::RegSet{0, 1},
                                isa::RegOp{0, 0, isa::AluOp::kAdd, isa::imm_operand(1)},
                                isa::Branch{0, isa::BranchCond::kAlways, 0, 0}, isa::RegCheck{0, 0, 1}};
  CHECK(trn2().sp_sequencer_instruction_cycles == 0);  // not published: a calibration parameter
  timing::HwConfig hw = timing::load_hw_config("trn2", {{"sp", {{"sequencer_instruction_cycles", 12}}}});
  for (const isa::Operation& op : ops) {
    INFO(isa::mnemonic(op));
    CHECK(cost(op, Engine::kAct, trn2()).duration_ps == 0);
    CHECK(cost(op, Engine::kAct, hw).cycles == 12);
    CHECK(cost(op, Engine::kAct, hw).duration_ps == 10000);  // 12 ACT cycles / 1.2 GHz = 10 ns
    CHECK(cost(op, Engine::kDve, hw).duration_ps == 12500);  // 12 DVE cycles / 0.96 GHz = 12.5 ns
    CHECK(cost(op, Engine::kDma, hw).duration_ps == 10000);  // DMA queues count SyncE cycles (1.2 GHz)
    CHECK(!timing::is_dma_transfer(op));
  }
  CHECK(cost(ops[0], Engine::kAct, hw).read.sbuf == 4);  // reg_load reads its 4-byte element
  for (const char* preset : {"trn1", "trn3"}) {
    CHECK(timing::load_hw_config(preset).sp_sequencer_instruction_cycles == 0);
  }
}

TEST_CASE("cost: dma_gather is timed like dma_copy from its static shape, skipped rows included") {
  isa::DmaGather g{sbuf(DType::kBFloat16, 16, 128),
                   isa::hbm_ap(0, DType::kBFloat16, 0, ApDim{0, 16}, {ApDim{1, 128}}),
                   sbuf(DType::kInt32, 16, 1), 128, 100};
  auto c = cost(g, Engine::kDma, trn2());
  CHECK(timing::is_dma_transfer(g));
  CHECK(c.dma.rows == 16);
  CHECK(c.dma.bytes == 4096);  // 16 rows x 128 bf16
  CHECK(c.dma.efficiency == 1.0);
  CHECK(c.read.hbm == 4096);
  CHECK(c.read.sbuf == 64);  // the 16 int32 indices
  CHECK(c.written.sbuf == 4096);
}
