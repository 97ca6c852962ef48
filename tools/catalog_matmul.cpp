// matmul in the CLI: a tiled C = A^T^T B (kernels/matmul.hpp), its float64 reference and tolerance.
#include "kernels/matmul.hpp"
#include "tools/catalog_entries.hpp"

namespace tn::cli {

namespace {

const KernelParamTable kTable{
    "matmul",
    "C[M, N] = A[M, K] @ B[K, N] with A given transposed: trnsim's timing calibration case (PE-bound)",
    {ParamSpec::integer("m").about("rows of C, a multiple of 128"),
     ParamSpec::integer("k").about("the contraction, a multiple of 128"),
     ParamSpec::integer("n").about("columns of C, a multiple of 512"),
     ParamSpec::dtype("dtype").defaults("bfloat16").about("a_t and b (c is float32)")},
    {{"m", 256}, {"k", 256}, {"n", 512}}};

}  // namespace

const KernelParamTable& matmul_params() { return kTable; }

KernelSetup setup_matmul(const ParamReader& r, const KernelContext& context) {
  const JsonObject& p = r.object();
  kernels::MatmulParams m;
  m.m = r.get_int("m");
  m.k = r.get_int("k");
  m.n = r.get_int("n");
  m.dtype = r.get_dtype("dtype");
  KernelSetup s;
  s.kernel = "matmul";
  s.params = {{"m", m.m}, {"k", m.k}, {"n", m.n}, {"dtype", dtype_name(m.dtype)}};
  s.inputs = {{"a_t", m.dtype, {m.k, m.m}}, {"b", m.dtype, {m.k, m.n}}};
  s.outputs = {{"c", DType::kFloat32, {m.m, m.n}}};
  try {
    kernels::check_matmul_params(m, context.limits);
    context.estimate_before_build(s, product_text({{"m", m.m}, {"k", m.k}, {"n", m.n}}),
                                  kernels::matmul_instruction_estimate(m));
    s.programs.push_back(kernels::build_matmul(m, context.limits));
  } catch (const kernels::KernelParamError& e) {
    throw ConfigError(p.file() + ": " + p.path() + ": " + e.what());
  }
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

}  // namespace tn::cli
