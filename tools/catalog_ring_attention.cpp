// ring_attention_spmd_fwd in the CLI (kernels.md §5): run params by the API's names plus b, h, seqlen (per
// rank), d, dtype and lnc; every rank's q, k, v drawn as the kernel's tests draw them (randn, kernels.md
// §5.4), q pre-scaled for causal runs as the API asks its callers; the float64 reference of §5.1 per ring,
// with the tolerances of kernels/ring_attention_reference_params.hpp.
#include <cmath>

#include "kernels/ring_attention_reference_params.hpp"
#include "tools/catalog_entries.hpp"
#include "tools/ring_report.hpp"

namespace tn::cli {

namespace {

// The kernel's own rules quoted are check_ring_attention_params's (kernels.md §5.1).
const KernelParamTable kTable{
    "ring_attention_spmd_fwd",
    "ring attention: each rank's K/V travel round a ring of ranks, each step an attention_cte call, "
    "merged by running statistics (kernels.md §5)",
    {
        ParamSpec::integer("b").defaults(1).within({1, 512}).about("batch; b * h <= 512"),
        ParamSpec::integer("h").defaults(1).within({1, 512}).about("heads"),
        ParamSpec::integer("kv_heads").derived_from("h").within({1, 512}).about("must equal h (MHA only)"),
        ParamSpec::integer("seqlen")
            .within({1, 131072})
            .about("tokens per rank: a multiple of 128 in 128..131072"),
        ParamSpec::integer("d").within({1, 4096}).about("head dimension (1..128)"),
        ParamSpec::dtype("dtype").defaults("bfloat16").about("q, k, v and out"),
        ParamSpec::rank_lists("replica_groups")
            .unset_by_default()
            .about("the rings, rows of num_workers ranks, e.g. [[0, 2], [1, 3]]; unset: one ring of ranks "
                   "0..N-1"),
        ParamSpec::integer("num_workers")
            .derived_from("the length of replica_groups' rows, else 1")
            .within({1, 4096})
            .about("ranks per ring; num_workers * seqlen <= 2^24"),
        ParamSpec::number("softmax_scale")
            .unset_by_default()
            .about("unset: 1/sqrt(d); must be 1.0 or unset with use_causal_mask (q comes pre-scaled)"),
        ParamSpec::boolean("use_causal_mask")
            .defaults(false)
            .about("causal attention over the global sequence"),
        ParamSpec::boolean("striped_input")
            .defaults(false)
            .about("striped token layout (needs use_causal_mask)"),
        ParamSpec::boolean("training").defaults(false).about("also return lse, (b, h, 128, seqlen / 128)"),
        ParamSpec::dtype("lse_dtype").defaults("float32").about("lse: float32, bfloat16 or float16"),
        ParamSpec::boolean("tp_q").defaults(false).about(
            "q as (b, h, seqlen, d); false: pre-transposed (b, h, d, seqlen)"),
        ParamSpec::boolean("tp_k").defaults(false).about("k likewise"),
        ParamSpec::integer("lnc")
            .defaults(1)
            .within(kInt32Range)
            .about("logical NeuronCore: 1 or 2 physical cores"),
        ParamSpec::number("q_prescale")
            .derived_from("1/sqrt(d) with use_causal_mask, else 1")
            .about("the caller's scaling of the drawn q (the API asks causal callers to pre-scale), finite, "
                   "non-zero"),
    },
    {{"num_workers", 2}, {"seqlen", 256}, {"d", 64}, {"use_causal_mask", true}}};

isa::ReplicaGroup read_rings(const ParamReader& r) {
  const JsonObject& p = r.object();
  isa::ReplicaGroup rings;
  if (!r.has("replica_groups"))
    return rings;
  const auto& v = r.raw("replica_groups", ParamType::kRankLists);
  const auto bad = [&] {
    p.fail("replica_groups", "expected a list of rings, each a list of rank ids, e.g. [[0, 4], [1, 5]]");
  };
  if (!v.is_array() || v.empty() || v.size() > 1024)
    bad();
  for (const auto& row : v) {
    if (!row.is_array() || row.empty() || row.size() > 1024)
      bad();
    std::vector<int32_t> ranks;
    for (const auto& rank : row) {
      if (!rank.is_number_integer() || rank.get<int64_t>() < 0 || rank.get<int64_t>() > 65535)
        p.fail("replica_groups", "rank ids are integers in 0..65535");
      ranks.push_back(int32_t(rank.get<int64_t>()));
    }
    rings.push_back(std::move(ranks));
  }
  return rings;
}

}  // namespace

const KernelParamTable& ring_attention_params() { return kTable; }

KernelSetup setup_ring_attention(const ParamReader& r, const KernelContext& context) {
  const JsonObject& p = r.object();
  kernels::RingAttentionParams k;
  k.b = r.get_int("b");
  k.h = r.get_int("h");
  k.kv_heads = r.get_int("kv_heads", k.h);
  k.seqlen = r.get_int("seqlen");
  k.d = r.get_int("d");
  k.dtype = r.get_dtype("dtype");
  k.replica_groups = read_rings(r);
  k.num_workers =
      r.get_int("num_workers", k.replica_groups.empty() ? 1 : int64_t(k.replica_groups[0].size()));
  if (r.has("softmax_scale"))
    k.softmax_scale = r.get_number("softmax_scale");
  k.use_causal_mask = r.get_bool("use_causal_mask");
  k.striped_input = r.get_bool("striped_input");
  k.training = r.get_bool("training");
  k.lse_dtype = r.get_dtype("lse_dtype");
  k.tp_q = r.get_bool("tp_q");
  k.tp_k = r.get_bool("tp_k");
  k.lnc = static_cast<int32_t>(r.get_int("lnc"));
  k.neuron_core_version = context.neuron_core_version;
  KernelSetup s;
  s.kernel = "ring_attention_spmd_fwd";
  try {
    kernels::check_ring_attention_params(k);
  } catch (const kernels::KernelParamError& e) {
    throw kernel_param_error(r, e.what(), "ring_attention_spmd_fwd: ");
  }
  // The caller's pre-scaling of q: in causal mode the kernel attends at scale 1, so the API asks for q
  // multiplied by the softmax scale (the kernel's tests use 1/sqrt(d), kernels.md §5.4).
  const double q_prescale =
      r.get_number("q_prescale", k.use_causal_mask ? 1.0 / std::sqrt(double(k.d)) : 1.0);
  if (!std::isfinite(q_prescale) || q_prescale == 0)
    p.fail("q_prescale", "must be finite and non-zero");
  const isa::ReplicaGroup rings = k.rings();
  const int64_t ranks = int64_t(rings.size()) * k.num_workers;
  for (const auto& row : rings) {
    for (int32_t rank : row) {
      if (rank >= ranks)
        p.fail("replica_groups", "rank " + std::to_string(rank) +
                                     " is outside the launch: " + std::to_string(rings.size()) +
                                     " rings of " + std::to_string(k.num_workers) + " make ranks 0.." +
                                     std::to_string(ranks - 1));
    }
  }
  s.params = {{"b", k.b},
              {"h", k.h},
              {"kv_heads", k.kv_heads},
              {"seqlen", k.seqlen},
              {"d", k.d},
              {"dtype", dtype_name(k.dtype)},
              {"num_workers", k.num_workers},
              {"replica_groups", rings},
              {"softmax_scale", k.softmax_scale ? nlohmann::json(*k.softmax_scale) : nlohmann::json()},
              {"attention_scale", k.attention_scale()},
              {"use_causal_mask", k.use_causal_mask},
              {"striped_input", k.striped_input},
              {"training", k.training},
              {"lse_dtype", dtype_name(k.lse_dtype)},
              {"tp_q", k.tp_q},
              {"tp_k", k.tp_k},
              {"lnc", k.lnc},
              {"q_prescale", q_prescale}};
  s.per_rank = true;
  s.ranks = uint32_t(ranks);
  // Drawn for the whole launch, rank by rank within each tensor: every rank's q, then k, then v.
  for (const kernels::KernelTensor& t : kernels::ring_attention_inputs(k)) {
    std::vector<int64_t> all = t.shape;
    all.insert(all.begin(), ranks);
    TensorInfo info(t.name, t.dtype, all);
    info.fill = InputFill::kStandardNormal;
    if (t.name == "q")
      info.scale = q_prescale;
    s.inputs.push_back(info);
    s.rank_inputs.push_back({t.name, t.dtype, t.shape});
  }
  for (const kernels::KernelTensor& t : kernels::ring_attention_outputs(k))
    s.outputs.push_back({t.name, t.dtype, t.shape});
  // Each rank attends to every rank's keys: N steps over S x S pairs of every head.
  context.estimate_before_build(
      s,
      product_text(
          {{"num_workers", k.num_workers}, {"b * h", k.bs()}, {"seqlen", k.seqlen}, {"seqlen", k.seqlen}}),
      kernels::ring_attention_instruction_estimate(k));
  try {
    s.programs = kernels::build_ring_attention(k, context.limits);
  } catch (const kernels::KernelParamError& e) {
    throw kernel_param_error(r, e.what(), "ring_attention_spmd_fwd: ");
  }
  s.split_inputs = [k, ranks](const HostTensors& drawn) {
    std::vector<HostTensors> out(static_cast<size_t>(ranks));
    for (const kernels::KernelTensor& t : kernels::ring_attention_inputs(k)) {
      if (!drawn.count(t.name))
        continue;  // not drawn (a run without numerics)
      const ref::HostTensor& all = drawn.at(t.name);
      const int64_t n = ref::HostTensor::numel_of(t.shape);
      for (int64_t r = 0; r < ranks; ++r)
        out[size_t(r)][t.name] =
            ref::HostTensor{t.shape, {all.data.begin() + r * n, all.data.begin() + (r + 1) * n}};
    }
    return out;
  };
  s.model_flops = [k, rings](const HostTensors&) {
    return 4.0 * double(k.d) * ref::ring_attention_visible_pairs(kernels::reference_params(k)) *
           double(rings.size());
  };
  const kernels::RingTolerance out_tol = kernels::ring_out_tolerance(),
                               lse_tol = kernels::ring_lse_tolerance(k.lse_dtype, k.dtype);
  s.rtol = out_tol.rtol;
  s.atol = out_tol.atol;
  if (k.training)
    s.output_tolerances["lse"] = {lse_tol.rtol, lse_tol.atol};
  s.rank_reference = [k, split = s.split_inputs](const HostTensors& drawn) {
    return kernels::ring_attention_reference_for(k, split(drawn));
  };
  s.report_name = "ring";
  s.timing_report = [n = k.num_workers](const nlohmann::json& timing, const sc::TimedRunResult& run) {
    return ring_report(timing.value("collectives", nlohmann::json{{"instances", nlohmann::json::array()}}),
                       run.regions, n);
  };
  return s;
}

}  // namespace tn::cli
