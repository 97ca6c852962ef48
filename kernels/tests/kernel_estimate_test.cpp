// The kernels' instruction estimates (computed from the tiling loops' trip counts, before a run builds
// anything: tools/run_estimate.hpp) against the real counts of the programs they describe, over shapes
// that exercise each trip count: within the factor each estimate's header states.
#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <tuple>
#include <vector>

#include "kernels/attention_cte.hpp"
#include "kernels/attention_segmented_cte.hpp"
#include "kernels/kv_parallel_segmented_prefill.hpp"
#include "kernels/matmul.hpp"
#include "kernels/microbenchmark.hpp"
#include "kernels/ring_attention_spmd_fwd.hpp"

namespace tn::kernels {
namespace {

const isa::MemoryLimits kTrn2;

double instructions_of(const std::vector<isa::Program>& programs) {
  double n = 0;
  for (const isa::Program& p : programs)
    n += static_cast<double>(p.num_instructions());
  return n;
}

void check_within(const std::string& what, double estimate, double real, double factor) {
  INFO(what << ": estimate " << estimate << ", real " << real << ", ratio " << estimate / real);
  CHECK(real > 0);
  CHECK(estimate <= real * factor);
  CHECK(estimate >= real / factor);
}

AttentionCteParams attention(int64_t bs, int64_t sq, int64_t skv, int64_t d,
                             const std::function<void(AttentionCteParams&)>& more = {}) {
  AttentionCteParams p;
  p.bs = p.bs_kv = bs;
  p.seqlen_q = sq;
  p.seqlen_kv = skv;
  p.d = d;
  if (more)
    more(p);
  return p;
}

TEST_CASE("attention_cte instruction estimate: within 1.5x of the real count") {
  const std::vector<std::pair<std::string, AttentionCteParams>> cases = {
      {"512 causal", attention(1, 512, 512, 64)},
      {"2K causal bs 2", attention(2, 2048, 2048, 128)},
      {"4K non-causal", attention(1, 4096, 4096, 128, [](auto& p) { p.causal = false; })},
      {"1K x 8K non-causal", attention(1, 1024, 8192, 64, [](auto& p) { p.causal = false; })},
      {"12K causal (flash sections)", attention(1, 12288, 12288, 128)},
      {"16K causal lnc 2", attention(3, 16384, 16384, 64, [](auto& p) { p.lnc = 2; })},
      {"4K window 512", attention(1, 4096, 4096, 64,
                                  [](auto& p) {
                                    p.sliding_window = 512;
                                    p.scale = 1;
                                  })},
      {"2K + prior 1000", attention(1, 2048, 2048, 64, [](auto& p) { p.seqlen_prior = 1000; })},
      {"2K strided CP 4", attention(1, 2048, 8192, 64,
                                    [](auto& p) {
                                      p.global_cp_deg = 4;
                                      p.cp_strided_q_slicing = true;
                                    })},
      {"300 x 700 ragged", attention(1, 300, 700, 32)},
  };
  for (const auto& [name, p] : cases)
    check_within(name, attention_cte_instruction_estimate(p), instructions_of(build_attention_cte(p, kTrn2)),
                 1.5);
}

AttentionSegmentedCteParams segmented(int64_t heads, int64_t sq, int64_t seg, int64_t block,
                                      const std::function<void(AttentionSegmentedCteParams&)>& more = {}) {
  AttentionSegmentedCteParams p;
  p.num_q_heads = heads;
  p.num_kv_heads = 1;
  p.seqlen_q = sq;
  p.d = 64;
  p.block_size = block;
  p.prior_seg_size = seg;
  p.max_blocks = (4 * seg + sq) / block;
  p.num_blocks = p.max_blocks + 4;
  if (more)
    more(p);
  return p;
}

TEST_CASE("attention_segmented_cte instruction estimate: within 1.5x of the real count") {
  const std::vector<std::pair<std::string, AttentionSegmentedCteParams>> cases = {
      {"128 + 512 segments", segmented(1, 128, 512, 32)},
      {"512 + 2K segments, 4 heads", segmented(4, 512, 2048, 64)},
      {"2K + 512 segments", segmented(1, 2048, 512, 16)},
      {"1K + 4K segments lnc 2", segmented(2, 1024, 4096, 128, [](auto& p) { p.lnc = 2; })},
      {"512 kvp", segmented(2, 512, 1024, 32, [](auto& p) { p.kvp_offset = true; })},
  };
  for (const auto& [name, p] : cases) {
    check_within(name, attention_segmented_cte_instruction_estimate(p),
                 instructions_of(build_attention_segmented_cte(p, kTrn2)), 1.5);
  }
}

TEST_CASE("ring_attention_spmd_fwd and kv_parallel_segmented_prefill estimates: within 1.5x") {
  for (const auto& [workers, seqlen, causal, lnc] : std::vector<std::tuple<int64_t, int64_t, bool, int32_t>>{
           {2, 256, true, 1}, {4, 1024, false, 1}, {2, 2048, true, 2}, {8, 512, true, 1}}) {
    RingAttentionParams p;
    p.h = p.kv_heads = 2;
    p.seqlen = seqlen;
    p.d = 64;
    p.num_workers = workers;
    p.use_causal_mask = causal;
    p.lnc = lnc;
    check_within("ring " + std::to_string(workers) + " x " + std::to_string(seqlen),
                 ring_attention_instruction_estimate(p), instructions_of(build_ring_attention(p, kTrn2)),
                 1.5);
  }
  for (const auto& [group, seqlen, seg, lnc] : std::vector<std::tuple<int64_t, int64_t, int64_t, int32_t>>{
           {2, 512, 256, 1}, {4, 2048, 512, 2}, {1, 4096, 2048, 1}}) {
    KvParallelPrefillParams p;
    p.group_size = group;
    p.lnc = lnc;
    p.seqlen = seqlen;
    p.d = 64;
    p.block_size = 64;
    p.seg_size = seg;
    p.num_blocks = 2 * seqlen / 64;
    check_within("kv parallel " + std::to_string(group) + " x " + std::to_string(seqlen),
                 kv_parallel_prefill_instruction_estimate(p),
                 instructions_of(build_kv_parallel_prefill(p, kTrn2)), 1.5);
  }
}

TEST_CASE("matmul instruction estimate: the real count") {
  for (const MatmulParams& p :
       {MatmulParams{128, 128, 512}, MatmulParams{256, 1024, 1536}, MatmulParams{1024, 512, 4096}}) {
    check_within(std::to_string(p.m) + "x" + std::to_string(p.k) + "x" + std::to_string(p.n),
                 matmul_instruction_estimate(p), instructions_of({build_matmul(p, kTrn2)}), 1.0);
  }
}

TEST_CASE("microbenchmark instruction estimate: the real count") {
  for (const MicrobenchKind kind : {MicrobenchKind::kScalarChain, MicrobenchKind::kVectorIndependent,
                                    MicrobenchKind::kGpSimdIndependent, MicrobenchKind::kDmaStream}) {
    const MicrobenchmarkParams p{kind, 100, 128, 512, DType::kFloat32};
    check_within(std::string(microbench_kind_name(kind)), microbenchmark_instruction_estimate(p),
                 instructions_of({build_microbenchmark(p, kTrn2)}), 1.0);
  }
}

}  // namespace
}  // namespace tn::kernels
