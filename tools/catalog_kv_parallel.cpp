// kv_parallel_segmented_prefill in the CLI (kernels.md §4): run params by the API's names, the group's inputs
// drawn once as the kernel's tests draw them (randn, kernels.md §4.3) and sharded over the ranks, each
// rank's kvp_offset derived (-rank * local_kv_len + global_q_offset) unless given, and the float64
// reference of §4.1 with the tests' tolerance (rtol 5e-2, atol 1e-2).
#include <cmath>

#include "kernels/kv_parallel_prefill_reference_params.hpp"
#include "tools/catalog_entries.hpp"

namespace tn::cli {

namespace {

const std::set<std::string> kKvpKeys = {"group_size", "lnc",        "seqlen",    "d",
                                        "block_size", "seg_size",   "scale",     "global_q_offset",
                                        "tp_out",     "num_blocks", "kvp_offset"};
constexpr double kKvpRtol = 5e-2, kKvpAtol = 1e-2;  // kernels.md §4.3

}  // namespace

KernelSetup setup_kv_parallel_prefill(const JsonObject& p, const isa::MemoryLimits& limits) {
  p.reject_unknown(kKvpKeys);
  kernels::KvParallelPrefillParams k;
  k.group_size = p.get_int("group_size", std::nullopt, {1, 4096});
  k.lnc = static_cast<int32_t>(p.get_int("lnc", 1, kInt32Range));
  k.seqlen = p.get_int("seqlen", std::nullopt, {1, int64_t{1} << 20});
  k.d = p.get_int("d");
  k.block_size = p.get_int("block_size");
  k.seg_size = p.get_int("seg_size");
  k.num_blocks = p.get_int("num_blocks", std::nullopt, {1, int64_t{1} << 24});
  k.scale = p.get_number("scale", 1.0);
  k.global_q_offset = p.get_int("global_q_offset", 0);
  k.tp_out = p.get_bool("tp_out", false);
  KernelSetup s;
  s.kernel = "kv_parallel_segmented_prefill";
  try {
    s.programs = kernels::build_kv_parallel_prefill(k, limits);
  } catch (const kernels::KernelParamError& e) {
    throw kernel_param_error(p, e.what(), "kv_parallel_segmented_prefill: ", kKvpKeys);
  }
  const int64_t R = k.ranks(), L = k.local_kv_len(), S = k.seqlen, D = k.d;
  std::vector<double> offsets;
  if (p.has("kvp_offset")) {
    const auto& v = p.raw("kvp_offset");
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
