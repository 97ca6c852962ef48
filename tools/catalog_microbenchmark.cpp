// The `microbenchmark` kernel in the CLI (kernels/microbenchmark.hpp): `count` instructions of one kind,
// to measure one published cost formula (bench/fidelity_report.cpp). Its reference is y == x exactly:
// every kind only copies (a float copy through the engines' fp32 pipeline is exact).
#include "kernels/attention_cte.hpp"
#include "kernels/microbenchmark.hpp"
#include "tools/catalog_entries.hpp"

namespace tn::cli {

namespace {

const KernelParamTable kTable{
    "microbenchmark",
    "count instructions of one kind between a load of x and a store to y == x, to measure one published "
    "cost formula (kernels/microbenchmark.hpp, bench/fidelity_report.cpp)",
    {ParamSpec::choice("kind", {"scalar_chain", "scalar_independent", "vector_chain", "vector_independent",
                                "gpsimd_independent", "dma_stream"})
         .about("chain: each copy reads the previous one's output (RAW-dependent); independent: all read "
                "the loaded tile; dma_stream: count HBM -> SBUF loads of x on one queue"),
     ParamSpec::integer("count").within({1, int64_t{1} << 20}).about("instructions of the kind"),
     ParamSpec::integer("partitions").defaults(1).within({1, 128}).about("partitions of x"),
     ParamSpec::integer("elements").defaults(1).within({1, 65536}).about("elements per partition of x"),
     ParamSpec::dtype("dtype").defaults("float32").about("x and y, a float dtype"),
     ParamSpec::choice("dge", {"none", "hwdge", "swdge"})
         .defaults("none")
         .about("descriptor generation of the queue that loads x (hardware.md §1.8): built before the run, "
                "by a hardware DGE block (v3+) or by GpSimd"),
     ParamSpec::choice("dge_trigger", {"Sync", "Scalar"})
         .defaults("Sync")
         .about("hwdge: the sequencer that commands the load queue's DGE block")},
    {{"kind", "scalar_chain"}, {"count", 100}}};

}  // namespace

const KernelParamTable& microbenchmark_params() { return kTable; }

KernelSetup setup_microbenchmark(const ParamReader& r, const KernelContext& context) {
  kernels::MicrobenchmarkParams m;
  m.kind = kernels::microbench_kind_from_name(r.get_choice("kind"));
  m.count = r.get_int("count");
  m.partitions = static_cast<int32_t>(r.get_int("partitions"));
  m.elements = r.get_int("elements");
  m.dtype = r.get_dtype("dtype");
  m.load_dge = *isa::dge_mode_from_name(r.get_choice("dge"));
  m.load_dge_trigger = *isa::engine_from_name(r.get_choice("dge_trigger"));
  KernelSetup s;
  s.kernel = "microbenchmark";
  s.params = {{"kind", std::string(kernels::microbench_kind_name(m.kind))},
              {"count", m.count},
              {"partitions", m.partitions},
              {"elements", m.elements},
              {"dtype", dtype_name(m.dtype)},
              {"dge", std::string(isa::dge_mode_name(m.load_dge))},
              {"dge_trigger", std::string(isa::engine_name(m.load_dge_trigger))}};
  s.inputs = {{"x", m.dtype, {m.partitions, m.elements}}};
  s.outputs = {{"y", m.dtype, {m.partitions, m.elements}}};
  try {
    kernels::check_microbenchmark_params(m, context.limits);
    context.estimate_before_build(s, product_text({{"count", m.count}}),
                                  kernels::microbenchmark_instruction_estimate(m));
    s.programs.push_back(kernels::build_microbenchmark(m, context.limits));
  } catch (const kernels::KernelParamError& e) {
    throw kernel_param_error(r, e.what(), "microbenchmark: ");
  }
  s.model_flops = [](const HostTensors&) { return 0.0; };
  s.rtol = 0;  // copies: exact
  s.atol = 0;
  s.reference = [](const HostTensors& in) {
    HostTensors out;
    out["y"] = in.at("x");
    return out;
  };
  return s;
}

}  // namespace tn::cli
