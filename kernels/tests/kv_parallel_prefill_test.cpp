// kv_parallel_segmented_prefill across ranks (functional) against the float64 reference of kernels.md §4.1,
// with the kernel tests' data (randn, seed 42, bf16; one KV head; sequential block tables) and tolerance
// (max-mode, rtol 5e-2, atol 1e-2). Cases cover LNC1/LNC2, chunks whose queries precede some ranks' whole
// shards (zero merge weight), a global Q offset, prior segments inside a rank and tp_out.
#include <doctest/doctest.h>

#include "kernels/kv_parallel_prefill_reference_params.hpp"
#include "kernels/kv_parallel_segmented_prefill.hpp"
#include "kernels/reference/dtype_rounding.hpp"
#include "kernels/reference/max_all_close.hpp"
#include "kernels/reference/numpy_random.hpp"
#include "kernels/tests/kernel_harness.hpp"
#include "sim/func/executor.hpp"

namespace tn::kernels {
namespace {

using test::HarnessTensor;

const isa::MemoryLimits kTrn2;
constexpr double kRtol = 5e-2, kAtol = 1e-2;  // kernels.md §4.3

KvParallelPrefillParams params(int64_t group, int32_t lnc, int64_t seqlen, int64_t seg, int64_t num_blocks,
                               int64_t offset) {
  KvParallelPrefillParams p;
  p.group_size = group;
  p.lnc = lnc;
  p.seqlen = seqlen;
  p.d = 64;
  p.block_size = 32;
  p.seg_size = seg;
  p.num_blocks = num_blocks;
  p.global_q_offset = offset;
  p.scale = 0.125;
  return p;
}

// Draws the group's q, K and V (randn, seed 42, bf16), gives rank r its heads, shard, sequential table and
// kvp_offset = -r L + global_q_offset; runs every rank; compares each rank's out with the reference.
void check_against_reference(const KvParallelPrefillParams& p) {
  const int64_t R = p.ranks(), S = p.seqlen, D = p.d, L = p.local_kv_len();
  ref::NumpyLegacyRandom rng(42);
  const auto draw = [&](std::vector<int64_t> shape) {
    ref::HostTensor t{shape, rng.standard_normal(size_t(ref::HostTensor::numel_of(shape)))};
    return ref::rounded_to(std::move(t), DType::kBFloat16);
  };
  const ref::HostTensor q = draw({p.group_size, S, D}), k = draw({R * p.num_blocks, 1, p.block_size, D}),
                        v = draw({R * p.num_blocks, 1, p.block_size, D});
  std::vector<std::map<std::string, ref::HostTensor>> in(static_cast<size_t>(R));
  const int64_t q_rank = p.lnc * S * D, kv_rank = p.num_blocks * p.block_size * D;
  for (int64_t r = 0; r < R; ++r) {
    auto& m = in[size_t(r)];
    m["q"] = {{p.lnc, S, D}, {q.data.begin() + r * q_rank, q.data.begin() + (r + 1) * q_rank}};
    m["k_cache"] = {{p.num_blocks, 1, p.block_size, D},
                    {k.data.begin() + r * kv_rank, k.data.begin() + (r + 1) * kv_rank}};
    m["v_cache"] = {{p.num_blocks, 1, p.block_size, D},
                    {v.data.begin() + r * kv_rank, v.data.begin() + (r + 1) * kv_rank}};
    m["block_tables"] = ref::HostTensor::zeros({1, p.num_blocks});
    for (int64_t b = 0; b < p.num_blocks; ++b)
      m["block_tables"].data[size_t(b)] = double(b);
    m["kvp_offset"] = {{1, 1}, {double(-r * L + p.global_q_offset)}};
  }
  std::vector<HarnessTensor> decls, outs;
  for (const KernelTensor& t : kv_parallel_prefill_inputs(p))
    decls.push_back({t.name, t.dtype, t.shape});
  for (const KernelTensor& t : kv_parallel_prefill_outputs(p))
    outs.push_back({t.name, t.dtype, t.shape});
  const auto got = test::run_functional_ranks(build_kv_parallel_prefill(p, kTrn2), in, decls, outs, kTrn2);
  const auto want = kv_parallel_prefill_reference_for(p, in);
  for (int64_t r = 0; r < R; ++r) {
    CAPTURE(r);
    const auto c =
        ref::max_all_close(got[size_t(r)].at("out"), ref::rounded_to(want[size_t(r)], p.dtype), kRtol, kAtol);
    INFO(c.description);
    CHECK(c.passed);
  }
}

TEST_CASE("kv_parallel_segmented_prefill: 4 ranks of LNC1, the first chunk blind to ranks 1-3") {
  // L = 256: chunk 0's queries (positions 0..127) see rank 0 only; chunk 1 (128..255) also rank 0 only.
  check_against_reference(params(4, 1, 256, 128, 8, 0));
}

TEST_CASE("kv_parallel_segmented_prefill: LNC2 ranks, a global Q offset reaching into later shards") {
  // 2 ranks of 2 cores (4 heads); L = 384 = 3 segments; queries at 512.. see rank 0 whole and part of rank 1.
  check_against_reference(params(4, 2, 256, 128, 12, 512));
}

TEST_CASE("kv_parallel_segmented_prefill: prior segments inside a rank, tp_out, a larger scale") {
  KvParallelPrefillParams p = params(2, 1, 256, 128, 16, 256);  // L = 512: chunk 1's prior is 384 tokens
  p.tp_out = true;
  p.scale = 2.0;  // scores sharper than 1/sqrt(d): a wrong mask shows
  check_against_reference(p);
}

TEST_CASE("kv_parallel_segmented_prefill: the documented assertions are refused by name") {
  const auto refused = [](KvParallelPrefillParams p, const char* what) {
    CAPTURE(what);
    CHECK_THROWS_WITH_AS(build_kv_parallel_prefill(p, kTrn2), doctest::Contains(what), KernelParamError);
  };
  KvParallelPrefillParams p = params(4, 1, 256, 128, 8, 0);
  p.seqlen = 200;
  refused(p, "seqlen: must be a positive multiple of seg_size");
  p = params(3, 2, 256, 128, 8, 0);
  refused(p, "group_size: must be a positive multiple of lnc");
  p = params(4, 1, 256, 128, 2, 0);
  refused(p, "num_blocks: local_kv_len (64) must hold a seg_size (128) segment");
  p = params(4, 1, 256, 128, 8, 48);
  refused(p, "global_q_offset: must be a non-negative multiple of block_size");
  p = params(4, 1, 256, 128, 8, 0);
  p.block_size = 24;
  refused(p, "block_size: must be a power of two");
  p = params(4, 1, 256, 100, 8, 0);
  refused(p, "seg_size: must be a multiple of 128");
}

}  // namespace
}  // namespace tn::kernels
