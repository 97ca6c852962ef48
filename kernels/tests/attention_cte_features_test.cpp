// attention_cte's features (kernels.md §1.2) and meaningful pairs of them against the float64 reference,
// with the kernel tests' comparison (maxAllClose, rtol 2e-2, atol 1e-5). Runtime values (cp_offset,
// prior_used_len, sink, packing bounds) reach the program only through HBM tensors, so one program is
// checked with several values.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "isa/program_hash.hpp"
#include "kernels/attention_cte_reference_params.hpp"
#include "kernels/reference/dtype_rounding.hpp"
#include "kernels/reference/max_all_close.hpp"
#include "kernels/tests/kernel_harness.hpp"

namespace tn::kernels {
namespace {

using test::HarnessTensor;

const isa::MemoryLimits kTrn2;

// Runtime values for one run.
struct Runtime {
  int64_t prior_used_len = 0;
  int64_t cp_offset = 0;
  std::vector<int64_t> segments;  // packing: segment lengths summing to seqlen_q (and seqlen_kv)
};

std::vector<HarnessTensor> decls(const std::vector<KernelTensor>& ts) {
  std::vector<HarnessTensor> out;
  for (const auto& t : ts)
    out.push_back({t.name, t.dtype, t.shape});
  return out;
}

struct Checked {
  std::map<std::string, ref::HostTensor> actual;
  std::vector<ref::MaxAllCloseResult> results;
};

Checked run_checked(const AttentionCteParams& p, const Runtime& rt,
                    const std::vector<isa::Program>& programs) {
  const auto in = decls(attention_cte_inputs(p));
  const auto out = decls(attention_cte_outputs(p));
  // q, k, v, k_prior, v_prior drawn uniform [0, 1) from seed 0; then the runtime values.
  std::vector<HarnessTensor> drawn;
  for (const auto& t : in) {
    if (t.name == "q" || t.name == "k" || t.name == "v" || t.name == "k_prior" || t.name == "v_prior") {
      drawn.push_back(t);
    }
  }
  auto inputs = test::seeded_inputs(drawn);
  ref::HostTensor sink, bmin, bmax;
  if (p.sink) {
    // np.random.uniform(15, 25): large, so the sink dominates denominators (kernels.md §2.2).
    sink = ref::HostTensor::zeros({p.bs, 1});
    for (int64_t b = 0; b < p.bs; ++b)
      sink.data[b] = 15.0 + 10.0 * std::fmod(0.37 * (b + 1), 1.0);
    inputs["sink"] = sink;
  }
  if (p.has_prior())
    inputs["prior_used_len"] = ref::HostTensor{{1}, {double(rt.prior_used_len)}};
  if (p.has_cp())
    inputs["cp_offset"] = ref::HostTensor{{1, 1}, {double(rt.cp_offset)}};
  if (p.sequence_packing) {
    bmin = ref::HostTensor::zeros({p.seqlen_q, 1});
    bmax = ref::HostTensor::zeros({p.seqlen_q, 1});
    int64_t start = 0;
    for (int64_t len : rt.segments) {
      for (int64_t i = start; i < start + len; ++i) {
        bmin.data[i] = double(start);
        bmax.data[i] = double(start + len);
      }
      start += len;
    }
    REQUIRE(start == p.seqlen_q);
    inputs["bound_min"] = bmin;
    inputs["bound_max"] = bmax;
  }
  Checked c;
  c.actual = test::run_functional(programs, inputs, in, out, kTrn2);

  ref::AttentionCteRefParams rp = reference_params(p);
  rp.sliding_window = p.sliding_window;
  rp.cache_softmax = p.cache_softmax;
  rp.global_cp_deg = p.global_cp_deg;
  rp.cp_strided_q_slicing = p.cp_strided_q_slicing;
  rp.seqlen_prior = p.seqlen_prior;
  ref::AttentionCteRefInputs ri;
  ri.q = &inputs.at("q");
  ri.k = &inputs.at("k");
  ri.v = &inputs.at("v");
  if (p.has_prior()) {
    ri.k_prior = &inputs.at("k_prior");
    ri.v_prior = &inputs.at("v_prior");
    ri.prior_used_len = rt.prior_used_len;
  }
  if (p.sink)
    ri.sink = &inputs.at("sink");
  if (p.has_cp())
    ri.cp_offset = rt.cp_offset;
  if (p.sequence_packing) {
    ri.bound_min = &bmin;
    ri.bound_max = &bmax;
  }
  const ref::AttentionCteRefOutputs golden = ref::attention_cte_reference(rp, ri);
  c.results.push_back(ref::max_all_close(c.actual.at("out"), ref::rounded_to(golden.out, p.dtype)));
  if (p.cache_softmax) {
    c.results.push_back(
        ref::max_all_close(c.actual.at("out_neg_max"), ref::rounded_to(*golden.neg_max, p.softmax_dtype)));
    const ref::HostTensor& sum = p.skip_output_normalization ? *golden.sum : *golden.sum_recip;
    c.results.push_back(
        ref::max_all_close(c.actual.at(p.sum_output_name()), ref::rounded_to(sum, p.softmax_dtype)));
  }
  return c;
}

Checked check(const AttentionCteParams& p, const Runtime& rt = {}) {
  const Checked c = run_checked(p, rt, build_attention_cte(p, kTrn2));
  for (const auto& r : c.results) {
    INFO(r.description);
    CHECK(r.passed);
  }
  return c;
}

AttentionCteParams base(int64_t sq, int64_t skv, int64_t d = 64) {
  AttentionCteParams p;
  p.seqlen_q = sq;
  p.seqlen_kv = skv;
  p.d = d;
  p.scale = 1.0;
  p.causal = true;
  return p;
}

TEST_CASE("attention_cte features: sink tokens") {
  AttentionCteParams p = base(512, 512);
  p.scale = 0.125;
  p.sink = true;
  p.bs = 2;
  check(p);
}

TEST_CASE("attention_cte features: cache_softmax returns -max and 1/sum per query") {
  AttentionCteParams p = base(256, 640);
  p.cache_softmax = true;
  check(p);
  p.sink = true;  // the sink joins both statistics
  p.causal = false;
  check(p);
}

TEST_CASE("attention_cte features: sliding window, static (W > 128) and dynamic (W <= 128) masks") {
  AttentionCteParams p = base(1024, 1024, 32);
  p.sliding_window = 300;
  check(p);
  p.sliding_window = 64;
  check(p);
  p.sliding_window = 1;  // each query sees only its own key
  check(p);
}

TEST_CASE("attention_cte features: prefix caching with a runtime used length") {
  AttentionCteParams p = base(256, 384);
  p.seqlen_prior = 700;  // padded to 1024: two prior tiles, the second partly past the end
  const auto programs = build_attention_cte(p, kTrn2);
  // One program, several runtime values: prior_used_len is read when the program runs.
  for (int64_t used : {700, 500, 1, 0}) {
    CAPTURE(used);
    const Checked c = run_checked(p, {used, 0, {}}, programs);
    for (const auto& r : c.results) {
      INFO(r.description);
      CHECK(r.passed);
    }
  }
}

TEST_CASE("attention_cte features: context parallelism, contiguous and strided Q slices") {
  AttentionCteParams p = base(256, 1024);
  p.global_cp_deg = 4;
  const auto contiguous = build_attention_cte(p, kTrn2);
  for (int64_t rank : {0, 2, 3}) {
    CAPTURE(rank);
    for (const auto& r : run_checked(p, {0, rank * 256, {}}, contiguous).results) {
      INFO(r.description);
      CHECK(r.passed);
    }
  }
  p.cp_strided_q_slicing = true;
  const auto strided = build_attention_cte(p, kTrn2);
  for (int64_t rank : {0, 1, 3}) {
    CAPTURE(rank);
    for (const auto& r : run_checked(p, {0, rank, {}}, strided).results) {
      INFO(r.description);
      CHECK(r.passed);
    }
  }
}

TEST_CASE("attention_cte features: sequence packing, causal and not") {
  AttentionCteParams p = base(512, 512);
  p.sequence_packing = true;
  check(p, {0, 0, {100, 250, 162}});
  p.causal = false;
  check(p, {0, 0, {1, 300, 211}});
}

TEST_CASE("attention_cte features: pairs") {
  SUBCASE("sink + sliding window") {
    AttentionCteParams p = base(512, 512);
    p.sink = true;
    p.sliding_window = 200;
    check(p);
  }
  SUBCASE("prefix caching + sliding window reaching into the prior") {
    AttentionCteParams p = base(256, 256);
    p.seqlen_prior = 600;
    p.sliding_window = 300;
    check(p, {450, 0, {}});
    p.sliding_window = 100;  // dynamic mask path
    check(p, {450, 0, {}});
  }
  SUBCASE("prefix caching + sink + cache_softmax, GQA") {
    AttentionCteParams p = base(256, 384);
    p.bs = 4;
    p.bs_kv = 2;
    p.seqlen_prior = 512;
    p.sink = true;
    p.cache_softmax = true;
    check(p, {300, 0, {}});
  }
  SUBCASE("context parallelism + sliding window, contiguous and strided") {
    AttentionCteParams p = base(256, 1024);
    p.global_cp_deg = 4;
    p.sliding_window = 200;
    check(p, {0, 512, {}});
    p.cp_strided_q_slicing = true;
    check(p, {0, 2, {}});
  }
  SUBCASE("context parallelism + prefix caching") {
    AttentionCteParams p = base(256, 512);
    p.global_cp_deg = 2;
    p.seqlen_prior = 300;
    check(p, {200, 256, {}});
  }
  SUBCASE("packing + sliding window") {
    AttentionCteParams p = base(512, 512);
    p.sequence_packing = true;
    p.sliding_window = 90;
    check(p, {0, 0, {200, 312}});
  }
  SUBCASE("every layout with the dynamic-mask features") {
    for (int mask = 0; mask < 8; ++mask) {
      AttentionCteParams p = base(256, 512, 32);
      p.tp_q = mask & 1;
      p.tp_k = mask & 2;
      p.tp_out = mask & 4;
      p.seqlen_prior = 200;
      p.sink = true;
      p.sliding_window = 100;
      CAPTURE(mask);
      check(p, {150, 0, {}});
    }
  }
}

TEST_CASE("attention_cte features: flash sections with prior tiles, sink and cache_softmax") {
  // 8700 prior rows pad to 9216: section 0 is all prior, section 1 holds the prior's tail and 3000 keys.
  AttentionCteParams p = base(256, 3000, 16);
  p.seqlen_prior = 8700;
  p.sink = true;
  p.cache_softmax = true;
  check(p, {8000, 0, {}});
}

TEST_CASE("attention_cte features: flash sections with a sliding window") {
  AttentionCteParams p = base(1024, 10752, 16);
  p.causal = true;
  p.global_cp_deg = 2;  // queries at 9728.. reach into both sections
  p.cp_strided_q_slicing = false;
  check(p, {0, 9728, {}});
  p.global_cp_deg = 1;
  p.seqlen_q = 10752;
  p.sliding_window = 700;  // static SWA across the section boundary
  check(p);
}

TEST_CASE("attention_cte features: LNC2 with prefix caching, sink and cache_softmax equals LNC1") {
  AttentionCteParams p = base(1024, 512, 32);
  p.bs = 3;
  p.seqlen_prior = 300;
  p.sink = true;
  p.cache_softmax = true;
  const Checked one = check(p, {256, 0, {}});
  p.lnc = 2;
  const Checked two = check(p, {256, 0, {}});
  CHECK(one.actual.at("out").data == two.actual.at("out").data);
  CHECK(one.actual.at("out_sum_recip").data == two.actual.at("out_sum_recip").data);
}

TEST_CASE("attention_cte features: skip_output_normalization returns the unnormalised output and raw sum") {
  // One section, then flash sections (11K keys: 8192 + 2816), then LNC2 with the odd batch Q-sharded.
  AttentionCteParams p = base(256, 640);
  p.cache_softmax = true;
  p.skip_output_normalization = true;
  check(p);
  p.sink = true;  // the sink's term is part of the raw sum
  p.causal = false;
  check(p);
  p = base(256, 11008, 16);
  p.causal = false;
  p.scale = 0.25;
  p.cache_softmax = true;
  p.skip_output_normalization = true;
  check(p);
  p = base(1024, 1024, 32);
  p.bs = 3;
  p.lnc = 2;
  p.cache_softmax = true;
  p.skip_output_normalization = true;
  check(p);
}

// Striped CP input (kernels.md §1.9): the mask is k <= i + cp_offset with cp_offset 0 (this rank's queries
// at or after the key rank's) or -1; the program is the same for both, and skips tiles statically.
TEST_CASE("attention_cte features: striped CP input with a float32 cp_offset of 0 or -1") {
  AttentionCteParams p = base(512, 512);
  p.global_cp_deg = 4;
  p.cp_striped_input = true;
  p.cp_offset_dtype = DType::kFloat32;
  p.cache_softmax = true;
  p.skip_output_normalization = true;
  const auto striped = build_attention_cte(p, kTrn2);
  for (const auto& r : run_checked(p, {0, 0, {}}, striped).results) {
    INFO(r.description);
    CHECK(r.passed);
  }
  // cp_offset -1: query 0 sees no key (its statistics say so: neg_max = FLT_MAX, weight 0 in a merge);
  // every other query sees keys 0..i-1.
  Runtime before{0, -1, {}};
  const Checked c = run_checked(p, before, striped);
  const auto& nm = c.actual.at("out_neg_max").data;
  CHECK(nm[0] == doctest::Approx(3.4028234663852886e38));  // [b 0, partition 0, group 0] = query 0
  int failed = 0;
  for (const auto& r : c.results)
    failed += r.passed ? 0 : 1;
  CHECK(failed == 3);  // the reference has NaN for query 0 (0 / 0), so each output differs there only
  for (size_t i = 0; i < c.results.size(); ++i) {  // out: query 0's d values; neg_max, sum: one each
    INFO(c.results[i].description);
    CHECK(c.results[i].num_mismatches == (i == 0 ? p.d : 1));
  }
  // Static skipping is kept: half the score tiles of a causal 512 x 512 run are never computed, while
  // contiguous CP (runtime positions) computes them all.
  auto matmuls = [](const std::vector<isa::Program>& programs) {
    size_t n = 0;
    for (const auto& prog : programs)
      for (const auto& st : prog.streams)
        for (const auto& in : st.instructions)
          n += std::holds_alternative<isa::MultiplyMoving>(in.op.get()) ? 1 : 0;
    return n;
  };
  p.cp_striped_input = false;
  CHECK(matmuls(striped) < matmuls(build_attention_cte(p, kTrn2)));
}

TEST_CASE("attention_cte features: a caller may raise the CP degree past 32") {
  AttentionCteParams p = base(256, 256);
  p.global_cp_deg = 64;
  p.cp_striped_input = true;
  CHECK_THROWS_WITH_AS(build_attention_cte(p, kTrn2), doctest::Contains("global_cp_deg must be in 1..32"),
                       KernelParamError);
  p.max_cp_deg = 1024;  // as ring_attention_spmd_fwd does (kernels.md §5.1: 1M tokens at 16K per rank)
  check(p, {0, 0, {}});
}

TEST_CASE("attention_cte features: the program does not depend on runtime values") {
  AttentionCteParams p = base(256, 512);
  p.global_cp_deg = 2;
  p.seqlen_prior = 300;
  p.sink = true;
  CHECK(isa::programs_hash(build_attention_cte(p, kTrn2)) ==
        isa::programs_hash(build_attention_cte(p, kTrn2)));
}

TEST_CASE("attention_cte features: invalid combinations are refused with their reason") {
  auto refused = [](AttentionCteParams p, const std::string& text) {
    CAPTURE(text);
    CHECK_THROWS_WITH_AS(build_attention_cte(p, kTrn2), doctest::Contains(text.c_str()), KernelParamError);
  };
  AttentionCteParams p = base(256, 256);
  p.sliding_window = 64;
  p.causal = false;
  refused(p, "sliding_window: requires causal masking");
  // Defects issue item 6: seqlen_kv + a prior length near 2^63 overflowed past the 131072 rule.
  p = base(256, 256);
  p.seqlen_prior = std::numeric_limits<int64_t>::max();
  refused(p, "prior_len: seqlen_kv + prior length must be at most 131072");
  p = base(256, 256);
  p.global_cp_deg = 2;
  p.causal = false;
  refused(p, "cp_degree: context parallelism requires causal masking");
  p = base(256, 256);
  p.seqlen_prior = 100;
  p.scale = 0.5;
  refused(p, "scale: must be 1.0 with sliding window, prefix caching");
  p = base(200, 256);
  p.cache_softmax = true;
  refused(p, "cache_softmax: requires seqlen_q % 128 == 0");
  p = base(256, 256);
  p.sequence_packing = true;
  p.seqlen_prior = 100;
  refused(p, "sequence packing excludes prefix caching");
  p = base(256, 256);
  p.sequence_packing = true;
  p.global_cp_deg = 2;
  refused(p, "sequence packing excludes context parallelism");
  p = base(256, 256);
  p.global_cp_deg = 33;
  refused(p, "global_cp_deg must be in 1..32");
  p = base(256, 256);
  p.mm_out_dtype = DType::kBFloat16;
  refused(p, "mm_out_dtype");
  p = base(256, 256);
  p.skip_output_normalization = true;
  refused(p, "skip_output_normalization: requires cache_softmax");
  p = base(256, 256);
  p.cp_striped_input = true;
  refused(p, "cp_striped_input: needs global_cp_deg > 1");
  p.global_cp_deg = 2;
  p.cp_strided_q_slicing = true;
  refused(p, "cp_striped_input: excludes cp_strided_q_slicing");
  p = base(256, 256);
  p.global_cp_deg = 2;
  p.cp_offset_dtype = DType::kBFloat16;
  refused(p, "cp_offset_dtype: must be int32 or float32");
}

}  // namespace
}  // namespace tn::kernels
