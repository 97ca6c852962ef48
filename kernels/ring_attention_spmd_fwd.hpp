// ring_attention_spmd_fwd (seed API doc 004; kernels.md §5): context-parallel attention around a ring of N
// ranks. Each rank keeps its Q and passes K and V on: step 0 attends to its own K/V, step s to the K/V of
// ring position (my - s) mod N, received by a collective_permute issued one step ahead so that it overlaps
// compute. Every step is attention_cte as a sub-kernel (unnormalised output, -max and raw sum, causal offset
// read from HBM), merged into the running result by an online-softmax correction through HBM; the last
// step's result is normalised (and its log-sum-exp written when training). Per rank and core
// (kernels.md §5.2):
//   setup      (causal) iota [0..N) into a table, the rank's ring position by current_processing_rank_id,
//              read back through a register-offset DMA of the table and broadcast over 128 partitions;
//   step 0     cp_offset 0; attention_cte(q, k, v) -> o_prev, neg_max_prev, sum_prev; k, v copied into the
//              send buffers (each core its batches); core_barrier (LNC2); the first permute (k on CC-core
//              0, v on CC-core 1);
//   step s     cp_offset from the source position (contiguous (my - src) * S, striped -(my < src));
//              attention_cte(q, recv_k, recv_v) -> o_cur; the buffers swap roles; the next permute (if any);
//              the tiled reduction of o_cur into o_prev (kernels.md §5.3);
//   normalise  out = o_prev / sum_prev; lse = -neg_max + log(sum) when training.
// Where trnsim departs from the kernel read (kernels.md §5, upstream @092a49dc), and why:
// - cp_offset and the rank table are private to each core: the kernel's shared (1, 1) cp_offset is
//   rewritten by both cores of an LNC2 rank every step with nothing ordering one core's write of step s + 1
//   after the other core's read of step s.
// - Each core reduces and normalises exactly the share attention_cte gave it (attention_cte_share), which
//   for an odd batch at seqlen < 1024 is core 0's whole batch, not a 0.5 split, and loads only that share's
//   statistics (the kernel loads a whole batch's, part of which the other core may still be writing).
// - The current step's outputs alternate between two HBM sets rather than one per step.
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "isa/program.hpp"
#include "isa/validator.hpp"
#include "kernels/attention_cte.hpp"

namespace tn::kernels {

struct RingAttentionParams {
  int64_t b = 1, h = 1;
  int64_t kv_heads = 1;  // k's and v's heads: MHA only, so it must equal h
  int64_t seqlen = 0;    // S: tokens per rank
  int64_t d = 0;
  DType dtype = DType::kBFloat16;  // q, k, v and out
  int64_t num_workers = 1;         // N: ranks per ring
  // The rings: rows of num_workers global ranks; empty = one ring of ranks 0..N-1.
  isa::ReplicaGroup replica_groups;
  std::optional<double> softmax_scale;  // default 1/sqrt(d); causal runs take 1.0 (q comes pre-scaled)
  bool use_causal_mask = false;
  bool striped_input = false;
  bool training = false;
  DType lse_dtype = DType::kFloat32;
  bool tp_q = false, tp_k = false;  // true: [b, h, S, d]; false: pre-transposed [b, h, d, S]
  int32_t lnc = 1;
  int32_t neuron_core_version = 3;  // of the hardware it runs on: trn1 (v2) is refused

  int64_t bs() const { return b * h; }
  int64_t groups() const { return seqlen / 128; }
  // The scale attention_cte applies: 1 when causal (kernels.md §5.1), else softmax_scale or 1/sqrt(d).
  double attention_scale() const;
  // The rings as the program holds them (replica_groups, or the default single ring).
  isa::ReplicaGroup rings() const;
  // Every step's attention_cte call.
  AttentionCteParams step_params() const;
};

// Per rank: q, k (shapes by tp_q / tp_k), v [b, h, S, d]; out [b, h, S, d] and, when training,
// lse [b, h, 128, S / 128] in lse_dtype.
std::vector<KernelTensor> ring_attention_inputs(const RingAttentionParams& p);
std::vector<KernelTensor> ring_attention_outputs(const RingAttentionParams& p);

void check_ring_attention_params(const RingAttentionParams& p);

// The instructions of one rank's programs (every rank runs the same), estimated without building
// (tools/run_estimate.hpp): per ring step the attention_cte call (attention_cte_instruction_estimate) and
// the merge of its partial result, per 128-token tile of every head. Within a factor of 1.5 of the real
// count (kernels/tests/kernel_estimate_test.cpp).
double ring_attention_instruction_estimate(const RingAttentionParams& p);

// One program per core of a rank; every rank of every ring runs them.
std::vector<isa::Program> build_ring_attention(const RingAttentionParams& p, const isa::MemoryLimits& limits);

}  // namespace tn::kernels
