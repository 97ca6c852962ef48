#include "tools/kernel_catalog.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <tuple>

#include "kernels/attention_cte.hpp"
#include "kernels/attention_cte_reference_params.hpp"
#include "kernels/matmul.hpp"
#include "kernels/reference/max_all_close.hpp"
#include "kernels/reference/numpy_random.hpp"
#include "kernels/segmented/floor_ceil.hpp"
#include "tools/catalog_entries.hpp"

namespace tn::cli {

DType read_dtype(const JsonObject& params, const std::string& key, DType fallback) {
  if (!params.has(key))
    return fallback;
  auto dt = dtype_from_name(params.get_string(key));
  if (!dt)
    params.fail(key, "unknown dtype \"" + params.get_string(key) + "\"");
  return *dt;
}

ConfigError kernel_param_error(const JsonObject& p, const std::string& what, const std::string& prefix,
                               const std::function<std::string(const std::string&)>& json_key) {
  std::string key;
  if (what.rfind(prefix, 0) == 0) {
    const size_t colon = what.find(':', prefix.size());
    if (colon != std::string::npos)
      key = json_key(what.substr(prefix.size(), colon - prefix.size()));
  }
  return ConfigError(p.file() + ": " + (key.empty() ? p.path() : p.path_of(key)) + ": " + what);
}

ConfigError kernel_param_error(const JsonObject& p, const std::string& what, const std::string& prefix,
                               const std::set<std::string>& keys) {
  return kernel_param_error(p, what, prefix,
                            [&](const std::string& k) { return keys.count(k) ? k : std::string(); });
}

namespace {

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
                                              "cp_striped_input",
                                              "cp_offset",
                                              "cp_offset_dtype",
                                              "skip_output_normalization",
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

// The JSON key behind a parameter name in the kernel's KernelParamError ("attention_cte: NAME: rule").
std::string attention_json_key(const std::string& kernel_param) {
  static const std::map<std::string, std::string> renamed = {{"seqlen_prior", "prior_len"},
                                                             {"k_prior", "prior_len"},
                                                             {"v_prior", "prior_len"},
                                                             {"global_cp_deg", "cp_degree"},
                                                             {"sequence_packing", "n_packed_sequences"},
                                                             {"bound_min", "n_packed_sequences"},
                                                             {"bound_max", "n_packed_sequences"}};
  if (auto it = renamed.find(kernel_param); it != renamed.end())
    return it->second;
  return kAttentionKeys.count(kernel_param) ? kernel_param : "";
}

// The reference's view of a run's inputs. Runtime scalars come from the input tensors, so an
// `inputs.files` override reaches the reference too.
ref::AttentionCteRefInputs attention_reference_inputs(const HostTensors& in) {
  auto input = [&](const std::string& name) -> const ref::HostTensor* {
    const auto it = in.find(name);
    return it == in.end() ? nullptr : &it->second;
  };
  auto scalar = [&](const std::string& name) -> std::optional<int64_t> {
    const ref::HostTensor* t = input(name);
    if (t == nullptr || t->data.empty())
      return std::nullopt;
    return static_cast<int64_t>(std::llround(t->data[0]));
  };
  ref::AttentionCteRefInputs ri;
  ri.q = input("q");
  ri.k = input("k");
  ri.v = input("v");
  ri.k_prior = input("k_prior");
  ri.v_prior = input("v_prior");
  ri.prior_used_len = scalar("prior_used_len");
  ri.sink = input("sink");
  ri.cp_offset = scalar("cp_offset");
  ri.bound_min = input("bound_min");
  ri.bound_max = input("bound_max");
  return ri;
}

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
  a.lnc = static_cast<int32_t>(p.get_int("lnc", 1, kInt32Range));
  // The features (kernels.md §1.1-§1.2). What combinations are legal is the kernel's business
  // (check_attention_cte_params); here only what the CLI itself needs to turn a case into tensors.
  a.sliding_window = p.get_int("sliding_window", 0);
  a.sink = p.get_bool("sink", false);
  a.cache_softmax = p.get_bool("cache_softmax", false);
  a.softmax_dtype = read_dtype(p, "softmax_dtype", DType::kFloat32);
  a.mm_out_dtype = read_dtype(p, "mm_out_dtype", DType::kFloat32);
  a.seqlen_prior = p.get_int("prior_len", 0);
  a.global_cp_deg = p.get_int("cp_degree", 1);
  a.cp_strided_q_slicing = p.get_bool("cp_strided_q_slicing", false);
  a.cp_striped_input = p.get_bool("cp_striped_input", false);
  a.cp_offset_dtype = read_dtype(p, "cp_offset_dtype", DType::kInt32);
  a.skip_output_normalization = p.get_bool("skip_output_normalization", false);
  if (a.global_cp_deg == 1) {
    // One rank (the cases' cp_degree 1 rows): q positions are 0..Sq-1, strided or not (q_pos = i * 1), and
    // anything else cannot reach the kernel, which has no cp_offset input then. So this is no CP at all.
    a.cp_strided_q_slicing = false;
  }
  a.sequence_packing = p.has("n_packed_sequences");

