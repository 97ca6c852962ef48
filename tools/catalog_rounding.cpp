// floor_nisa_kernel / ceil_nisa_kernel in the CLI: attention_segmented_cte's rounding helpers run alone
// (kernels.md §3.2), on values where truncation and rounding differ, checked exactly.
#include <cmath>

#include "kernels/attention_cte.hpp"  // KernelParamError
#include "kernels/segmented/floor_ceil.hpp"
#include "tools/catalog_entries.hpp"

namespace tn::cli {

namespace {

std::vector<ParamSpec> rounding_params() {
  return {
      ParamSpec::integer("p_size").within(kInt32Range).about("partitions of x (1..128)"),
      ParamSpec::integer("f_size").about("elements per partition"),
      ParamSpec::number("low").defaults(-1000.0).about("x is drawn uniform in [low, high), within +-2^24"),
      ParamSpec::number("high").defaults(1000.0).about("see low")};
}
const nlohmann::json kExample = {{"p_size", 128}, {"f_size", 64}};
const KernelParamTable kFloorTable{
    "floor_nisa_kernel", "out (int32) = floor(x): attention_segmented_cte's helper (kernels.md §3.2)",
    rounding_params(), kExample};
const KernelParamTable kCeilTable{"ceil_nisa_kernel",
                                  "out (int32) = ceil(x): attention_segmented_cte's helper (kernels.md §3.2)",
                                  rounding_params(), kExample};

}  // namespace

const KernelParamTable& floor_nisa_kernel_params() { return kFloorTable; }
const KernelParamTable& ceil_nisa_kernel_params() { return kCeilTable; }

KernelSetup setup_rounding(const ParamReader& reader, const KernelContext& context) {
  const JsonObject& p = reader.object();
  const std::string& kernel = reader.table().kernel;
  const isa::MemoryLimits& limits = context.limits;
  kernels::RoundingKernelParams r;
  r.p_size = static_cast<int32_t>(reader.get_int("p_size"));
  r.f_size = reader.get_int("f_size");
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
  x.low = reader.get_number("low");
  x.high = reader.get_number("high");
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

}  // namespace tn::cli
