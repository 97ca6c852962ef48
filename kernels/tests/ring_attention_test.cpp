// ring_attention_spmd_fwd across ranks (functional) against the float64 reference of kernels.md §5.1, with
// the kernel tests' data (randn, seed 42, cast to the dtype; causal runs pre-scale q, kernels.md §5.4).
// Cases cover contiguous and striped causal masks, non-causal with a softmax scale, training's lse, LNC2
// with an odd batch, both q/k layouts, several rings at once, and the rejected configurations.
#include <doctest/doctest.h>

#include <cmath>

#include "kernels/reference/dtype_rounding.hpp"
#include "kernels/reference/max_all_close.hpp"
#include "kernels/reference/numpy_random.hpp"
#include "kernels/ring_attention_reference_params.hpp"
#include "kernels/tests/kernel_harness.hpp"

namespace tn::kernels {
namespace {

using test::HarnessTensor;

const isa::MemoryLimits kTrn2;

RingAttentionParams params(int64_t n, int64_t seqlen, bool causal, bool striped = false) {
  RingAttentionParams p;
  p.seqlen = seqlen;
  p.d = 64;
  p.num_workers = n;
  p.use_causal_mask = causal;
  p.striped_input = striped;
  p.training = true;
  return p;
}

struct RingRun {
  std::vector<std::map<std::string, ref::HostTensor>> inputs, got, want;
};

// Every rank's q, k, v from one randn stream (seed 42) in rank order, rounded to the dtype; q multiplied by
// `q_scale` first (the caller's pre-scaling in causal mode).
RingRun run(const RingAttentionParams& p, double q_scale, int64_t ranks = 0) {
  if (ranks == 0)
    ranks = p.num_workers;
  RingRun r;
  ref::NumpyLegacyRandom rng(42);
  std::vector<HarnessTensor> decls, outs;
  for (const KernelTensor& t : ring_attention_inputs(p))
    decls.push_back({t.name, t.dtype, t.shape});
  for (const KernelTensor& t : ring_attention_outputs(p))
    outs.push_back({t.name, t.dtype, t.shape});
  for (int64_t rank = 0; rank < ranks; ++rank) {
    std::map<std::string, ref::HostTensor> m;
    for (const HarnessTensor& t : decls) {
      ref::HostTensor h{t.shape, rng.standard_normal(size_t(ref::HostTensor::numel_of(t.shape)))};
      if (t.name == "q") {
        for (double& x : h.data)
          x *= q_scale;
      }
      m[t.name] = ref::rounded_to(std::move(h), t.dtype);
    }
    r.inputs.push_back(std::move(m));
  }
  r.got = test::run_functional_ranks(build_ring_attention(p, kTrn2), r.inputs, decls, outs, kTrn2);
  r.want = ring_attention_reference_for(p, r.inputs);
  return r;
}

void check(const RingRun& r, const RingAttentionParams& p) {
  const RingTolerance out_tol = ring_out_tolerance(), lse_tol = ring_lse_tolerance(p.lse_dtype, p.dtype);
  for (size_t rank = 0; rank < r.got.size(); ++rank) {
    CAPTURE(rank);
    const auto out = ref::max_all_close(
        r.got[rank].at("out"), ref::rounded_to(r.want[rank].at("out"), p.dtype), out_tol.rtol, out_tol.atol);
    INFO(out.description);
    CHECK(out.passed);
    if (p.training) {
      const auto lse =
          ref::max_all_close(r.got[rank].at("lse"), ref::rounded_to(r.want[rank].at("lse"), p.lse_dtype),
                             lse_tol.rtol, lse_tol.atol);
      INFO(lse.description);
      CHECK(lse.passed);
    }
  }
}

void check(const RingAttentionParams& p, double q_scale) { check(run(p, q_scale), p); }

TEST_CASE("ring attention: causal contiguous, 4 ranks, q pre-scaled by 1/sqrt(d) and sharp (scale 1)") {
  RingAttentionParams p = params(4, 256, true);
  check(p, 1.0 / 8);  // the tests' pre-scaling (kernels.md §5.4)
  check(p, 1.0);      // scores of size sqrt(d): a wrong mask moves the output far
}

TEST_CASE("ring attention: causal striped, 4 ranks: ranks after the source see the diagonal, before it not") {
  RingAttentionParams p = params(4, 256, true, true);
  check(p, 1.0 / 8);
  check(p, 1.0);
}

TEST_CASE("ring attention: fully masked rows of a step carry zero weight (kernels.md §5.4's set)") {
  // cp 4: a contiguous step from a later rank masks every row, a striped one local query 0 (cp_offset -1);
  // the merge weight exp(finite - FLT_MAX) must remove them, at d 128 and 16.
  for (int64_t seqlen : {256, 512}) {
    for (int64_t d : {128, 16}) {
      for (bool striped : {false, true}) {
        CAPTURE(seqlen);
        CAPTURE(d);
        CAPTURE(striped);
        RingAttentionParams p = params(4, seqlen, true, striped);
        p.d = d;
        check(p, 1.0 / std::sqrt(double(d)));
      }
    }
  }
}

TEST_CASE("ring attention: non-causal with a softmax scale, 2 and 3 ranks") {
  RingAttentionParams p = params(2, 512, false);
  check(p, 1.0);  // default scale 1/sqrt(d)
  p = params(3, 256, false);
  p.softmax_scale = 0.5;
  check(p, 1.0);
}

TEST_CASE("ring attention: LNC2 with an odd batch equals LNC1") {
  // b * h = 3: core 0 takes batch 0, core 1 batch 1, and batch 2 splits by groups (seqlen 1024: 8 groups).
  RingAttentionParams p = params(2, 1024, true);
  p.b = 1;
  p.h = 3;
  p.kv_heads = 3;
  p.d = 32;
  const RingRun one = run(p, 1.0 / std::sqrt(32.0));
  check(one, p);
  p.lnc = 2;
  const RingRun two = run(p, 1.0 / std::sqrt(32.0));
  check(two, p);
  for (size_t r = 0; r < one.got.size(); ++r)
    CHECK(one.got[r].at("out").data == two.got[r].at("out").data);
  // At seqlen 512 attention_cte gives the odd batch to core 0 whole; the reduction follows it.
  p.seqlen = 512;
  check(p, 0.25);
}

TEST_CASE("ring attention: tp_q and tp_k layouts, fp16, bf16 lse") {
  RingAttentionParams p = params(2, 256, true);
  p.tp_q = p.tp_k = true;
  p.dtype = DType::kFloat16;
  p.lse_dtype = DType::kBFloat16;
  check(p, 0.125);
  p.tp_q = false;
  p.striped_input = true;
  check(p, 0.125);
}

TEST_CASE("ring attention: several rings at once, [[0,2],[1,3]], non-causal and causal") {
  RingAttentionParams p = params(2, 256, false);
  p.replica_groups = {{0, 2}, {1, 3}};
  p.tp_q = p.tp_k = true;
  check(run(p, 1.0, 4), p);
  p.use_causal_mask = true;
  check(run(p, 0.125, 4), p);
}

TEST_CASE("ring attention: one worker is plain attention, normalised") {
  RingAttentionParams p = params(1, 256, true);
  check(p, 0.125);
}

TEST_CASE("ring attention: the program is the same for every rank and holds the ring's collectives") {
  const RingAttentionParams p = params(4, 256, true);
  const auto programs = build_ring_attention(p, kTrn2);
  REQUIRE(programs.size() == 1);
  size_t permutes = 0, rank_ids = 0;
  for (const auto& st : programs[0].streams) {
    for (const auto& in : st.instructions) {
      permutes += std::holds_alternative<isa::CollectivePermute>(in.op.get()) ? 1 : 0;
      rank_ids += std::holds_alternative<isa::ProcessingRankId>(in.op.get()) ? 1 : 0;
    }
  }
  CHECK(permutes == 2 * 3);  // K and V for steps 1..3
  CHECK(rank_ids == 4);      // the own position, then one per later step
  CHECK(programs[0].replica_groups == std::vector<isa::ReplicaGroup>{{{0, 1, 2, 3}}});
}

TEST_CASE("ring attention: configurations the kernel refuses, with the reason") {
  auto refused = [](RingAttentionParams p, const std::string& text) {
    CAPTURE(text);
    CHECK_THROWS_WITH_AS(build_ring_attention(p, kTrn2), doctest::Contains(text.c_str()), KernelParamError);
  };
  RingAttentionParams p = params(2, 256, true);
  p.kv_heads = 2;
  p.h = 4;
  refused(p, "kv_heads: expects q_heads == kv_heads (MHA only)");
  p = params(2, 256, false, true);
  refused(p, "striped_input: requires use_causal_mask=True");
  p = params(2, 256, true);
  p.softmax_scale = 0.125;
  refused(p, "softmax_scale: must be 1.0 (or absent) with use_causal_mask");
  p = params(2, 200, true);
  refused(p, "seqlen: must be a multiple of 128");
  p = params(2, 256, true);
  p.neuron_core_version = 2;
  refused(p, "not supported on trn1");
  p = params(2, 256, true);
  p.replica_groups = {{0, 1}, {1, 2}};
  refused(p, "replica_groups: rank 1 is negative or in two rings");
  p.replica_groups = {{0, 1, 2}};
  refused(p, "replica_groups: row 0 has 3 ranks");
  p = params(2, 256, true);
  p.d = 160;
  refused(p, "d: head_dim must be <= 128");
  p = params(1024, 32768, true);
  refused(p, "num_workers x seqlen must be at most 2^24");
}

}  // namespace
}  // namespace tn::kernels
