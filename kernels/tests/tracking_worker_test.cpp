// The tracking worker (kernels/builder/tracking_worker.hpp) builds the same programs as the builder tracking
// every instruction itself, for every kernel (runtime loops, regions, collectives, core barriers and LNC2
// included); its errors reach the builder's caller; a builder dropped mid-build stops it.
#include "kernels/builder/tracking_worker.hpp"

#include <doctest/doctest.h>

#include <stdexcept>

#include "kernels/attention_cte.hpp"
#include "kernels/attention_segmented_cte.hpp"
#include "kernels/builder/program_builder.hpp"
#include "kernels/kv_parallel_segmented_prefill.hpp"
#include "kernels/ring_attention_spmd_fwd.hpp"

namespace tn::kernels {
namespace {

const isa::MemoryLimits kTrn2;

// Builds with the worker taking over after `threshold` instructions (negative: never), then restores the
// default.
template <class Build>
std::vector<isa::Program> built_with(int64_t threshold, Build build) {
  set_tracking_worker_threshold(threshold);
  try {
    auto programs = build();
    set_tracking_worker_threshold(kDefaultTrackingWorkerThreshold);
    return programs;
  } catch (...) {
    set_tracking_worker_threshold(kDefaultTrackingWorkerThreshold);
    throw;
  }
}

// Equal programs built alone and with the worker from the first instruction and from part-way through.
template <class Build>
void check_same_programs(Build build) {
  const std::vector<isa::Program> alone = built_with(-1, build);
  size_t instructions = 0;
  for (const auto& p : alone)
    instructions += p.num_instructions();
  REQUIRE(instructions > 2 * 1024);  // more than a batch: the worker hands over while the generator goes on
  for (const int64_t threshold : {int64_t{0}, int64_t(instructions / 3)}) {
    CAPTURE(threshold);
    const std::vector<isa::Program> with_worker = built_with(threshold, build);
    REQUIRE(with_worker.size() == alone.size());
    for (size_t c = 0; c < alone.size(); ++c)
      CHECK(with_worker[c] == alone[c]);
  }
}

TEST_CASE("tracking worker: attention_cte, causal with prefix caching and a sliding window, LNC1 and LNC2") {
  for (const int32_t lnc : {1, 2}) {
    AttentionCteParams p;
    p.bs = p.bs_kv = 2;
    p.seqlen_q = p.seqlen_kv = 4096;
    p.d = 64;  // scale 1: the masks of prefix caching and a window want Q pre-scaled
    p.seqlen_prior = 256;
    p.sliding_window = 300;
    p.lnc = lnc;
    CAPTURE(lnc);
    check_same_programs([&] { return build_attention_cte(p, kTrn2); });
  }
}

TEST_CASE("tracking worker: attention_segmented_cte (runtime loops)") {
  AttentionSegmentedCteParams p;
  p.batch = 2;
  p.num_q_heads = 4;
  p.num_kv_heads = 2;
  p.seqlen_q = 256;
  p.d = 64;
  p.block_size = 16;
  p.prior_seg_size = 128;
  p.max_blocks = 64;
  p.num_blocks = 2 * 64 + 5;
  p.scale = 0.25;
  check_same_programs([&] { return build_attention_segmented_cte(p, kTrn2); });
}

TEST_CASE("tracking worker: kv_parallel_segmented_prefill, LNC2") {
  KvParallelPrefillParams p;
  p.group_size = 2;
  p.lnc = 2;
  p.seqlen = 512;
  p.d = 64;
  p.block_size = 32;
  p.seg_size = 128;
  p.num_blocks = 32;
  p.global_q_offset = 512;
  p.scale = 0.125;
  check_same_programs([&] { return build_kv_parallel_prefill(p, kTrn2); });
}

TEST_CASE("tracking worker: ring_attention_spmd_fwd (regions, collectives after a sub-kernel)") {
  RingAttentionParams p;
  p.seqlen = 4096;
  p.d = 64;
  p.num_workers = 4;
  p.use_causal_mask = true;
  p.training = true;
  check_same_programs([&] { return build_ring_attention(p, kTrn2); });
}

TEST_CASE("tracking worker: an error while tracking reaches the next submit or drain, in order") {
  int tracked = 0;
  TrackingWorker w([&](const PendingAppend& p, std::span<const Access>) {
    if (p.stream == 7)
      throw std::runtime_error("stream 7");
    ++tracked;
  });
  const isa::OpRef op;
  for (int i = 0; i < 10; ++i)
    w.submit(i == 5 ? 7 : 0, op, {}, {});
  CHECK_THROWS_WITH(w.drain(), "stream 7");
  CHECK(tracked == 5);  // the ones before it, and nothing after
  CHECK_THROWS_WITH(w.drain(), "stream 7");
}

TEST_CASE("tracking worker: a builder dropped part-way (the kernel threw) stops its worker") {
  set_tracking_worker_threshold(0);
  {
    ProgramBuilder b("dropped", kTrn2);
    const int32_t x = b.hbm_tensor("x", DType::kFloat32, {128, 64}, isa::TensorKind::kInput);
    const AccessPattern a = b.sbuf("a", DType::kFloat32, 128, {64}).ap;
    const int32_t q = b.dma_queue("qSyncIO0");
    for (int i = 0; i < 5000; ++i)
      b.dma_copy(q, a, isa::hbm_ap(x, DType::kFloat32, 0, {64, 128}, {{1, 64}}));
    CHECK_THROWS_AS(b.sbuf("too big", DType::kFloat32, 128, {1 << 20}), AllocationError);
  }  // destroyed with batches in flight: joins, no crash
  set_tracking_worker_threshold(kDefaultTrackingWorkerThreshold);
}

}  // namespace
}  // namespace tn::kernels
