// attention_segmented_cte against the float64 reference of kernels.md §3.1: one program per shape, run
// with several runtime prior_tokens values over a shuffled, -1-padded block table; the runtime guards on
// prior_tokens and block indices; the kernel's parameter constraints.
#include "kernels/attention_segmented_cte.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "kernels/attention_segmented_cte_reference_params.hpp"
#include "kernels/reference/max_all_close.hpp"
#include "kernels/tests/kernel_harness.hpp"
#include "sim/func/executor.hpp"

namespace tn::kernels {
namespace {

const isa::MemoryLimits kTrn2;

// 2 sequences, 2 Q heads per KV head (GQA 2:1 over 2 KV heads), block_size 16, segments of 64 keys: a
// program small enough to run several times per test.
AttentionSegmentedCteParams small_params() {
  AttentionSegmentedCteParams p;
  p.batch = 2;
  p.num_q_heads = 4;
  p.num_kv_heads = 2;
  p.seqlen_q = 128;
  p.d = 32;
  p.block_size = 16;
  p.prior_seg_size = 64;
  p.max_blocks = 24;  // P up to 24 * 16 - 128 = 256
  p.num_blocks = 2 * 24 + 5;
  p.scale = 0.25;
  return p;
}

std::vector<test::HarnessTensor> decls(const std::vector<KernelTensor>& ts) {
  std::vector<test::HarnessTensor> out;
  for (const auto& t : ts)
    out.push_back({t.name, t.dtype, t.shape});
  return out;
}

// Random q / caches; each sequence's blocks are a scattered, reversed run of cache blocks; the entries past
// the (P + Sq) / block_size used ones are -1, which the partial segment's speculative reads must skip.
std::map<std::string, ref::HostTensor> inputs_for(const AttentionSegmentedCteParams& p, int64_t prior,
                                                  int64_t bad_entry = -1) {
  const auto all = attention_segmented_cte_inputs(p);
  std::vector<test::HarnessTensor> random;
  for (const auto& t : all) {
    if (t.name == "q" || t.name == "k_cache" || t.name == "v_cache")
      random.push_back({t.name, t.dtype, t.shape});
  }
  auto in = test::seeded_inputs(random, 42);
  const int64_t used = (prior + p.seqlen_q) / p.block_size;
  ref::HostTensor table{{p.batch, p.max_blocks}, std::vector<double>(size_t(p.batch * p.max_blocks), -1.0)};
  for (int64_t b = 0; b < p.batch; ++b) {
    for (int64_t i = 0; i < used; ++i)
      table.data[size_t(b * p.max_blocks + i)] = double((7 * (b * used + used - 1 - i) + 3) % p.num_blocks);
  }
  if (bad_entry >= 0)
    table.data[1] = double(bad_entry);
  in["block_tables"] = table;
  in["prior_tokens"] = ref::HostTensor{{1, 1}, {double(prior)}};
  if (p.sink)
    in["sink"] = ref::HostTensor{{p.bs_q(), 1}, std::vector<double>(size_t(p.bs_q()), 1.5)};
  return in;
}

ref::HostTensor reference_out(const AttentionSegmentedCteParams& p,
                              const std::map<std::string, ref::HostTensor>& in) {
  return attention_segmented_cte_reference_for(p, in).out;
}

std::map<std::string, ref::HostTensor> run_all(const std::vector<isa::Program>& programs,
                                               const AttentionSegmentedCteParams& p,
                                               const std::map<std::string, ref::HostTensor>& in,
                                               uint64_t schedule_seed = 0) {
  return test::run_functional(programs, in, decls(attention_segmented_cte_inputs(p)),
                              decls(attention_segmented_cte_outputs(p)), kTrn2, schedule_seed);
}

ref::HostTensor run(const std::vector<isa::Program>& programs, const AttentionSegmentedCteParams& p,
                    const std::map<std::string, ref::HostTensor>& in, uint64_t schedule_seed = 0) {
  return run_all(programs, p, in, schedule_seed).at("out");
}

std::string run_error(const std::vector<isa::Program>& programs, const AttentionSegmentedCteParams& p,
                      const std::map<std::string, ref::HostTensor>& in) {
  try {
    run(programs, p, in);
  } catch (const sim::ExecutionError& e) {
    return e.what();
  }
  return "";
}

TEST_CASE("attention_segmented_cte: one program for every prior_tokens, against the float64 reference") {
  for (const int variant : {0, 1, 2}) {
    AttentionSegmentedCteParams p = small_params();
    if (variant == 1) {  // the other layouts and features
      p.tp_q = false;
      p.tp_out = true;
      p.k_pre_transposed = true;
      p.sink = true;
    }
    if (variant == 2) {  // SWA (§3.4): a window shorter than the active part and than the prior part
      p.sliding_window = 48;
      p.sink = true;
    }
    const auto programs = build_attention_segmented_cte(p, kTrn2);
    // 0; less than a segment; one full segment; two full plus a partial one of 32; the table's maximum.
    for (const int64_t prior : {0, 48, 64, 160, 256}) {
      CAPTURE(variant);
      CAPTURE(prior);
      const auto in = inputs_for(p, prior);
      const ref::HostTensor got = run(programs, p, in);
      const auto r = ref::max_all_close(got, reference_out(p, in), ref::kAttentionSegmentedCteRtol,
                                        ref::kAttentionSegmentedCteAtol);
      INFO(r.description);
      CHECK(r.passed);
      // The unnormalised output is far from the normalised one, so a pass is informative; and the error is
      // at bf16 rounding, well inside the tolerance.
      CHECK(r.max_abs_err < 8e-3);
    }
  }
}

TEST_CASE("attention_segmented_cte: LNC2 splits the heads over two cores, an odd one by Q groups") {
  // (bs_q, seqlen_q): even (4 heads each); odd with 3 Q groups (core 0 takes groups 0-1 of head 4, core 1
  // group 2 with core 0's 256 active keys as an extra pass); odd with one group (core 0 runs all of it).
  for (const auto& [heads, sq] : std::vector<std::pair<int64_t, int64_t>>{{8, 128}, {5, 384}, {3, 128}}) {
    for (const int64_t window : {0, 48}) {
      AttentionSegmentedCteParams p = small_params();
      p.lnc = 2;
      p.batch = 1;
      p.num_q_heads = heads;
      p.num_kv_heads = 1;
      p.seqlen_q = sq;
      p.max_blocks = (256 + sq) / p.block_size;
      p.num_blocks = p.max_blocks + 5;
      p.sliding_window = window;
      p.sink = window > 0;
      const auto programs = build_attention_segmented_cte(p, kTrn2);
      REQUIRE(programs.size() == 2);
      for (const int64_t prior : {0, 48, 160, 256}) {
        CAPTURE(heads);
        CAPTURE(sq);
        CAPTURE(window);
        CAPTURE(prior);
        const auto in = inputs_for(p, prior);
        const auto r = ref::max_all_close(run(programs, p, in), reference_out(p, in),
                                          ref::kAttentionSegmentedCteRtol, ref::kAttentionSegmentedCteAtol);
        INFO(r.description);
        CHECK(r.passed);
        CHECK(r.max_abs_err < 8e-3);
      }
    }
  }
}

TEST_CASE("attention_segmented_cte: KV-parallel mode (kvp_offset) against the float64 reference") {
  AttentionSegmentedCteParams p = small_params();
  p.batch = 1;  // bs_q 4 over 2 KV heads
  p.kvp_offset = true;
  p.tp_out = true;
  const auto programs = build_attention_segmented_cte(p, kTrn2);
  auto run_with = [&](int64_t prior, int64_t offset) {
    auto in = inputs_for(p, prior);
    in["kvp_offset"] = ref::HostTensor{{1, 1}, {double(offset)}};
    return std::pair{run_all(programs, p, in), attention_segmented_cte_reference_for(p, in)};
  };
  // The statistics use attention_cte's tolerances for its softmax statistics (kernels.md §2.2).
  auto compare = [](const ref::HostTensor& got, const ref::HostTensor& want, double rtol, double atol) {
    const auto r = ref::max_all_close(got, want, rtol, atol);
    INFO(r.description);
    CHECK(r.passed);
  };
  SUBCASE("every query sees some key") {
    // (P, kvp_offset): the plain causal case (offset = P); a diagonal moved back into the prior part, so
    // the partial segment and a full one are cut by the bound; one past every key; one inside the active
    // part; none prior; a small offset with the table full.
    for (const auto& [prior, offset] : std::vector<std::pair<int64_t, int64_t>>{
             {160, 160}, {160, 70}, {160, 400}, {48, 100}, {0, 0}, {256, 5}}) {
      CAPTURE(prior);
      CAPTURE(offset);
      const auto [got, want] = run_with(prior, offset);
      compare(got.at("out"), want.out, ref::kAttentionSegmentedCteRtol, ref::kAttentionSegmentedCteAtol);
      compare(got.at("neg_max"), *want.neg_max, ref::kAttentionCteRtol, ref::kAttentionCteAtol);
      compare(got.at("sum_recip"), *want.sum_recip, ref::kAttentionCteRtol, ref::kAttentionCteAtol);
    }
  }
  SUBCASE("queries that see no key get statistics that weigh nothing in a merge, at any scale") {
    // kvp_offset -20: queries 0..19 see no key, where the reference's softmax is undefined (NaN). The
    // kernel's masked scores are -FLT_MAX after scaling, so its neg_max there is FLT_MAX and such a row's
    // weight exp(m_r - m) is 0 in a KVP merge (kernels.md §4.2). Every other query matches the reference.
    // A scale above 1 once made those rows NaN (-FLT_MAX * scale = -inf, exp(-inf + inf)).
    for (const double scale : {0.25, 4.0}) {
      CAPTURE(scale);
      p.scale = scale;
      const auto scaled_programs = build_attention_segmented_cte(p, kTrn2);
      constexpr int64_t kBlind = 20;
      auto in = inputs_for(p, 64);
      in["kvp_offset"] = ref::HostTensor{{1, 1}, {double(-kBlind)}};
      const auto got = run_all(scaled_programs, p, in);
      const auto want = attention_segmented_cte_reference_for(p, in);
      const int64_t sq = p.seqlen_q;
      auto seen = [&](const ref::HostTensor& t) {
        // The elements of queries kBlind.. in a tensor whose last axis is the query.
        std::vector<double> v;
        for (int64_t row = 0; row < t.numel() / sq; ++row) {
          for (int64_t i = kBlind; i < sq; ++i)
            v.push_back(t.data[size_t(row * sq + i)]);
        }
        return ref::HostTensor{{int64_t(v.size())}, v};
      };
      const ref::HostTensor& neg_max = got.at("neg_max");
      for (int64_t bq = 0; bq < p.bs_q(); ++bq) {
        for (int64_t i = 0; i < kBlind; ++i) {
          CHECK(neg_max.data[size_t(bq * sq + i)] == double(std::numeric_limits<float>::max()));
          CHECK(std::isfinite(got.at("sum_recip").data[size_t(bq * sq + i)]));
        }
      }
      for (double v : got.at("out").data)
        CHECK(std::isfinite(v));
      compare(seen(got.at("out")), seen(want.out), ref::kAttentionSegmentedCteRtol,
              ref::kAttentionSegmentedCteAtol);  // tp_out: (bs_q, d, Sq)
      compare(seen(neg_max), seen(*want.neg_max), ref::kAttentionCteRtol, ref::kAttentionCteAtol);
      compare(seen(got.at("sum_recip")), seen(*want.sum_recip), ref::kAttentionCteRtol,
              ref::kAttentionCteAtol);
    }
  }
}

TEST_CASE("attention_segmented_cte: the segment loops are synchronised for every stream interleaving") {
  const AttentionSegmentedCteParams p = small_params();
  const auto programs = build_attention_segmented_cte(p, kTrn2);
  const auto in = inputs_for(p, 160);
  const ref::HostTensor first = run(programs, p, in);
  for (const uint64_t seed : {3u, 11u}) {
    CAPTURE(seed);
    CHECK(run(programs, p, in, seed).data == first.data);
  }
}

TEST_CASE("attention_segmented_cte: bad runtime values stop the run naming the instruction and the value") {
  const AttentionSegmentedCteParams p = small_params();
  const auto programs = build_attention_segmented_cte(p, kTrn2);
  SUBCASE("prior_tokens not a multiple of block_size") {
    auto in = inputs_for(p, 64);
    in["prior_tokens"].data[0] = 72;
    const std::string e = run_error(programs, p, in);
    CHECK(e.find("reg_check") != std::string::npos);
    CHECK(e.find("attention_segmented_cte.cpp") != std::string::npos);
    CHECK(e.find("8") != std::string::npos);  // 72 % 16
  }
  SUBCASE("prior_tokens past what the block table holds, or negative") {
    for (const double bad : {272.0, -16.0}) {
      auto in = inputs_for(p, 64);
      in["prior_tokens"].data[0] = bad;
      const std::string e = run_error(programs, p, in);
      CHECK(e.find("reg_check") != std::string::npos);
      CHECK(e.find(std::to_string(int64_t(bad))) != std::string::npos);
    }
  }
  SUBCASE("a block index past the cache") {
    const auto in = inputs_for(p, 64, p.num_blocks + 2);
    const std::string e = run_error(programs, p, in);
    CHECK(e.find("dma_gather") != std::string::npos);
    CHECK(e.find("index " + std::to_string(p.num_blocks + 2)) != std::string::npos);
    CHECK(e.find("_cache") != std::string::npos);
  }
}

TEST_CASE("attention_segmented_cte rejects parameters outside the kernel's constraints") {
  auto rejects = [](auto change, const char* param) {
    AttentionSegmentedCteParams p = small_params();
    change(p);
    CAPTURE(param);
    try {
      check_attention_segmented_cte_params(p);
      FAIL("accepted");
    } catch (const KernelParamError& e) {
      CHECK(std::string(e.what()).find(std::string("attention_segmented_cte: ") + param + ":") == 0);
    }
  };
  rejects([](auto& p) { p.block_size = 24; }, "block_size");
  rejects([](auto& p) { p.block_size = 1024; }, "block_size");
  rejects([](auto& p) { p.seqlen_q = 200; }, "seqlen_q");
  rejects([](auto& p) { p.prior_seg_size = 72; }, "prior_seg_size");
  rejects([](auto& p) { p.num_q_heads = 3; }, "num_q_heads");
  rejects([](auto& p) { p.d = 256; }, "d");
  rejects([](auto& p) { p.max_blocks = 4; }, "max_blocks");
  rejects([](auto& p) { p.kv_dtype = DType::kFloat32; }, "kv_dtype");
  rejects([](auto& p) { p.scale = 0; }, "scale");
  rejects([](auto& p) { p.sliding_window = 24; }, "sliding_window");
  rejects([](auto& p) { p.lnc = 3; }, "lnc");
  // Defects issue item 6: max_blocks * block_size wrapped past 2^64 ((2^60 + 8) blocks of 16 = 2^64 + 128)
  // and slipped under the 2^24 rule; batch * num_q_heads could overflow before its 4096 rule.
  rejects([](auto& p) { p.max_blocks = (int64_t{1} << 60) + 8; }, "max_blocks");
  rejects(
      [](auto& p) {
        p.batch = int64_t{1} << 32;
        p.num_q_heads = int64_t{1} << 32;
        p.num_kv_heads = 1;
      },
      "batch");
  rejects([](auto& p) { p.num_blocks = int64_t{1} << 40; }, "num_blocks");
  rejects([](auto& p) { p.sliding_window = int64_t{1} << 60; }, "sliding_window");
  rejects(
      [](auto& p) {  // core 0's half of the odd head, 384 tokens, ends inside a block of 256
        p.lnc = 2;
        p.batch = 1;
        p.num_q_heads = 3;
        p.num_kv_heads = 1;
        p.seqlen_q = 768;
        p.block_size = 256;
        p.prior_seg_size = 512;
        p.max_blocks = 8;
      },
      "lnc");
  rejects(
      [](auto& p) {
        p.lnc = 2;
        p.kvp_offset = true;
      },
      "lnc");
  rejects(
      [](auto& p) {
        p.kvp_offset = true;
        p.sliding_window = 32;
      },
      "kvp_offset");
}

}  // namespace
}  // namespace tn::kernels
