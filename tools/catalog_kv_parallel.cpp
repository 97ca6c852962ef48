// kv_parallel_segmented_prefill in the CLI (kernels.md §4): run params by the API's names, the group's inputs
// drawn once as the kernel's tests draw them (randn, kernels.md §4.3) and sharded over the ranks, each
// rank's kvp_offset derived (-rank * local_kv_len + global_q_offset) unless given, and the float64
// reference of §4.1 with the tests' tolerance (rtol 5e-2, atol 1e-2).
#include <cmath>

#include "kernels/kv_parallel_prefill_reference_params.hpp"
#include "tools/catalog_entries.hpp"

namespace tn::cli {

namespace {

// The kernel's own rules quoted are check_kv_parallel_prefill_params's (kernels.md §4.1).
const KernelParamTable kTable{
    "kv_parallel_segmented_prefill",
    "prefill with the KV cache sharded over a group of ranks: each rank attends over its shard with "
    "attention_segmented_cte's KV-parallel mode, and the partials merge by all-to-all (kernels.md §4)",
    {
        ParamSpec::integer("group_size")
            .within({1, 4096})
            .about("NeuronCores of the group (its Q heads), a multiple of lnc"),
        ParamSpec::integer("lnc")
            .defaults(1)
            .within(kInt32Range)
            .about("cores per rank (1 or 2): group_size / lnc ranks"),
        ParamSpec::integer("seqlen")
            .within({1, int64_t{1} << 20})
            .about("Q tokens per head, a multiple of seg_size"),
        ParamSpec::integer("d").about("head dimension (1..128)"),
        ParamSpec::integer("block_size").about("tokens per cache block: a power of two dividing 512"),
        ParamSpec::integer("seg_size")
            .about("tokens per segment: a multiple of 128 and of block_size, <= 65536"),
        ParamSpec::integer("num_blocks")
            .within({1, int64_t{1} << 24})
            .about("cache blocks per rank: local_kv_len = num_blocks * block_size, at least seg_size"),
        ParamSpec::number("scale").defaults(1.0).about("softmax scale"),
        ParamSpec::integer("global_q_offset")
            .defaults(0)
            .about("the global position of Q token 0: a multiple of block_size"),
        ParamSpec::boolean("tp_out").defaults(false).about(
            "true: out is (lnc, d, seqlen) per rank; false: (lnc, seqlen, d)"),
        ParamSpec::int_list("kvp_offset")
            .derived_from("-rank * local_kv_len + global_q_offset, per rank")
            .about("each rank's runtime kvp_offset (a list of group_size / lnc integers)"),
    },
    {{"group_size", 2},
     {"seqlen", 512},
     {"d", 64},
     {"block_size", 64},
     {"seg_size", 256},
     {"num_blocks", 4},
     {"global_q_offset", 256},
     {"scale", 0.125}}};
constexpr double kKvpRtol = 5e-2, kKvpAtol = 1e-2;  // kernels.md §4.3

}  // namespace

const KernelParamTable& kv_parallel_prefill_params() { return kTable; }

KernelSetup setup_kv_parallel_prefill(const ParamReader& r, const KernelContext& context) {
  const JsonObject& p = r.object();
  kernels::KvParallelPrefillParams k;
  k.group_size = r.get_int("group_size");
  k.lnc = static_cast<int32_t>(r.get_int("lnc"));
  k.seqlen = r.get_int("seqlen");
  k.d = r.get_int("d");
  k.block_size = r.get_int("block_size");
  k.seg_size = r.get_int("seg_size");
  k.num_blocks = r.get_int("num_blocks");
  k.scale = r.get_number("scale");
  k.global_q_offset = r.get_int("global_q_offset");
  k.tp_out = r.get_bool("tp_out");
  KernelSetup s;
  s.kernel = "kv_parallel_segmented_prefill";
  try {
    kernels::check_kv_parallel_prefill_params(k);
  } catch (const kernels::KernelParamError& e) {
    throw kernel_param_error(r, e.what(), "kv_parallel_segmented_prefill: ");
  }
  const int64_t R = k.ranks(), L = k.local_kv_len(), S = k.seqlen, D = k.d;
  std::vector<double> offsets;
  if (r.has("kvp_offset")) {
    const auto& v = r.raw("kvp_offset", ParamType::kIntList);
    if (!v.is_array() || int64_t(v.size()) != R)
      p.fail("kvp_offset", "expected a list of " + std::to_string(R) + " integers, one per rank");
    for (const auto& x : v) {
      if (!x.is_number_integer() || std::llabs(x.get<int64_t>()) > (int64_t{1} << 24))
        p.fail("kvp_offset", "expected integers within +-2^24");
      offsets.push_back(double(x.get<int64_t>()));
    }
  } else {
    for (int64_t r = 0; r < R; ++r)
      offsets.push_back(double(-r * L + k.global_q_offset));  // the API doc's kvp_offset
  }
  s.params = {{"group_size", k.group_size},
              {"lnc", k.lnc},
              {"seqlen", S},
              {"d", D},
              {"block_size", k.block_size},
              {"seg_size", k.seg_size},
              {"num_blocks", k.num_blocks},
              {"local_kv_len", L},
              {"scale", k.scale},
              {"global_q_offset", k.global_q_offset},
              {"tp_out", k.tp_out},
              {"kvp_offset", offsets}};
  s.per_rank = true;
  s.ranks = uint32_t(R);
  // Drawn for the whole group, in the tests' order (kernels.md §4.3: randn, seed 42, bf16, one KV head):
  // q of every head, then every rank's K and V shards; the tables (sequential) and offsets are values.
  TensorInfo q("q", k.dtype, {k.group_size, S, D}),
      kc("k_cache", k.dtype, {R * k.num_blocks, 1, k.block_size, D}),
      vc("v_cache", k.dtype, {R * k.num_blocks, 1, k.block_size, D});
  q.fill = kc.fill = vc.fill = InputFill::kStandardNormal;
  TensorInfo tables("block_tables", DType::kInt32, {R, k.num_blocks}),
      kvp("kvp_offset", DType::kInt32, {R, 1});
  tables.fill = kvp.fill = InputFill::kValues;
  for (int64_t r = 0; r < R; ++r) {
    for (int64_t b = 0; b < k.num_blocks; ++b)
      tables.values.push_back(double(b));
  }
  kvp.values = offsets;
  s.inputs = {q, kc, vc, tables, kvp};
  for (const kernels::KernelTensor& t : kernels::kv_parallel_prefill_inputs(k))
    s.rank_inputs.push_back({t.name, t.dtype, t.shape});
  for (const kernels::KernelTensor& t : kernels::kv_parallel_prefill_outputs(k))
    s.outputs.push_back({t.name, t.dtype, t.shape});
  // Every core runs a segmented call per Q chunk over seg_size keys of its shard.
  context.estimate_before_build(
      s, product_text({{"group_size", k.group_size}, {"seqlen", k.seqlen}, {"seg_size", k.seg_size}}),
      kernels::kv_parallel_prefill_instruction_estimate(k));
  try {
    s.programs = kernels::build_kv_parallel_prefill(k, context.limits);
  } catch (const kernels::KernelParamError& e) {
    throw kernel_param_error(r, e.what(), "kv_parallel_segmented_prefill: ");
  }
  s.split_inputs = [k](const HostTensors& drawn) {
    const int64_t R = k.ranks(), S = k.seqlen, D = k.d, bs = k.block_size, nb = k.num_blocks;
    const auto slice = [](const ref::HostTensor& t, int64_t r, std::vector<int64_t> shape) {
      const int64_t n = ref::HostTensor::numel_of(shape);
      return ref::HostTensor{shape, {t.data.begin() + r * n, t.data.begin() + (r + 1) * n}};
    };
    const std::vector<std::pair<std::string, std::vector<int64_t>>> rank_shapes = {
        {"q", {k.lnc, S, D}},
        {"k_cache", {nb, 1, bs, D}},
        {"v_cache", {nb, 1, bs, D}},
        {"block_tables", {1, nb}},
        {"kvp_offset", {1, 1}}};
    std::vector<HostTensors> out(static_cast<size_t>(R));
    for (const auto& [name, shape] : rank_shapes) {
      if (!drawn.count(name))
        continue;  // not drawn (a run without numerics)
      for (int64_t r = 0; r < R; ++r)
        out[size_t(r)][name] = slice(drawn.at(name), r, shape);
    }
    return out;
  };
  s.model_flops = [k](const HostTensors&) {
    return 4.0 * double(k.d) * ref::kv_parallel_prefill_visible_pairs(kernels::reference_params(k));
  };
  s.rtol = kKvpRtol;
  s.atol = kKvpAtol;
  s.rank_reference = [k, split = s.split_inputs](const HostTensors& drawn) {
    std::vector<HostTensors> out;
    for (ref::HostTensor& t : kernels::kv_parallel_prefill_reference_for(k, split(drawn)))
      out.push_back({{"out", std::move(t)}});
    return out;
  };
  return s;
}

}  // namespace tn::cli