  KernelSetup s;
  s.kernel = "attention_cte";
  s.expect_failure = p.get_bool("expect_failure", false);
  // The kernel's own rules first: everything derived below (the K layout's sections, cp offsets, packing
  // bounds) assumes lengths it accepts, so a zero or huge length never reaches a division or a product.
  try {
    kernels::check_attention_cte_params(a);
  } catch (const kernels::KernelParamError& e) {
    if (!s.expect_failure)
      throw kernel_param_error(p, e.what(), "attention_cte: ", attention_json_key);
    s.params = p.raw_json();
    s.failure = e.what();
    return s;
  }
  if (p.has("gqa_group") && p.get_int("gqa_group") != a.bs / a.bs_kv) {
    p.fail("gqa_group", "must equal bs / bs_kv = " + std::to_string(a.bs) + " / " + std::to_string(a.bs_kv));
  }

  // Prefix caching: prior_len rows of k_prior / v_prior, of which the runtime prior_used_len are used.
  std::optional<int64_t> prior_used_len;
  if (a.seqlen_prior != 0) {
    prior_used_len = p.get_int("prior_used_len", a.seqlen_prior);  // default: the whole prior is used
    if (*prior_used_len < 0 || *prior_used_len > a.seqlen_prior) {
      p.fail("prior_used_len", "the runtime prior length " + std::to_string(*prior_used_len) +
                                   " must be in 0..prior_len (" + std::to_string(a.seqlen_prior) + ")");
    }
  } else if (p.has("prior_used_len") && p.get_int("prior_used_len") != 0) {
    p.fail("prior_used_len", "needs prior_len > 0 (the k_prior / v_prior length)");
  }

