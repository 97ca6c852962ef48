// attention_cte in the CLI (kernels.md §1-§2): its parameter table, the runtime inputs a run feeds it
// (prior length, cp_offset, sequence-packing bounds, sink), its float64 reference and the tests' tolerances.
#include <algorithm>
#include <cmath>
#include <optional>
#include <tuple>

#include "kernels/attention_cte.hpp"
#include "kernels/attention_cte_reference_params.hpp"
#include "kernels/reference/max_all_close.hpp"
#include "kernels/reference/numpy_random.hpp"
#include "tools/catalog_entries.hpp"

namespace tn::cli {

namespace {

// By the field names of attention_cte_cases.json, so a case runs by pasting it; its bookkeeping fields are
// accepted. The rules quoted are the kernel's own (check_attention_cte_params, kernels.md §1.3).
const KernelParamTable kTable{
    "attention_cte",
    "causal / masked flash attention over one context (kernels.md §1): out = softmax(scale * q k^T) v",
    {
        ParamSpec::integer("bs").defaults(1).about("batch x query heads (1..512)"),
        ParamSpec::integer("bs_kv").derived_from("bs").about("batch x KV heads; divides bs (GQA)"),
        ParamSpec::integer("gqa_group").unset_by_default().about("if given, must equal bs / bs_kv"),
        ParamSpec::integer("seqlen_q").about("query length (1..131072)"),
        ParamSpec::integer("seqlen_kv").about("key/value length; seqlen_kv + prior_len <= 131072"),
        ParamSpec::integer("d").about("head dimension (1..128)"),
        ParamSpec::dtype("dtype").defaults("bfloat16").about("q, k, v and out: bfloat16, float16 or float32"),
        ParamSpec::number("scale").defaults(1.0).about(
            "softmax scale; must be 1.0 with sliding window, prefix caching, context parallelism or packing"),
        ParamSpec::boolean("causal").defaults(true).about("causal mask"),
        ParamSpec::integer("sliding_window")
            .defaults(0)
            .about("W > 0 hides keys at or before q_pos - W (needs causal; 0..131072)"),
        ParamSpec::integer("prior_len")
            .defaults(0)
            .about("prefix caching: rows of k_prior / v_prior (0: none)"),
        ParamSpec::integer("prior_used_len")
            .derived_from("prior_len")
            .about("the runtime prior length, 0..prior_len (an int32 input)"),
        ParamSpec::boolean("sink").defaults(false).about(
            "a learned sink logit per row (an fp32 input, uniform 15..25)"),
        ParamSpec::integer("cp_degree")
            .defaults(1)
            .about("context parallelism degree (1..32; > 1 needs causal); null or 1: none"),
        ParamSpec::integer("cp_rank_id")
            .unset_by_default()
            .about(
                "this rank, 0..cp_degree-1: derives cp_offset (strided: rank; contiguous: rank * seqlen_q)"),
        ParamSpec::boolean("cp_strided_q_slicing")
            .defaults(false)
            .about("strided Q slicing (needs cp_degree > 1)"),
        ParamSpec::boolean("cp_striped_input")
            .defaults(false)
            .about("striped K/V (ring attention's layout; needs cp_degree > 1, no strided slicing, window or "
                   "prior)"),
        ParamSpec::integer("cp_offset")
            .unset_by_default()
            .within(kInt32Range)
            .about("the runtime position offset of this rank's queries (an input); given, or derived from "
                   "cp_rank_id"),
        ParamSpec::dtype("cp_offset_dtype").defaults("int32").about("the cp_offset tensor: int32 or float32"),
        ParamSpec::boolean("skip_output_normalization")
            .defaults(false)
            .about("return the unnormalised out and the raw sum out_sum (needs cache_softmax)"),
        ParamSpec::boolean("tp_q").defaults(true).about(
            "true: q is (bs, seqlen_q, d), transposed by the kernel; false: (bs, d, seqlen_q)"),
        ParamSpec::boolean("tp_k").defaults(false).about(
            "true: k is (bs_kv, seqlen_kv, d), transposed by the kernel; false: (bs_kv, d, seqlen_kv)"),
        ParamSpec::boolean("tp_out").defaults(false).about(
            "true: out is (bs, d, seqlen_q); false: (bs, seqlen_q, d)"),
        ParamSpec::boolean("cache_softmax")
            .defaults(false)
            .about("also return out_neg_max and out_sum_recip (needs seqlen_q % 128 == 0)"),
        ParamSpec::integer("n_packed_sequences")
            .unset_by_default()
            .about("sequence packing: n sequences (1..seqlen_q) in seqlen_q rows; excludes prior and CP"),
        ParamSpec::dtype("softmax_dtype")
            .defaults("float32")
            .about("the softmax statistics: float32, bfloat16 or float16"),
        ParamSpec::dtype("mm_out_dtype")
            .defaults("float32")
            .about("PSUM output; trn2 accumulates in float32 only"),
        ParamSpec::integer("lnc")
            .defaults(1)
            .within(kInt32Range)
            .about("logical NeuronCore: 1 or 2 physical cores"),
        ParamSpec::boolean("expect_failure")
            .defaults(false)
            .about("the case expects the kernel to refuse these parameters: the run passes if it does"),
        ParamSpec::integer("num_kv_sections")
            .unset_by_default()
            .about("if given, checked against the kernel's flash sections (kernels.md §1.4)"),
        ParamSpec::integer("kv_len_loaded_incl_prior_pad")
            .unset_by_default()
            .about("if given, checked: align512(prior_len) + the active K length (kernels.md §1.4)"),
        ParamSpec::metadata("test", "the case's test family"),
        ParamSpec::metadata("idx", "the case's index"),
        ParamSpec::metadata("validated", "whether the case was validated on hardware"),
    },
    {{"seqlen_q", 512}, {"seqlen_kv", 512}, {"d", 64}, {"scale", 0.125}}};

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
  return kTable.find(kernel_param) != nullptr ? kernel_param : "";
}

// The runtime values' domain (kernels.md §1.1-§1.2): each rule as text naming the value, "" inside it. The
// params' values and the input files' are judged by the same rules.
std::string prior_used_len_problem(const kernels::AttentionCteParams& a, double v) {
  if (v >= 0 && v <= static_cast<double>(a.seqlen_prior))
    return "";
  return "the runtime prior length " + number_text(v) + " must be in 0..prior_len (" +
         std::to_string(a.seqlen_prior) + ")";
}

std::string cp_offset_problem(const kernels::AttentionCteParams& a, double v) {
  const std::string value = "cp_offset " + number_text(v);
  if (v != std::floor(v))
    return value + " is no whole position offset (query positions are integers)";
  if (a.cp_striped_input) {
    if (v == 0 || v == -1)
      return "";
    return value +
           ": striped input takes 0 (this rank's queries at or after the key rank's) or -1 (kernels.md §5.1)";
  }
  if (a.cp_strided_q_slicing) {
    if (v >= 0 && v < static_cast<double>(a.global_cp_deg))
      return "";
    return value +
           ": with strided Q slicing query i sits at i * cp_degree + cp_offset, so cp_offset is the rank, "
           "0.." +
           std::to_string(a.global_cp_deg - 1) + " (kernels.md §1.2)";
  }
  // A query before every key (cp_offset + first position < 0) has no reference value (0 / 0): refused unless
  // prior keys or a sink give it something to attend to.
  if (a.causal && v < 0 && !a.sink && a.seqlen_prior == 0) {
    return value +
           " leaves query 0 without a visible key, where the reference is 0 / 0 (the kernel returns "
           "neg_max = FLT_MAX there, a zero weight for a caller's merge)";
  }
  // The kernel loads the window's keys from k_off = cp_offset - (loaded - seqlen_q) on (kernels.md §1.6),
  // which stays inside K only while cp_offset + seqlen_q <= seqlen_kv.
  if (a.sliding_window > 0 && v > static_cast<double>(a.seqlen_kv - a.seqlen_q)) {
    return value +
           " is past the keys: with a sliding window the kernel loads K from a runtime offset, "
           "which stays inside K only for cp_offset <= seqlen_kv - seqlen_q = " +
           std::to_string(a.seqlen_kv - a.seqlen_q) + " (kernels.md §1.6)";
  }
  return "";
}

// Row i of a packed sequence sees the keys j with bound_min[i] <= j < bound_max[i] (and j <= i if causal).
std::string packing_bounds_problem(const kernels::AttentionCteParams& a, const std::vector<double>& lo,
                                   const std::vector<double>& hi) {
  for (size_t i = 0; i < lo.size() && i < hi.size(); ++i) {
    std::string row = "bound_min, bound_max[";
    row += std::to_string(i) + "] = " + number_text(lo[i]) + ", " + number_text(hi[i]);
    if (lo[i] != std::floor(lo[i]) || hi[i] != std::floor(hi[i]))
      return row + ": bounds are key indices, whole numbers";
    const bool sees_key = lo[i] >= 0 && lo[i] < hi[i] && hi[i] <= static_cast<double>(a.seqlen_kv) &&
                          (!a.causal || lo[i] <= static_cast<double>(i));
    if (!sees_key) {
      return row + ": row " + std::to_string(i) +
             " must see a key: 0 <= bound_min < bound_max <= seqlen_kv (" + std::to_string(a.seqlen_kv) +
             ")" + (a.causal ? " and bound_min <= the row's position" : "") +
             " (kernels.md §1.2: key j is masked iff j < bound_min or j >= bound_max)";
    }
  }
  return "";
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

}  // namespace

const KernelParamTable& attention_cte_params() { return kTable; }

KernelSetup setup_attention_cte(const ParamReader& r, const KernelContext& context) {
  const JsonObject& p = r.object();
  kernels::AttentionCteParams a;
  a.bs = r.get_int("bs");
  a.bs_kv = r.get_int("bs_kv", a.bs);
  a.seqlen_q = r.get_int("seqlen_q");
  a.seqlen_kv = r.get_int("seqlen_kv");
  a.d = r.get_int("d");
  a.dtype = r.get_dtype("dtype");
  a.scale = r.get_number("scale");
  a.causal = r.get_bool("causal");
  a.tp_q = r.get_bool("tp_q");
  a.tp_k = r.get_bool("tp_k");
  a.tp_out = r.get_bool("tp_out");
  a.lnc = static_cast<int32_t>(r.get_int("lnc"));
  // The features (kernels.md §1.1-§1.2). What combinations are legal is the kernel's business
  // (check_attention_cte_params); here only what the CLI itself needs to turn a case into tensors.
  a.sliding_window = r.get_int("sliding_window");
  a.sink = r.get_bool("sink");
  a.cache_softmax = r.get_bool("cache_softmax");
  a.softmax_dtype = r.get_dtype("softmax_dtype");
  a.mm_out_dtype = r.get_dtype("mm_out_dtype");
  a.seqlen_prior = r.get_int("prior_len");
  a.global_cp_deg = r.get_int("cp_degree");
  a.cp_strided_q_slicing = r.get_bool("cp_strided_q_slicing");
  a.cp_striped_input = r.get_bool("cp_striped_input");
  a.cp_offset_dtype = r.get_dtype("cp_offset_dtype");
  a.skip_output_normalization = r.get_bool("skip_output_normalization");
  if (a.global_cp_deg == 1) {
    // One rank (the cases' cp_degree 1 rows): q positions are 0..Sq-1, strided or not (q_pos = i * 1), and
    // anything else cannot reach the kernel, which has no cp_offset input then. So this is no CP at all.
    a.cp_strided_q_slicing = false;
  }
  a.sequence_packing = r.has("n_packed_sequences");

  KernelSetup s;
  s.kernel = "attention_cte";
  s.expect_failure = r.get_bool("expect_failure");
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
  if (r.has("gqa_group") && r.get_int("gqa_group") != a.bs / a.bs_kv) {
    p.fail("gqa_group", "must equal bs / bs_kv = " + std::to_string(a.bs) + " / " + std::to_string(a.bs_kv));
  }

  // Prefix caching: prior_len rows of k_prior / v_prior, of which the runtime prior_used_len are used.
  std::optional<int64_t> prior_used_len;
  if (a.seqlen_prior != 0) {
    prior_used_len = r.get_int("prior_used_len", a.seqlen_prior);  // default: the whole prior is used
    if (const std::string problem = prior_used_len_problem(a, static_cast<double>(*prior_used_len));
        !problem.empty()) {
      p.fail("prior_used_len", problem);
    }
  } else if (r.has("prior_used_len") && r.get_int("prior_used_len", 0) != 0) {
    p.fail("prior_used_len", "needs prior_len > 0 (the k_prior / v_prior length)");
  }

  // Context parallelism: cp_degree null or 1 = none. The runtime cp_offset (an int32 tensor) is given, or
  // derived from the rank (kernels.md §1.2, §2.2): strided -> rank, contiguous -> rank * seqlen_q.
  std::optional<int64_t> cp_offset;
  if (a.has_cp()) {
    std::optional<int64_t> derived;
    if (r.has("cp_rank_id")) {
      if (a.cp_striped_input)
        p.fail("cp_rank_id",
               "striped input takes cp_offset itself: 0 when this rank's queries come at or "
               "after the key rank's, -1 before (kernels.md §5.1)");
      const int64_t rank = r.get_int_within("cp_rank_id", {0, a.global_cp_deg - 1});
      derived = a.cp_strided_q_slicing ? rank : rank * a.seqlen_q;
    }
    if (r.has("cp_offset")) {
      cp_offset = r.get_int("cp_offset");
      if (derived && *derived != *cp_offset) {
        p.fail("cp_offset", std::to_string(*cp_offset) + " disagrees with cp_rank_id " +
                                std::to_string(r.get_int("cp_rank_id")) +
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
    if (const std::string problem = cp_offset_problem(a, static_cast<double>(*cp_offset)); !problem.empty())
      p.fail("cp_offset", problem);
  } else {
    if (r.has("cp_rank_id") && r.get_int("cp_rank_id") != 0)
      p.fail("cp_rank_id", "must be 0 (or null) without context parallelism (cp_degree null or 1)");
    if (r.has("cp_offset") && r.get_int("cp_offset") != 0)
      p.fail("cp_offset", "must be 0 (or null) without context parallelism (cp_degree null or 1)");
  }

  // Sequence packing: n packed sequences -> bound_min / bound_max (attention_packing_bounds).
  const int64_t n_packed = a.sequence_packing ? r.get_int_within("n_packed_sequences", {1, a.seqlen_q}) : 0;

  // The derivation behind the cases' metadata, checked against all 230 cases.
  const kernels::AttentionCteKvLayout layout = kernels::attention_cte_kv_layout(a);
  if (r.has("num_kv_sections") && r.get_int("num_kv_sections") != layout.num_sections) {
    p.fail("num_kv_sections", "the case says " + std::to_string(r.get_int("num_kv_sections")) +
                                  " flash sections; attention_cte derives " +
                                  std::to_string(layout.num_sections) + " (kernels.md §1.4)");
  }
  if (r.has("kv_len_loaded_incl_prior_pad") && r.get_int("kv_len_loaded_incl_prior_pad") != layout.total) {
    p.fail("kv_len_loaded_incl_prior_pad", "the case says " +
                                               std::to_string(r.get_int("kv_len_loaded_incl_prior_pad")) +
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
  // The work grows with every query-key pair of every batch row (the tensors only with (Sq + 2 Skv) d).
  context.estimate_before_build(
      s,
      product_text({{"bs", a.bs},
                    {"seqlen_q", a.seqlen_q},
                    {a.has_prior() ? "(seqlen_kv + prior_len)" : "seqlen_kv", a.seqlen_kv + a.seqlen_prior}}),
      kernels::attention_cte_instruction_estimate(a));
  try {
    s.programs = kernels::build_attention_cte(a, context.limits);
  } catch (const kernels::KernelParamError& e) {
    if (!s.expect_failure)
      throw kernel_param_error(p, e.what(), "attention_cte: ", attention_json_key);
    s.failure = e.what();
    return s;
  }
  // QK^T and PV over the pairs the masks leave visible, with this run's runtime values.
  s.model_flops = [a](const HostTensors& in) {
    return 4.0 * static_cast<double>(a.d) *
           static_cast<double>(ref::attention_cte_visible_pairs(kernels::reference_params(a),
                                                                attention_reference_inputs(in)));
  };
  // A file may give any of the runtime values: each is judged by the rule its param is.
  s.check_inputs = [a](const HostTensors& in) {
    const auto value = [&](const char* name) -> const ref::HostTensor* {
      const auto it = in.find(name);
      return it == in.end() || it->second.data.empty() ? nullptr : &it->second;
    };
    if (const ref::HostTensor* t = value("prior_used_len")) {
      if (const std::string problem = prior_used_len_problem(a, t->data[0]); !problem.empty())
        throw InputValueError({"prior_used_len"}, "prior_used_len: " + problem);
    }
    if (const ref::HostTensor* t = value("cp_offset")) {
      if (const std::string problem = cp_offset_problem(a, t->data[0]); !problem.empty())
        throw InputValueError({"cp_offset"}, problem);
    }
    const ref::HostTensor *lo = value("bound_min"), *hi = value("bound_max");
    if (lo != nullptr && hi != nullptr) {
      if (const std::string problem = packing_bounds_problem(a, lo->data, hi->data); !problem.empty())
        throw InputValueError({"bound_min", "bound_max"}, problem);
    }
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

}  // namespace tn::cli
