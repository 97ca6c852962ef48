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
     ParamSpec::dtype("dtype").defaults("bfloat16").about("a_t and b (c is float32, or dtype when blocked)"),
     ParamSpec::choice("schedule", {"resident", "blocked"})
         .defaults("resident")
         .about(
             "resident: A^T kept in SBUF (m, k, n multiples of 128, 128, 512); blocked: the NKI tutorial's "
             "fully optimised kernel (multiples of 2048, 1024, 1024), C accumulated in SBUF in dtype")},
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
  const std::string schedule = r.get_choice("schedule");
  m.schedule = schedule == "blocked" ? kernels::MatmulSchedule::kBlocked : kernels::MatmulSchedule::kResident;
  KernelSetup s;
  s.kernel = "matmul";
  s.params = {{"m", m.m}, {"k", m.k}, {"n", m.n}, {"dtype", dtype_name(m.dtype)}, {"schedule", schedule}};
  s.inputs = {{"a_t", m.dtype, {m.k, m.m}}, {"b", m.dtype, {m.k, m.n}}};
  s.outputs = {{"c", m.c_dtype(), {m.m, m.n}}};
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
  if (m.schedule == kernels::MatmulSchedule::kBlocked && m.dtype != DType::kFloat32) {
    // C accumulates in SBUF in the input dtype: each of the K / 1024 additions of a block's partial sum
    // rounds to it, by at most its unit roundoff (2^-8 bf16, 2^-11 fp16) of a value no larger than the
    // result for these non-negative inputs (uniform in [0, 1)).
    const double unit_roundoff = m.dtype == DType::kBFloat16 ? 0x1p-8 : 0x1p-11;
    s.rtol = double(m.k / 1024) * unit_roundoff;
  }
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