  // Context parallelism: cp_degree null or 1 = none. The runtime cp_offset (an int32 tensor) is given, or
  // derived from the rank (kernels.md §1.2, §2.2): strided -> rank, contiguous -> rank * seqlen_q.
  std::optional<int64_t> cp_offset;
  if (a.has_cp()) {
    std::optional<int64_t> derived;
    if (p.has("cp_rank_id")) {
      if (a.cp_striped_input)
        p.fail("cp_rank_id",
               "striped input takes cp_offset itself: 0 when this rank's queries come at or "
               "after the key rank's, -1 before (kernels.md §5.1)");
      const int64_t rank = p.get_int("cp_rank_id", std::nullopt, {0, a.global_cp_deg - 1});
      derived = a.cp_strided_q_slicing ? rank : rank * a.seqlen_q;
    }
    if (p.has("cp_offset")) {
      cp_offset = p.get_int("cp_offset", std::nullopt, kInt32Range);
      if (derived && *derived != *cp_offset) {
        p.fail("cp_offset", std::to_string(*cp_offset) + " disagrees with cp_rank_id " +
                                std::to_string(p.get_int("cp_rank_id")) +
                                (a.cp_strided_q_slicing ? " (strided: cp_offset = rank = "
                                                        : " (contiguous: cp_offset = rank * seqlen_q = ") +
                                std::to_string(*derived) + "); give one of them, or both consistent");
      }
    } else if (derived) {
      cp_offset = derived;
    } else {
      p.fail("cp_offset", "missing: context parallelism (cp_degree " + std::to_string(a.global_cp_deg) +
                              ") needs the runtime cp_offset or a cp_rank_id to derive it from");
    }
    // A query before every key (cp_offset + first position < 0) has no reference value (0 / 0): refused
    // unless prior keys or a sink give it something to attend to.
    if (a.causal && *cp_offset < 0 && !a.sink && a.seqlen_prior == 0) {
      p.fail("cp_offset", std::to_string(*cp_offset) +
                              " leaves query 0 without a visible key, where the reference is 0 / 0 (the "
                              "kernel returns neg_max = FLT_MAX there, a zero weight for a caller's merge)");
    }
  } else {
    if (p.has("cp_rank_id") && p.get_int("cp_rank_id") != 0)
      p.fail("cp_rank_id", "must be 0 (or null) without context parallelism (cp_degree null or 1)");
    if (p.has("cp_offset") && p.get_int("cp_offset") != 0)
      p.fail("cp_offset", "must be 0 (or null) without context parallelism (cp_degree null or 1)");
  }

  // Sequence packing: n packed sequences -> bound_min / bound_max (attention_packing_bounds).
  const int64_t n_packed =
      a.sequence_packing ? p.get_int("n_packed_sequences", std::nullopt, {1, a.seqlen_q}) : 0;

  // The derivation behind the cases' metadata, checked against all 230 cases.
  const kernels::AttentionCteKvLayout layout = kernels::attention_cte_kv_layout(a);
  if (p.has("num_kv_sections") && p.get_int("num_kv_sections") != layout.num_sections) {
    p.fail("num_kv_sections", "the case says " + std::to_string(p.get_int("num_kv_sections")) +
                                  " flash sections; attention_cte derives " +
                                  std::to_string(layout.num_sections) + " (kernels.md §1.4)");
  }
  if (p.has("kv_len_loaded_incl_prior_pad") && p.get_int("kv_len_loaded_incl_prior_pad") != layout.total) {
    p.fail("kv_len_loaded_incl_prior_pad", "the case says " +
                                               std::to_string(p.get_int("kv_len_loaded_incl_prior_pad")) +
                                               "; attention_cte derives " + std::to_string(layout.total) +
                                               " (kernels.md §1.4: align512(prior_len) + active K length)");
  }

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
              {"sliding_window", a.sliding_window},
              {"prior_len", a.seqlen_prior},
              {"prior_used_len", prior_used_len ? nlohmann::json(*prior_used_len) : nlohmann::json()},
              {"sink", a.sink},
              {"cp_degree", a.global_cp_deg},
              {"cp_strided_q_slicing", a.cp_strided_q_slicing},
              {"cp_striped_input", a.cp_striped_input},
              {"cp_offset", cp_offset ? nlohmann::json(*cp_offset) : nlohmann::json()},
              {"cp_offset_dtype", dtype_name(a.cp_offset_dtype)},
              {"cache_softmax", a.cache_softmax},
              {"skip_output_normalization", a.skip_output_normalization},
              {"softmax_dtype", dtype_name(a.softmax_dtype)},
              {"mm_out_dtype", dtype_name(a.mm_out_dtype)},
              {"n_packed_sequences", n_packed ? nlohmann::json(n_packed) : nlohmann::json()},
              {"num_kv_sections", layout.num_sections},
              {"kv_len_loaded_incl_prior_pad", layout.total}};
  try {
    s.programs = kernels::build_attention_cte(a, limits);
  } catch (const kernels::KernelParamError& e) {
    if (!s.expect_failure)
      throw kernel_param_error(p, e.what(), "attention_cte: ", attention_json_key);
    s.failure = e.what();
    return s;
  }

