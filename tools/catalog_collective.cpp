// The `collective` kernel in the CLI (kernels/collective_benchmark.hpp): one collective over the ranks of a
// replica group, nccl-tests style. Its reference is the collective's definition: the bytes must match
// exactly.
#include <algorithm>

#include "kernels/collective_benchmark.hpp"
#include "kernels/reference/numpy_random.hpp"
#include "tools/catalog_entries.hpp"

namespace tn::cli {

namespace {

const KernelParamTable kTable{
    "collective",
    "one collective over the ranks of a replica group, nccl-tests style (kernels/collective_benchmark.hpp): "
    "checked byte for byte, timed over the links (collectives.md)",
    {
        ParamSpec::choice("kind", {"all_gather", "all_to_all", "permute"})
            .defaults("all_gather")
            .about("the collective (permute: each rank sends to the next in its group)"),
        ParamSpec::integer("bytes")
            .within({1, int64_t{1} << 30})
            .about("each rank's source bytes, a multiple of the dtype's size"),
        ParamSpec::dtype("dtype").defaults("float32").about(
            "a float dtype (sources are drawn uniform in [0, 1))"),
        ParamSpec::integer("ranks").within({1, 4096}).about("ranks of the launch"),
        ParamSpec::rank_lists("replica_groups")
            .unset_by_default()
            .about("groups of ranks in 0..ranks-1, e.g. [[0, 4], [1, 5]]; unset: one group of every rank"),
        ParamSpec::integer("lnc")
            .defaults(1)
            .within(kInt32Range)
            .about("logical NeuronCore: 1 or 2 physical cores"),
    },
    {{"kind", "all_gather"}, {"bytes", 65536}, {"ranks", 4}}};

}  // namespace

const KernelParamTable& collective_benchmark_params() { return kTable; }

KernelSetup setup_collective_benchmark(const ParamReader& r, const KernelContext& context) {
  const JsonObject& p = r.object();
  kernels::CollectiveBenchmarkParams c;
  const std::string kind = r.get_choice("kind");
  c.kind = kind == "all_gather"   ? kernels::CollectiveBenchKind::kAllGather
           : kind == "all_to_all" ? kernels::CollectiveBenchKind::kAllToAll
                                  : kernels::CollectiveBenchKind::kPermute;
  c.dtype = r.get_dtype("dtype");
  if (!dtype_is_float(c.dtype))
    p.fail("dtype", "expected a float dtype (the inputs are drawn uniform in [0, 1))");
  const int64_t bytes = r.get_int("bytes");
  if (bytes % dtype_size(c.dtype) != 0)
    p.fail("bytes", "must be a multiple of the dtype's " + std::to_string(dtype_size(c.dtype)) + " bytes");
  c.elements = bytes / dtype_size(c.dtype);
  c.ranks = r.get_int("ranks");
  c.lnc = static_cast<int32_t>(r.get_int("lnc"));
  if (r.has("replica_groups")) {
    const auto& rows = r.raw("replica_groups", ParamType::kRankLists);
    if (!rows.is_array() || rows.empty())
      p.fail("replica_groups", "expected a list of rank lists, e.g. [[0, 4], [1, 5], [2, 6], [3, 7]]");
    for (const auto& row : rows) {
      if (!row.is_array() || row.empty())
        p.fail("replica_groups", "expected a list of rank lists, e.g. [[0, 4], [1, 5], [2, 6], [3, 7]]");
      std::vector<int32_t> ranks;
      for (const auto& rank : row) {
        if (!rank.is_number_integer() || rank.get<int64_t>() < 0 || rank.get<int64_t>() >= c.ranks)
          p.fail("replica_groups", "ranks must be integers in 0.." + std::to_string(c.ranks - 1));
        ranks.push_back(int32_t(rank.get<int64_t>()));
      }
      c.group.push_back(std::move(ranks));
    }
  }
  KernelSetup s;
  s.kernel = "collective";
  try {
    s.programs = kernels::build_collective_benchmark(c, context.limits);
  } catch (const kernels::KernelParamError& e) {
    throw kernel_param_error(r, e.what(), "collective: ");
  }
  const isa::ReplicaGroup group = c.effective_group();
  s.params = {{"kind", kind},     {"bytes", bytes}, {"dtype", dtype_name(c.dtype)},
              {"ranks", c.ranks}, {"lnc", c.lnc},   {"replica_groups", group}};
  s.per_rank = true;
  s.ranks = uint32_t(c.ranks);
  // Drawn once: every rank's source, row r for rank r.
  TensorInfo all("src", c.dtype, {c.ranks, c.elements});
  s.inputs = {all};
  s.rank_inputs = {{"src", c.dtype, {c.elements}}};
  s.outputs = {{"dst", c.dtype, {c.dst_elements()}}};
  // The programs are a few instructions per rank; the tensors are what can outgrow the machine (512 ranks
  // all-gathering 4 MiB each hold 512 x 2 GiB of results). Checked before anything is drawn.
  std::vector<std::pair<std::string, int64_t>> drivers = {{"ranks", c.ranks}};
  if (c.kind == kernels::CollectiveBenchKind::kAllGather)
    drivers.push_back({"group size", int64_t(group.front().size())});
  drivers.push_back({"bytes", bytes});
  context.estimate_built(s, product_text(drivers));
  const int64_t n = c.elements;
  s.split_inputs = [n, ranks = c.ranks](const HostTensors& drawn) {
    std::vector<HostTensors> out(static_cast<size_t>(ranks));
    if (!drawn.count("src"))
      return out;  // not drawn (a run without numerics)
    const auto& d = drawn.at("src").data;
    for (int64_t r = 0; r < ranks; ++r)
      out[size_t(r)]["src"] = ref::HostTensor{{n}, {d.begin() + r * n, d.begin() + (r + 1) * n}};
    return out;
  };
  s.model_flops = [](const HostTensors&) { return 0.0; };
  s.rtol = 0;  // bytes move exactly
  s.atol = 0;
  s.rank_reference = [c, group, n](const HostTensors& drawn) {
    const auto& d = drawn.at("src").data;
    const auto src_of = [&](int32_t r) { return d.begin() + int64_t(r) * n; };
    std::vector<HostTensors> out(static_cast<size_t>(c.ranks));
    for (const auto& row : group) {
      const int64_t g = int64_t(row.size());
      for (int64_t pos = 0; pos < g; ++pos) {
        ref::HostTensor t = ref::HostTensor::zeros({c.dst_elements()});
        if (c.kind == kernels::CollectiveBenchKind::kAllGather) {
          for (int64_t j = 0; j < g; ++j)
            std::copy(src_of(row[size_t(j)]), src_of(row[size_t(j)]) + n, t.data.begin() + j * n);
        } else if (c.kind == kernels::CollectiveBenchKind::kAllToAll) {
          const int64_t chunk = n / g;
          for (int64_t j = 0; j < g; ++j)  // chunk j of mine = chunk `pos` of member j's source
            std::copy(src_of(row[size_t(j)]) + pos * chunk, src_of(row[size_t(j)]) + (pos + 1) * chunk,
                      t.data.begin() + j * chunk);
        } else {
          const int32_t pred = row[size_t((pos + g - 1) % g)];
          std::copy(src_of(pred), src_of(pred) + n, t.data.begin());
        }
        out[size_t(row[size_t(pos)])]["dst"] = std::move(t);
      }
    }
    return out;
  };
  return s;
}

}  // namespace tn::cli
