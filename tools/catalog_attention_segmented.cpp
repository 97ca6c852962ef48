// attention_segmented_cte in the CLI: its run-config parameters, the block tables and runtime values a run
// feeds it, its float64 reference (kernels.md §3.1) and tolerances (§3.6).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "kernels/attention_segmented_cte.hpp"
#include "kernels/attention_segmented_cte_reference_params.hpp"
#include "kernels/reference/max_all_close.hpp"
#include "kernels/reference/numpy_random.hpp"
#include "tools/catalog_entries.hpp"

namespace tn::cli {

namespace {

constexpr int64_t kTwo24 = int64_t{1} << 24;  // the block table holds at most 2^24 tokens (kernels.md §3.1)

// The kernel's own rules quoted are check_attention_segmented_cte_params's (kernels.md §3.1).
const KernelParamTable kTable{
    "attention_segmented_cte",
    "attention over a paged KV cache (block tables), prior segment by segment, then the active tokens "
    "(kernels.md §3)",
    {
        ParamSpec::integer("batch").defaults(1).within({1, 4096}).about(
            "sequences; batch * num_q_heads <= 4096"),
        ParamSpec::integer("num_q_heads").defaults(1).within({1, 4096}).about("a multiple of num_kv_heads"),
        ParamSpec::integer("num_kv_heads").defaults(1).within({1, 4096}).about("KV heads (grouped)"),
        ParamSpec::integer("seqlen_q")
            .within({1, kTwo24})
            .about("active tokens per sequence: a multiple of 128 and of block_size"),
        ParamSpec::integer("d").about("head dimension (1..128)"),
        ParamSpec::integer("block_size")
            .within({1, 512})
            .about("tokens per cache block: a power of two dividing 512"),
        ParamSpec::integer("prior_seg_size")
            .about("prior tokens per segment: a positive multiple of block_size"),
        ParamSpec::integer("prior_tokens")
            .defaults(0)
            .within({0, kTwo24})
            .about("the runtime prior length P, a multiple of block_size (an int32 input)"),
        ParamSpec::integer("max_blocks")
            .derived_from("(prior_tokens + seqlen_q) / block_size")
            .within({1, kTwo24})
            .about("block table columns; max_blocks * block_size < 2^24"),
        ParamSpec::choice("block_order", {"sequential", "shuffled"})
            .defaults("sequential")
            .about("the block table: b * max_blocks + i (as the kernel's tests), or a seeded shuffle of the "
                   "cache"),
        ParamSpec::integer("num_blocks")
            .derived_from("batch * max_blocks (shuffled: batch * the blocks used)")
            .within({1, kInt32Range.max})
            .about("blocks in the cache"),
        ParamSpec::integer("table_padding")
            .defaults(-1)
            .about("the table entries past the used ones: -1 (skipped by the gathers) or 0"),
        ParamSpec::dtype("dtype").defaults("bfloat16").about("q and out: bfloat16"),
        ParamSpec::dtype("kv_dtype")
            .derived_from("dtype")
            .about("the caches: bfloat16, float8_e4m3 or float8_e5m2"),
        ParamSpec::number("scale").defaults(1.0).about("softmax scale, positive and finite"),
        ParamSpec::boolean("tp_q").defaults(true).about(
            "true: q is (batch * num_q_heads, seqlen_q, d); false: (.., d, seqlen_q)"),
        ParamSpec::boolean("tp_out").defaults(false).about(
            "true: out is (batch * num_q_heads, d, seqlen_q); false: (.., seqlen_q, d)"),
        ParamSpec::number("sink").unset_by_default().about(
            "a sink logit (every row), an fp32 input; unset: none"),
        ParamSpec::boolean("k_pre_transposed")
            .defaults(false)
            .about("k_cache stored (blocks * kv heads, d, block_size)"),
        ParamSpec::number("k_scale").unset_by_default().about(
            "fp8 caches' dequantisation scales, with v_scale"),
        ParamSpec::number("v_scale").unset_by_default().about("see k_scale: both or neither"),
        ParamSpec::integer("sliding_window")
            .defaults(0)
            .about("0 (none) or a positive multiple of block_size"),
        ParamSpec::integer("kvp_offset")
            .derived_from("prior_tokens")
            .within(kInt32Range)
            .about("KV-parallel mode (given: on): key j visible to query i iff j <= i + kvp_offset; no "
                   "window, lnc 1"),
        ParamSpec::integer("lnc")
            .defaults(1)
            .within(kInt32Range)
            .about("logical NeuronCore: 1 or 2 physical cores"),
    },
    {{"seqlen_q", 256},
     {"d", 64},
     {"block_size", 32},
     {"prior_seg_size", 256},
     {"prior_tokens", 256},
     {"scale", 0.125}}};

// The block table: sequence b uses (P + Sq) / block_size distinct cache blocks, in table order either
// b * max_blocks + i ("sequential", as the kernel's tests) or a seeded shuffle of all cache blocks
// ("shuffled"); the entries past them hold `padding` (-1, skipped by the kernel's gathers, or 0).
std::vector<double> block_table_values(const kernels::AttentionSegmentedCteParams& a, int64_t used,
                                       bool shuffled, int64_t padding) {
  std::vector<int64_t> ids(static_cast<size_t>(a.num_blocks));
  std::iota(ids.begin(), ids.end(), 0);
  if (shuffled) {
    // Fisher-Yates driven by its own generator (seed 7), so q/k/v draws are unchanged.
    ref::NumpyLegacyRandom rs(7);
    for (size_t i = ids.size(); i > 1; --i)
      std::swap(ids[i - 1], ids[static_cast<size_t>(rs.random_sample() * static_cast<double>(i))]);
  }
  std::vector<double> table(static_cast<size_t>(a.batch * a.max_blocks), static_cast<double>(padding));
  for (int64_t b = 0; b < a.batch; ++b) {
    for (int64_t i = 0; i < used; ++i) {
      const int64_t slot = shuffled ? b * used + i : b * a.max_blocks + i;
      table[static_cast<size_t>(b * a.max_blocks + i)] = static_cast<double>(ids[static_cast<size_t>(slot)]);
    }
  }
  return table;
}

}  // namespace

const KernelParamTable& attention_segmented_cte_params() { return kTable; }

KernelSetup setup_attention_segmented_cte(const ParamReader& r, const KernelContext& context) {
  const JsonObject& p = r.object();
  kernels::AttentionSegmentedCteParams a;
  // The kernel checks its own parameters (check_attention_segmented_cte_params); the table's ranges bound
  // what this function computes before that (table sizes) and the values of int32 tensors.
  a.batch = r.get_int("batch");
  a.num_q_heads = r.get_int("num_q_heads");
  a.num_kv_heads = r.get_int("num_kv_heads");
  a.seqlen_q = r.get_int("seqlen_q");
  a.d = r.get_int("d");
  a.block_size = r.get_int("block_size");
  a.prior_seg_size = r.get_int("prior_seg_size");
  const int64_t prior_tokens = r.get_int("prior_tokens");
  if (prior_tokens % a.block_size != 0)
    p.fail("prior_tokens", "must be a non-negative multiple of block_size (kernels.md §3.1)");
  const int64_t used = (prior_tokens + a.seqlen_q) / a.block_size;  // table entries this run reads
  a.max_blocks = r.get_int("max_blocks", used);
  if (a.max_blocks < used) {
    p.fail("max_blocks", "the table holds " + std::to_string(a.max_blocks) +
                             " blocks; prior_tokens + seqlen_q needs " + std::to_string(used));
  }
  const std::string order = r.get_choice("block_order");
  const bool shuffled = order == "shuffled";
  a.num_blocks = r.get_int("num_blocks", a.batch * (shuffled ? used : a.max_blocks));
  const int64_t needed = shuffled ? a.batch * used : (a.batch - 1) * a.max_blocks + used;
  if (a.num_blocks < needed) {
    p.fail("num_blocks", "the cache holds " + std::to_string(a.num_blocks) + " blocks; the " + order +
                             " block table needs " + std::to_string(needed));
  }
  const int64_t padding = r.get_int("table_padding");
  if (padding != -1 && padding != 0)
    p.fail("table_padding", "expected -1 (skipped by the kernel's gathers) or 0");
  a.dtype = r.get_dtype("dtype");
  a.kv_dtype = r.get_dtype("kv_dtype", a.dtype);
  a.scale = r.get_number("scale");
  a.tp_q = r.get_bool("tp_q");
  a.tp_out = r.get_bool("tp_out");
  a.k_pre_transposed = r.get_bool("k_pre_transposed");
  std::optional<double> sink;
  if (r.has("sink")) {
    sink = r.get_number("sink");
    a.sink = true;
  }
  if (r.has("k_scale") != r.has("v_scale"))
    p.fail(r.has("k_scale") ? "v_scale" : "k_scale", "k_scale and v_scale come together (or neither)");
  const double k_scale = r.has("k_scale") ? r.get_number("k_scale") : 1.0,
               v_scale = r.has("v_scale") ? r.get_number("v_scale") : 1.0;
  a.kv_scales = r.has("k_scale");
  a.sliding_window = r.get_int("sliding_window");
  a.kvp_offset = r.has("kvp_offset");
  const int64_t kvp_offset = r.get_int("kvp_offset", prior_tokens);
  if (a.kvp_offset && !sink && kvp_offset < 0) {
    // Queries i < -kvp_offset would see no key: the reference's softmax is undefined there (the kernel's
    // statistics give such rows no weight in a merge; kernels/tests checks that).
    p.fail("kvp_offset", "must be >= 0 unless a sink is given (query 0 must see some key)");
  }
  a.lnc = static_cast<int32_t>(r.get_int("lnc"));

  KernelSetup s;
  s.kernel = "attention_segmented_cte";
  s.params = {{"batch", a.batch},
              {"num_q_heads", a.num_q_heads},
              {"num_kv_heads", a.num_kv_heads},
              {"seqlen_q", a.seqlen_q},
              {"d", a.d},
              {"block_size", a.block_size},
              {"prior_seg_size", a.prior_seg_size},
              {"num_blocks", a.num_blocks},
              {"max_blocks", a.max_blocks},
              {"prior_tokens", prior_tokens},
              {"dtype", dtype_name(a.dtype)},
              {"kv_dtype", dtype_name(a.kv_dtype)},
              {"scale", a.scale},
              {"tp_q", a.tp_q},
              {"tp_out", a.tp_out},
              {"sink", sink ? nlohmann::json(*sink) : nlohmann::json()},
              {"k_pre_transposed", a.k_pre_transposed},
              {"k_scale", a.kv_scales ? nlohmann::json(k_scale) : nlohmann::json()},
              {"v_scale", a.kv_scales ? nlohmann::json(v_scale) : nlohmann::json()},
              {"block_order", order},
              {"table_padding", padding},
              {"kvp_offset", a.kvp_offset ? nlohmann::json(kvp_offset) : nlohmann::json()},
              {"lnc", a.lnc}};
  try {
    kernels::check_attention_segmented_cte_params(a);
  } catch (const kernels::KernelParamError& e) {
    throw kernel_param_error(r, e.what(), "attention_segmented_cte: ");
  }

  for (const kernels::KernelTensor& t : kernels::attention_segmented_cte_inputs(a)) {
    TensorInfo info{t.name, t.dtype, t.shape};  // q, k_cache, v_cache: uniform [0, 1) (kernels.md §3.6)
    if (t.name == "block_tables") {
      info.fill = InputFill::kValues;
      info.values = block_table_values(a, used, shuffled, padding);
    } else if (t.name == "prior_tokens" || t.name == "kvp_offset") {
      info.fill = InputFill::kValues;
      info.values = {static_cast<double>(t.name == "prior_tokens" ? prior_tokens : kvp_offset)};
    } else if (t.name == "sink" || t.name == "k_scale" || t.name == "v_scale") {
      info.fill = InputFill::kValues;
      const double v = t.name == "sink" ? *sink : t.name == "k_scale" ? k_scale : v_scale;
      info.values.assign(static_cast<size_t>(t.shape[0]), v);
    }
    s.inputs.push_back(std::move(info));
  }
  for (const kernels::KernelTensor& t : kernels::attention_segmented_cte_outputs(a))
    s.outputs.push_back({t.name, t.dtype, t.shape});

  // One program serves every prior_tokens: the work grows with the heads and the keys of one pass.
  context.estimate_before_build(s,
                                product_text({{"batch", a.batch},
                                              {"num_q_heads", a.num_q_heads},
                                              {"seqlen_q", a.seqlen_q},
                                              {"seqlen_q + prior_seg_size", a.seqlen_q + a.prior_seg_size}}),
                                kernels::attention_segmented_cte_instruction_estimate(a));
  try {
    s.programs = kernels::build_attention_segmented_cte(a, context.limits);
  } catch (const kernels::KernelParamError& e) {
    throw kernel_param_error(r, e.what(), "attention_segmented_cte: ");
  }

  // The block table's entries are read by the gathers' index columns, not by a register, so no reg_check
  // sees them: a negative entry other than -1 would be skipped as padding by the DMA's out-of-bounds rule
  // (kernels.md §3.1), silently, where the reference refuses it. prior_tokens and kvp_offset are checked
  // by the program itself (reg_check, kernels/attention_segmented_cte.cpp runtime_values / kvp_values).
  s.check_inputs = [num_blocks = a.num_blocks](const HostTensors& in) {
    const auto table = in.find("block_tables");
    if (table == in.end())
      return;
    const ref::HostTensor& t = table->second;
    const int64_t columns = t.shape.empty() ? 1 : t.shape.back();
    for (size_t i = 0; i < t.data.size(); ++i) {
      const double v = t.data[i];
      if (v == -1 || (v >= 0 && v < static_cast<double>(num_blocks)))
        continue;
      throw InputValueError({"block_tables"},
                            "block_tables[" + std::to_string(static_cast<int64_t>(i) / columns) + ", " +
                                std::to_string(static_cast<int64_t>(i) % columns) + "] = " + number_text(v) +
                                ": an entry is a block of the cache, 0.." + std::to_string(num_blocks - 1) +
                                ", or -1 (padding, skipped by the gathers; kernels.md §3.1)");
    }
  };
  s.model_flops = [a](const HostTensors& in) {
    // QK^T and PV over the (query, key) pairs kernels.md §3.1 makes visible: query i (at P + i) sees keys
    // [P + i - (W - 1), P + i], or with kvp_offset o the keys j <= i + o, of the P + Sq gathered ones.
    const int64_t prior = std::llround(in.at("prior_tokens").data[0]), keys = prior + a.seqlen_q;
    const int64_t o = a.kvp_offset ? std::llround(in.at("kvp_offset").data[0]) : prior;
    double pairs = 0;
    for (int64_t i = 0; i < a.seqlen_q; ++i) {
      const int64_t hi = std::clamp<int64_t>(i + o + 1, 0, keys);
      const int64_t lo = a.sliding_window > 0 ? std::max<int64_t>(0, prior + i - (a.sliding_window - 1)) : 0;
      pairs += static_cast<double>(std::max<int64_t>(0, hi - lo));
    }
    return 4.0 * static_cast<double>(a.d) * static_cast<double>(a.bs_q()) * pairs;
  };
  s.rtol = ref::kAttentionSegmentedCteRtol;
  s.atol = ref::kAttentionSegmentedCteAtol;
  if (a.kvp_offset) {
    // The statistics with attention_cte's tolerances for its softmax statistics (kernels.md §2.2): the
    // segmented tests' atol 1e-2 would not see errors in sum_recip, whose values are below 1.
    s.output_tolerances["neg_max"] = {ref::kAttentionCteRtol, ref::kAttentionCteAtol};
    s.output_tolerances["sum_recip"] = {ref::kAttentionCteRtol, ref::kAttentionCteAtol};
  }
  s.reference = [a](const HostTensors& in) {
    ref::SegmentedCteRefOutputs r = kernels::attention_segmented_cte_reference_for(a, in);
    HostTensors golden{{"out", std::move(r.out)}};
    if (r.neg_max)
      golden["neg_max"] = std::move(*r.neg_max);
    if (r.sum_recip)
      golden["sum_recip"] = std::move(*r.sum_recip);
    return golden;
  };
  return s;
}

}  // namespace tn::cli