  // The HBM tensors, in the kernel's order (= the NKI tests' draw order). Runtime values reach the kernel
  // only through these tensors, so one program serves every value.
  std::vector<double> bound_min, bound_max;
  if (a.sequence_packing)
    std::tie(bound_min, bound_max) = attention_packing_bounds(a.seqlen_q, n_packed);
  for (const kernels::KernelTensor& t : kernels::attention_cte_inputs(a)) {
    TensorInfo info{t.name, t.dtype, t.shape};
    if (t.name == "sink") {
      info.fill = InputFill::kUniform;  // np.random.uniform(15, 25, size=(bs, 1)), fp32 (kernels.md §2.2)
      info.low = 15;
      info.high = 25;
    } else if (t.name == "prior_used_len") {
      info.fill = InputFill::kValues;
      info.values = {static_cast<double>(prior_used_len.value_or(0))};
    } else if (t.name == "cp_offset") {
      info.fill = InputFill::kValues;
      info.values = {static_cast<double>(cp_offset.value_or(0))};
    } else if (t.name == "bound_min" || t.name == "bound_max") {
      info.fill = InputFill::kValues;
      info.values = t.name == "bound_min" ? bound_min : bound_max;
    }
    s.inputs.push_back(std::move(info));
  }
  for (const kernels::KernelTensor& t : kernels::attention_cte_outputs(a))
    s.outputs.push_back({t.name, t.dtype, t.shape});
  // QK^T and PV over the pairs the masks leave visible, with this run's runtime values.
  s.model_flops = [a](const HostTensors& in) {
    return 4.0 * static_cast<double>(a.d) *
           static_cast<double>(ref::attention_cte_visible_pairs(kernels::reference_params(a),
                                                                attention_reference_inputs(in)));
  };
  s.rtol = ref::kAttentionCteRtol;  // the kernel's own test tolerances, for every output (kernels.md §2.2)
  s.atol = ref::kAttentionCteAtol;
  s.reference = [a](const HostTensors& in) {
    const ref::AttentionCteRefParams rp = kernels::reference_params(a);
    const ref::AttentionCteRefInputs ri = attention_reference_inputs(in);
    ref::AttentionCteRefOutputs r = ref::attention_cte_reference(rp, ri);
    HostTensors out;
    out["out"] = std::move(r.out);  // cast to the kernel's dtype by the caller (kernels.md §2.1 step 9)
    if (r.neg_max)
      out["out_neg_max"] = std::move(*r.neg_max);  // cast to softmax_dtype by the caller (§2.1 step 8)
    if (r.sum_recip)
      out["out_sum_recip"] = std::move(*r.sum_recip);
    if (r.sum)
      out["out_sum"] = std::move(*r.sum);
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
  s.model_flops = [m](const HostTensors&) { return 2.0 * m.m * m.n * m.k; };
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

std::pair<std::vector<double>, std::vector<double>> attention_packing_bounds(int64_t seqlen_q, int64_t n) {
  if (seqlen_q < 0 || n < 1)
    throw std::invalid_argument("attention_packing_bounds: need seqlen_q >= 0 and n >= 1");
  ref::NumpyLegacyRandom rs(42);
  std::vector<double> pts = rs.random_sample(static_cast<size_t>(n - 1));
  std::sort(pts.begin(), pts.end());
  const double sq = static_cast<double>(seqlen_q);
  std::vector<int64_t> lens;
  int64_t used = 0;
  double prev = 0;
  for (double pt : pts) {
    const auto len = static_cast<int64_t>(std::nearbyint((pt - prev) * sq));  // np.round: half to even
    lens.push_back(len);
    used += len;
    prev = pt;
  }
  lens.push_back(seqlen_q - used);  // the last segment absorbs the remainder
  std::vector<double> lo(static_cast<size_t>(seqlen_q)), hi(static_cast<size_t>(seqlen_q));
  int64_t start = 0;
  for (int64_t len : lens) {
    const int64_t begin = std::min(start, seqlen_q), end = std::clamp(start + len, begin, seqlen_q);
    for (int64_t i = begin; i < end; ++i) {
      lo[static_cast<size_t>(i)] = static_cast<double>(begin);
      hi[static_cast<size_t>(i)] = static_cast<double>(end);
    }
    start = end;
  }
  return {lo, hi};
}

// ---- floor_nisa_kernel / ceil_nisa_kernel (attention_segmented_cte's helpers, kernels.md §3.2) -----------

KernelSetup setup_rounding(const std::string& kernel, const JsonObject& p, const isa::MemoryLimits& limits) {
  p.reject_unknown({"p_size", "f_size", "low", "high"});
  kernels::RoundingKernelParams r;
  r.p_size = static_cast<int32_t>(p.get_int("p_size", std::nullopt, kInt32Range));
  r.f_size = p.get_int("f_size");
  KernelSetup s;
  s.kernel = kernel;
  const bool floor = kernel == "floor_nisa_kernel";
  try {
    s.programs.push_back(floor ? kernels::build_floor_nisa_kernel(r, limits)
                               : kernels::build_ceil_nisa_kernel(r, limits));
  } catch (const kernels::KernelParamError& e) {
    throw ConfigError(p.file() + ": " + p.path() + ": " + e.what());
  }
  // Values spanning negatives, fractions and exact halves, where truncation and rounding differ.
  TensorInfo x("x", DType::kFloat32, {r.p_size, r.f_size});
  x.fill = InputFill::kUniform;
  x.low = p.get_number("low", -1000.0);
  x.high = p.get_number("high", 1000.0);
  if (!(x.low < x.high) || std::max(std::abs(x.low), std::abs(x.high)) > 16777216.0) {
    p.fail("low", "need low < high within +-2^24 (fp32 integers are exact there)");
  }
  s.params = {{"p_size", r.p_size}, {"f_size", r.f_size}, {"low", x.low}, {"high", x.high}};
  s.inputs = {x};
  s.outputs = {{"out", DType::kInt32, {r.p_size, r.f_size}}};
  s.model_flops = [](const HostTensors&) { return 0.0; };
  s.rtol = 0;  // integer results: exact
  s.atol = 0;
  s.reference = [floor](const HostTensors& in) {
    ref::HostTensor out = in.at("x");
    for (double& v : out.data)
      v = floor ? std::floor(v) : std::ceil(v);
    return HostTensors{{"out", std::move(out)}};
  };
  return s;
}

std::vector<std::string> kernel_names() {
  return {"attention_cte",
          "attention_segmented_cte",
          "matmul",
          "floor_nisa_kernel",
          "ceil_nisa_kernel",
          "collective",
          "kv_parallel_segmented_prefill",
          "ring_attention_spmd_fwd",
          "program"};
}

KernelSetup setup_kernel(const std::string& kernel, const JsonObject& params, const isa::MemoryLimits& limits,
                         int32_t neuron_core_version) {
  if (kernel == "attention_cte")
    return setup_attention_cte(params, limits);
  if (kernel == "attention_segmented_cte")
    return setup_attention_segmented_cte(params, limits);
  if (kernel == "matmul")
    return setup_matmul(params, limits);
  if (kernel == "floor_nisa_kernel" || kernel == "ceil_nisa_kernel")
    return setup_rounding(kernel, params, limits);
  if (kernel == "collective")
    return setup_collective_benchmark(params, limits);
  if (kernel == "kv_parallel_segmented_prefill")
    return setup_kv_parallel_prefill(params, limits);
  if (kernel == "ring_attention_spmd_fwd")
    return setup_ring_attention(params, limits, neuron_core_version);
  if (kernel == "program")
    return setup_program(params, limits);
  std::string names;
  for (const auto& n : kernel_names())
    names += (names.empty() ? "" : ", ") + n;
  throw ConfigError(params.file() + ": $.kernel: unknown kernel \"" + kernel + "\" (known: " + names + ")");
}

}  // namespace tn::cli
