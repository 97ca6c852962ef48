// attention_cte (nkilib.core.attention.attention_cte): prefill attention, generated as per-engine
// instruction streams with the real kernel's structure (kernels.md §1.4-§1.8): Q groups of 128, K tiles
// of 512, V tiles of 128, large tiles of 2048, flash sections of 8K past 10K keys, online softmax,
// static compute skipping, the three-stage software pipeline across Q groups, and LNC2 sharding.
#pragma once
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "isa/program.hpp"
#include "isa/validator.hpp"

namespace tn::kernels {

struct AttentionCteParams {
  int64_t bs = 1, bs_kv = 1;
  int64_t seqlen_q = 0, seqlen_kv = 0;
  int64_t d = 0;
  DType dtype = DType::kBFloat16;  // q, k, v and output dtype
  double scale = 1.0;
  bool causal = true;
  bool tp_q = true, tp_k = false, tp_out = false;
  int32_t lnc = 1;  // logical NeuronCore size: programs for 1 or 2 physical cores

  int64_t sliding_window = 0;  // W > 0: key j hidden from query i when kv_pos[j] <= q_pos[i] - W
  // Prefix caching: k_prior / v_prior hold seqlen_prior rows; the runtime input prior_used_len (1,) says
  // how many are used. 0 = no prefix caching.
  int64_t seqlen_prior = 0;
  bool sink = false;  // runtime input sink (bs, 1) fp32: an extra logit per batch row
  // Context parallelism: global_cp_deg > 1 with the runtime input cp_offset (1, 1).
  int64_t global_cp_deg = 1;
  bool cp_strided_q_slicing = false;
  // Striped CP input (kernels.md §1.9, the ring's newer flag): rank r holds global positions i*D + r of Q, K
  // and V, and the caller passes cp_offset 0 (q rank >= kv rank) or -1, so the mask is the contiguous
  // formula k <= i + cp_offset while static causal skipping stays on.
  bool cp_striped_input = false;
  DType cp_offset_dtype = DType::kInt32;  // the cp_offset tensor: int32 (the tests) or float32 (the ring)
  // The public kernel asserts global_cp_deg <= 32 (kernels.md §1.3). A caller whose positions stay exact in
  // fp32 at a larger degree (the ring: contiguous offsets (my - src) * Sq or striped 0 / -1, never scaled by
  // the degree) raises it.
  int64_t max_cp_deg = 32;
  bool cache_softmax = false;  // also return out_neg_max and out_sum_recip, (bs, 128, ceil(Sq/128))
  // With cache_softmax (kernels.md §1.9): `out` is the unnormalised sum_j exp(s_ij - m_i) v_j and the third
  // result is the raw sum S (out_sum) instead of 1 / S (out_sum_recip), for a caller that merges partials.
  bool skip_output_normalization = false;
  DType softmax_dtype = DType::kFloat32;
  DType mm_out_dtype = DType::kFloat32;
  bool sequence_packing = false;  // runtime inputs bound_min / bound_max (Sq, 1) fp32

  bool has_prior() const { return seqlen_prior > 0; }
  bool has_cp() const { return global_cp_deg > 1; }
  // The name of the third result: the raw sum or its reciprocal.
  const char* sum_output_name() const { return skip_output_normalization ? "out_sum" : "out_sum_recip"; }
};

// The key axis the kernel loads (kernels.md §1.4): the prior rows padded to 512, then the active keys,
// split into 8K flash sections past 10K keys. For contiguous CP with a sliding window the real kernel loads
// only a window of the active keys (seqlen_k_active_updated); trnsim loads all of them there (same numbers,
// more traffic), which `windowed = false` describes.
struct AttentionCteKvLayout {
  int64_t prior_pad = 0;     // prior rows rounded up to 512: every K tile is all prior or all active
  int64_t active = 0;        // active keys loaded
  int64_t total = 0;         // prior_pad + active (the cases' kv_len_loaded_incl_prior_pad)
  int64_t section_len = 0;   // 8192 past the flash threshold, else total
  int64_t num_sections = 0;  // the cases' num_kv_sections
};
AttentionCteKvLayout attention_cte_kv_layout(const AttentionCteParams& p, bool windowed = true);

// An HBM tensor the kernel takes or returns.
struct KernelTensor {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
};

// The kernel's arguments in the order the NKI tests draw random inputs (kernels.md §2.2: q, k, v, then
// k_prior, v_prior), followed by the runtime values (prior_used_len, sink, cp_offset, bound_min,
// bound_max) that are present; and its results (out, then out_neg_max and out_sum_recip or out_sum).
std::vector<KernelTensor> attention_cte_inputs(const AttentionCteParams& p);
std::vector<KernelTensor> attention_cte_outputs(const AttentionCteParams& p);

// A parameter outside the kernel's constraints (kernels.md §1.3); the message names the parameter and rule.
class KernelParamError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

void check_attention_cte_params(const AttentionCteParams& p);

// The instructions build_attention_cte emits over all its cores, estimated from the tiling loops' trip
// counts without building anything (a run's memory and time are judged from it before the build,
// tools/run_estimate.hpp): per batch, each section's K/V tile loads, and per Q group with compute in a
// section a fixed cost plus a cost per 512-key tile the static skipping leaves visible. Within a factor
// of 1.5 of the real count (kernels/tests/attention_cte_estimate_test.cpp checks several shapes).
double attention_cte_instruction_estimate(const AttentionCteParams& p);

// One Program per physical core (lnc of them), over the HBM tensors of attention_cte_inputs/outputs.
std::vector<isa::Program> build_attention_cte(const AttentionCteParams& p, const isa::MemoryLimits& limits);

class ProgramBuilder;

// The kernel as a sub-kernel on a caller's builder (ring_attention_spmd_fwd calls it per ring step): its
// inputs and outputs bound by API name (attention_cte_inputs / _outputs, those dtypes and shapes), core
// `core`'s share of an LNC2 launch, its SBUF and PSUM released when it returns. Any number of calls.
void attention_cte_subkernel(ProgramBuilder& b, const AttentionCteParams& p, int32_t core,
                             const std::map<std::string, int32_t>& tensors);

// The part of the work core `core` of an LNC launch does (kernels.md §1.8): whole batches
// [batch_begin, batch_end), and of batch split_batch (or -1) the Q groups [group_begin, group_end). A caller
// that post-processes the kernel's outputs per core (the ring's reduction) takes the same share, so that
// each core reads only what it wrote.
struct AttentionCteShare {
  int64_t batch_begin = 0, batch_end = 0;
  int64_t split_batch = -1;
  int64_t group_begin = 0, group_end = 0;
};
AttentionCteShare attention_cte_share(const AttentionCteParams& p, int32_t core);

// Shapes of the HBM tensors per the API doc's layouts (kernels.md §1.1).
std::vector<int64_t> attention_cte_q_shape(const AttentionCteParams& p);
std::vector<int64_t> attention_cte_k_shape(const AttentionCteParams& p);
std::vector<int64_t> attention_cte_v_shape(const AttentionCteParams& p);
std::vector<int64_t> attention_cte_out_shape(const AttentionCteParams& p);

}  // namespace tn::kernels
