#include "tools/kernel_catalog.hpp"

#include "kernels/attention_cte.hpp"
#include "kernels/attention_cte_reference_params.hpp"
#include "kernels/matmul.hpp"
#include "kernels/reference/max_all_close.hpp"

namespace tn::cli {

namespace {

DType read_dtype(const JsonObject& params, const std::string& key, DType fallback) {
  if (!params.has(key))
    return fallback;
  auto dt = dtype_from_name(params.get_string(key));
  if (!dt)
    params.fail(key, "unknown dtype \"" + params.get_string(key) + "\"");
  return *dt;
}

// ---- attention_cte ---------------------------------------------------------------------------------

// Field names of attention_cte_cases.json. The metadata fields are accepted so a case runs by pasting.
const std::set<std::string> kAttentionKeys = {"test",
                                              "idx",
                                              "lnc",
                                              "bs",
                                              "bs_kv",
                                              "gqa_group",
                                              "seqlen_q",
                                              "seqlen_kv",
                                              "d",
                                              "dtype",
                                              "scale",
                                              "causal",
                                              "sliding_window",
                                              "prior_len",
                                              "prior_used_len",
                                              "sink",
                                              "cp_degree",
                                              "cp_rank_id",
                                              "cp_strided_q_slicing",
                                              "cp_offset",
                                              "tp_q",
                                              "tp_k",
                                              "tp_out",
                                              "cache_softmax",
                                              "n_packed_sequences",
                                              "expect_failure",
                                              "validated",
                                              "num_kv_sections",
                                              "kv_len_loaded_incl_prior_pad",
                                              "softmax_dtype",
                                              "mm_out_dtype"};

// Features of the real kernel that trnsim's attention_cte does not generate yet: refuse them loudly
// rather than silently computing something else.
void reject_unsupported_attention_features(const JsonObject& p) {
  auto unsupported = [&](const std::string& key, const std::string& feature) {
    p.fail(key, feature +
                    " is not supported yet by trnsim's attention_cte (supported today: causal/non-causal, "
                    "scale, GQA, tp_q/tp_k/tp_out, bf16/fp16/fp32, flash sections, LNC1/LNC2)");
  };
  if (p.get_int("sliding_window", 0) != 0)
    unsupported("sliding_window", "sliding-window attention");
  if (p.has("prior_len") && p.get_int("prior_len") != 0)
    unsupported("prior_len", "prefix caching");
  if (p.has("prior_used_len"))
    unsupported("prior_used_len", "prefix caching");
  if (p.get_bool("sink", false))
    unsupported("sink", "sink tokens");
  if (p.has("cp_degree") && p.get_int("cp_degree") > 1)
    unsupported("cp_degree", "context parallelism");
  if (p.has("cp_offset"))
    unsupported("cp_offset", "context parallelism");
  if (p.has("cp_rank_id"))
    unsupported("cp_rank_id", "context parallelism");
  if (p.get_bool("cache_softmax", false))
    unsupported("cache_softmax", "softmax caching");
  if (p.has("n_packed_sequences"))
    unsupported("n_packed_sequences", "sequence packing");
  if (p.has("softmax_dtype") && read_dtype(p, "softmax_dtype", DType::kFloat32) != DType::kFloat32) {
    unsupported("softmax_dtype", "a softmax_dtype other than float32");
  }
  if (p.has("mm_out_dtype") && read_dtype(p, "mm_out_dtype", DType::kFloat32) != DType::kFloat32) {
    p.fail("mm_out_dtype", "must be float32 on trn2 (bfloat16 needs NeuronCore-v4, kernels.md §1.3)");
  }
}

int64_t attention_sections(int64_t total_k) { return total_k > 10240 ? (total_k + 8191) / 8192 : 1; }

KernelSetup setup_attention_cte(const JsonObject& p, const isa::MemoryLimits& limits) {
  p.reject_unknown(kAttentionKeys);
  kernels::AttentionCteParams a;
  a.bs = p.get_int("bs", 1);
  a.bs_kv = p.get_int("bs_kv", a.bs);
  a.seqlen_q = p.get_int("seqlen_q");
  a.seqlen_kv = p.get_int("seqlen_kv");
  a.d = p.get_int("d");
  a.dtype = read_dtype(p, "dtype", DType::kBFloat16);
  a.scale = p.get_number("scale", 1.0);
  a.causal = p.get_bool("causal", true);
  a.tp_q = p.get_bool("tp_q", true);
  a.tp_k = p.get_bool("tp_k", false);
  a.tp_out = p.get_bool("tp_out", false);
  a.lnc = static_cast<int32_t>(p.get_int("lnc", 1));
  if (p.has("gqa_group") && a.bs_kv > 0 && p.get_int("gqa_group") * a.bs_kv != a.bs) {
    p.fail("gqa_group", "must equal bs / bs_kv = " + std::to_string(a.bs) + " / " + std::to_string(a.bs_kv));
  }
  if (p.has("cp_strided_q_slicing") && p.get_bool("cp_strided_q_slicing") &&
      !(p.has("cp_degree") && p.get_int("cp_degree") > 1)) {
    p.fail("cp_strided_q_slicing", "only meaningful with cp_degree > 1");
  }
  reject_unsupported_attention_features(p);
  if (p.has("num_kv_sections") && p.get_int("num_kv_sections") != attention_sections(a.seqlen_kv)) {
    p.fail("num_kv_sections", "the case says " + std::to_string(p.get_int("num_kv_sections")) +
                                  " flash sections; attention_cte derives " +
                                  std::to_string(attention_sections(a.seqlen_kv)) + " (kernels.md §1.4)");
  }

  KernelSetup s;
  s.kernel = "attention_cte";
  s.expect_failure = p.get_bool("expect_failure", false);
  s.params = {{"bs", a.bs},
              {"bs_kv", a.bs_kv},
              {"seqlen_q", a.seqlen_q},
              {"seqlen_kv", a.seqlen_kv},
              {"d", a.d},
              {"dtype", dtype_name(a.dtype)},
              {"scale", a.scale},
              {"causal", a.causal},
              {"tp_q", a.tp_q},
              {"tp_k", a.tp_k},
              {"tp_out", a.tp_out},
              {"lnc", a.lnc},
              {"num_kv_sections", attention_sections(a.seqlen_kv)}};
  try {
    s.programs = kernels::build_attention_cte(a, limits);
  } catch (const kernels::KernelParamError& e) {
    if (!s.expect_failure)
      throw ConfigError(p.file() + ": " + p.path() + ": " + e.what());
    s.failure = e.what();
    return s;
  }
  s.inputs = {{"q", a.dtype, kernels::attention_cte_q_shape(a)},
              {"k", a.dtype, kernels::attention_cte_k_shape(a)},
              {"v", a.dtype, kernels::attention_cte_v_shape(a)}};
  s.outputs = {{"out", a.dtype, kernels::attention_cte_out_shape(a)}};
  s.model_flops = kernels::attention_cte_model_flops(a);
  s.rtol = ref::kAttentionCteRtol;  // the kernel's own test tolerances (kernels.md §2.2)
  s.atol = ref::kAttentionCteAtol;
  s.reference = [a](const HostTensors& in) {
    const ref::AttentionCteRefParams rp = kernels::reference_params(a);
    ref::AttentionCteRefInputs ri;
    ri.q = &in.at("q");
    ri.k = &in.at("k");
    ri.v = &in.at("v");
    HostTensors out;
    out["out"] = ref::attention_cte_reference(rp, ri).out;
    return out;
  };
  return s;
}

// ---- matmul ------------------------------------------------------------------------------------------

KernelSetup setup_matmul(const JsonObject& p, const isa::MemoryLimits& limits) {
  p.reject_unknown({"m", "k", "n", "dtype"});
  kernels::MatmulParams m;
  m.m = p.get_int("m");
  m.k = p.get_int("k");
  m.n = p.get_int("n");
  m.dtype = read_dtype(p, "dtype", DType::kBFloat16);
  KernelSetup s;
  s.kernel = "matmul";
  s.params = {{"m", m.m}, {"k", m.k}, {"n", m.n}, {"dtype", dtype_name(m.dtype)}};
  try {
    s.programs.push_back(kernels::build_matmul(m, limits));
  } catch (const kernels::KernelParamError& e) {
    throw ConfigError(p.file() + ": " + p.path() + ": " + e.what());
  }
  s.inputs = {{"a_t", m.dtype, {m.k, m.m}}, {"b", m.dtype, {m.k, m.n}}};
  s.outputs = {{"c", DType::kFloat32, {m.m, m.n}}};
  s.model_flops = 2.0 * m.m * m.n * m.k;
  // fp32 accumulation of K products of exact bf16 pairs: relative error far below 1e-4 for K <= 16K.
  s.rtol = 1e-4;
  s.atol = 1e-5;
  s.reference = [m](const HostTensors& in) {
    const auto& a = in.at("a_t").data;
    const auto& b = in.at("b").data;
    ref::HostTensor c = ref::HostTensor::zeros({m.m, m.n});
    for (int64_t k = 0; k < m.k; ++k) {
      for (int64_t i = 0; i < m.m; ++i) {
        const double aki = a[k * m.m + i];
        double* row = c.data.data() + i * m.n;
        const double* brow = b.data() + k * m.n;
        for (int64_t j = 0; j < m.n; ++j)
          row[j] += aki * brow[j];
      }
    }
    HostTensors out;
    out["c"] = std::move(c);
    return out;
  };
  return s;
}

}  // namespace

std::vector<std::string> kernel_names() { return {"attention_cte", "matmul"}; }

KernelSetup setup_kernel(const std::string& kernel, const JsonObject& params,
                         const isa::MemoryLimits& limits) {
  if (kernel == "attention_cte")
    return setup_attention_cte(params, limits);
  if (kernel == "matmul")
    return setup_matmul(params, limits);
  std::string names;
  for (const auto& n : kernel_names())
    names += (names.empty() ? "" : ", ") + n;
  throw ConfigError(params.file() + ": $.kernel: unknown kernel \"" + kernel + "\" (known: " + names + ")");
}

}  // namespace tn::cli
