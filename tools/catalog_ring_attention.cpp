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

const std::set<std::string> kRingKeys = {"b",
                                         "h",
                                         "kv_heads",
                                         "seqlen",
                                         "d",
                                         "dtype",
                                         "num_workers",
                                         "replica_groups",
                                         "softmax_scale",
                                         "use_causal_mask",
                                         "striped_input",
                                         "training",
                                         "lse_dtype",
                                         "tp_q",
                                         "tp_k",
                                         "lnc",
                                         "q_prescale"};

isa::ReplicaGroup read_rings(const JsonObject& p) {
  isa::ReplicaGroup rings;
  if (!p.has("replica_groups"))
    return rings;
  const auto& v = p.raw("replica_groups");
  const auto bad = [&] {
    p.fail("replica_groups", "expected a list of rings, each a list of rank ids, e.g. [[0, 4], [1, 5]]");
  };
  if (!v.is_array() || v.empty() || v.size() > 1024)
    bad();
  for (const auto& row : v) {
    if (!row.is_array() || row.empty() || row.size() > 1024)
      bad();
    std::vector<int32_t> ranks;
    for (const auto& r : row) {
      if (!r.is_number_integer() || r.get<int64_t>() < 0 || r.get<int64_t>() > 65535)
        p.fail("replica_groups", "rank ids are integers in 0..65535");
      ranks.push_back(int32_t(r.get<int64_t>()));
    }
    rings.push_back(std::move(ranks));
  }
  return rings;
}

}  // namespace

KernelSetup setup_ring_attention(const JsonObject& p, const isa::MemoryLimits& limits,
                                 int32_t neuron_core_version) {
  p.reject_unknown(kRingKeys);
  kernels::RingAttentionParams k;
  k.b = p.get_int("b", 1, {1, 512});
  k.h = p.get_int("h", 1, {1, 512});
  k.kv_heads = p.get_int("kv_heads", k.h, {1, 512});
  k.seqlen = p.get_int("seqlen", std::nullopt, {1, 131072});
  k.d = p.get_int("d", std::nullopt, {1, 4096});
  k.dtype = read_dtype(p, "dtype", DType::kBFloat16);
  k.replica_groups = read_rings(p);
  k.num_workers =
      p.get_int("num_workers", k.replica_groups.empty() ? 1 : int64_t(k.replica_groups[0].size()), {1, 4096});
  if (p.has("softmax_scale") && !p.raw("softmax_scale").is_null())
    k.softmax_scale = p.get_number("softmax_scale");
  k.use_causal_mask = p.get_bool("use_causal_mask", false);
  k.striped_input = p.get_bool("striped_input", false);
  k.training = p.get_bool("training", false);
  k.lse_dtype = read_dtype(p, "lse_dtype", DType::kFloat32);
  k.tp_q = p.get_bool("tp_q", false);
  k.tp_k = p.get_bool("tp_k", false);
  k.lnc = static_cast<int32_t>(p.get_int("lnc", 1, kInt32Range));
  k.neuron_core_version = neuron_core_version;
  KernelSetup s;
  s.kernel = "ring_attention_spmd_fwd";
  try {
    s.programs = kernels::build_ring_attention(k, limits);
  } catch (const kernels::KernelParamError& e) {
    throw kernel_param_error(p, e.what(), "ring_attention_spmd_fwd: ", kRingKeys);
  }
  // The caller's pre-scaling of q: in causal mode the kernel attends at scale 1, so the API asks for q
  // multiplied by the softmax scale (the kernel's tests use 1/sqrt(d), kernels.md §5.4).
  const double q_prescale =
      p.get_number("q_prescale", k.use_causal_mask ? 1.0 / std::sqrt(double(k.d)) : 1.0);
  if (!std::isfinite(q_prescale) || q_prescale == 0)
    p.fail("q_prescale", "must be finite and non-zero");
  const isa::ReplicaGroup rings = k.rings();
  const int64_t ranks = int64_t(rings.size()) * k.num_workers;
  for (const auto& row : rings) {
    for (int32_t r : row) {
      if (r >= ranks)
        p.fail("replica_groups", "rank " + std::to_string(r) +
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
