// attention_cte against the float64 reference (kernels.md §1.2, §2.1), with the kernel tests' own
// comparison: maxAllClose, rtol 2e-2, atol 1e-5, golden cast to the output dtype (kernels.md §2.2).
// Shapes are small versions of attention_cte_cases.json families so the suite stays fast.
#include <doctest/doctest.h>

#include <cmath>

#include "kernels/attention_cte_reference_params.hpp"
#include "kernels/reference/dtype_rounding.hpp"
#include "kernels/reference/max_all_close.hpp"
#include "kernels/tests/kernel_harness.hpp"

namespace tn::kernels {
namespace {

using test::HarnessTensor;

const isa::MemoryLimits kTrn2;  // defaults are trn2's (hardware.md §0)

struct Run {
  ref::HostTensor actual, expected;
};

Run run_attention(const AttentionCteParams& p, uint64_t schedule_seed = 0) {
  const std::vector<HarnessTensor> in = {{"q", p.dtype, attention_cte_q_shape(p)},
                                         {"k", p.dtype, attention_cte_k_shape(p)},
                                         {"v", p.dtype, attention_cte_v_shape(p)}};
  const std::vector<HarnessTensor> out = {{"out", p.dtype, attention_cte_out_shape(p)}};
  auto inputs = test::seeded_inputs(in);
  auto got = test::run_functional(build_attention_cte(p, kTrn2), inputs, in, out, kTrn2, schedule_seed);
  const ref::AttentionCteRefParams rp = reference_params(p);
  ref::AttentionCteRefInputs ri;
  ri.q = &inputs.at("q");
  ri.k = &inputs.at("k");
  ri.v = &inputs.at("v");
  return {got.at("out"), ref::rounded_to(ref::attention_cte_reference(rp, ri).out, p.dtype)};
}

void check_close(const AttentionCteParams& p) {
  const Run r = run_attention(p);
  const auto cmp = ref::max_all_close(r.actual, r.expected);
  INFO(cmp.description);
  CHECK(cmp.passed);
}

AttentionCteParams params(int64_t bs, int64_t bs_kv, int64_t sq, int64_t skv, int64_t d, DType dt,
                          bool causal, double scale) {
  AttentionCteParams p;
  p.bs = bs;
  p.bs_kv = bs_kv;
  p.seqlen_q = sq;
  p.seqlen_kv = skv;
  p.d = d;
  p.dtype = dt;
  p.causal = causal;
  p.scale = scale;
  return p;
}

TEST_CASE("attention_cte: causal bf16 d=128, one Q pack of 4 groups") {
  check_close(params(1, 1, 512, 512, 128, DType::kBFloat16, true, 1 / std::sqrt(128.0)));
}

TEST_CASE("attention_cte: non-causal fp32 with ragged Q group and K tile (Sq=300, Skv=700)") {
  check_close(params(1, 1, 300, 700, 64, DType::kFloat32, false, 0.5));
}

TEST_CASE("attention_cte: fp16 GQA bs=4 bs_kv=2, causal") {
  check_close(params(4, 2, 256, 256, 64, DType::kFloat16, true, 0.125));
}

TEST_CASE("attention_cte: causal with more keys than queries and more queries than keys") {
  check_close(params(1, 1, 384, 1024, 64, DType::kBFloat16, true, 0.125));
  check_close(params(1, 1, 1024, 256, 64, DType::kBFloat16, true, 0.125));
}

TEST_CASE("attention_cte: every tp_q / tp_k / tp_out combination") {
  for (int mask = 0; mask < 8; ++mask) {
    AttentionCteParams p =
        params(2, 1, 200, 384, 32, mask % 2 ? DType::kFloat16 : DType::kBFloat16, mask % 3 == 0, 0.25);
    p.tp_q = mask & 1;
    p.tp_k = mask & 2;
    p.tp_out = mask & 4;
    CAPTURE(mask);
    check_close(p);
  }
}

TEST_CASE("attention_cte: tiny and odd shapes (d=1, Sq=1, Skv=1)") {
  check_close(params(1, 1, 129, 513, 1, DType::kFloat32, false, 1.0));
  check_close(params(1, 1, 1, 1, 16, DType::kBFloat16, true, 1.0));
  check_close(params(1, 1, 1, 600, 16, DType::kBFloat16, false, 1.0));
}

TEST_CASE("attention_cte: flash sections past 10K keys, non-causal and causal") {
  // 10752 keys: sections of 8192 and 2560 (kernels.md §1.4), partial outputs round-trip through HBM.
  check_close(params(1, 1, 256, 10752, 32, DType::kBFloat16, false, 1.0));
  // Causal with Sq = Skv: late groups span both sections, early ones end in the first.
  check_close(params(1, 1, 10752, 10752, 16, DType::kBFloat16, true, 0.25));
}

TEST_CASE("attention_cte: LNC2 splits batches, and the odd batch by Q groups") {
  AttentionCteParams p = params(3, 3, 1024, 1024, 32, DType::kBFloat16, true, 0.125);
  p.lnc = 2;
  check_close(p);  // Sq >= 1024: batch 2 is split 0.65 / 0.35 by Q groups (unpacked Q loads)
  p.seqlen_q = 256;
  check_close(p);  // Sq < 1024: core 0 takes the whole last batch
  p.tp_q = false;
  p.seqlen_q = 1024;
  p.causal = false;
  check_close(p);
}

TEST_CASE("attention_cte: LNC2 result equals LNC1 bit for bit") {
  AttentionCteParams p = params(3, 1, 1024, 512, 64, DType::kBFloat16, true, 0.125);
  const Run one = run_attention(p);
  p.lnc = 2;
  const Run two = run_attention(p);
  CHECK(one.actual.data == two.actual.data);
}

TEST_CASE(
    "attention_cte: any interleaving of the engines gives identical bits (semaphores cover every hazard)") {
  const AttentionCteParams p = params(2, 1, 384, 1536, 64, DType::kBFloat16, true, 0.125);
  const Run base = run_attention(p);
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    CAPTURE(seed);
    CHECK(run_attention(p, seed).actual.data == base.actual.data);
  }
}

}  // namespace
}  // namespace tn::kernels
