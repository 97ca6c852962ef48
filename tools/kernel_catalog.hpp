// What the CLI knows about each kernel: how to read its parameters from a run config (accepting the
// field names of shared/reference/attention_cte_cases.json), which HBM tensors it takes and returns,
// how to build its programs, and its float64 reference and tolerances.
#pragma once
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "isa/program.hpp"
#include "isa/validator.hpp"
#include "kernels/reference/host_tensor.hpp"
#include "sim/sc/timed_run.hpp"
#include "tools/json_reader.hpp"
#include "tools/run_estimate.hpp"

namespace tn::cli {

// How a seeded run fills an input that no `inputs.files` entry overrides. Tensors are filled in the
// kernel's input order from ONE NumPy legacy generator seeded with `inputs.seed` (kernels.md §2.2).
enum class InputFill {
  kRandomSample,    // np.random.random_sample(shape): uniform [0, 1), one draw per element
  kStandardNormal,  // np.random.randn(*shape): the legacy polar Box-Muller normal, same generator
  kUniform,  // np.random.uniform(low, high, shape) = low + (high - low) * random_sample(), same generator
  kValues,   // `values` as given, no draw (runtime parameters, sequence-packing bounds)
};

struct TensorInfo {
  TensorInfo() = default;
  TensorInfo(std::string name_, DType dtype_, std::vector<int64_t> shape_)
      : name(std::move(name_)), dtype(dtype_), shape(std::move(shape_)) {}

  std::string name;
  DType dtype = DType::kFloat32;
  std::vector<int64_t> shape;
  InputFill fill = InputFill::kRandomSample;  // inputs only
  double low = 0, high = 1;                   // kUniform
  // Drawn values (not `values` or files) are multiplied by this before rounding to the dtype: a caller's
  // pre-scaling, e.g. of ring attention's q in causal mode (kernels.md §5.4).
  double scale = 1;
  std::vector<double> values;  // kValues: numel(shape) values, row-major
};

using HostTensors = std::map<std::string, ref::HostTensor>;

// A runtime input value outside the kernel's documented domain (KernelSetup::check_inputs): the message
// names the element, its value and the rule; `inputs` are the tensors it judged, so the caller can name
// where their values came from (files of `inputs.files`, or the params).
class InputValueError : public std::invalid_argument {
 public:
  InputValueError(std::vector<std::string> inputs_, const std::string& what)
      : std::invalid_argument(what), inputs(std::move(inputs_)) {}
  std::vector<std::string> inputs;
};

// A value as an error message shows it: -5, 1.5, 16777217, nan.
std::string number_text(double v);

struct KernelSetup {
  std::string kernel;
  nlohmann::json params;  // as resolved (defaults filled in)
  bool expect_failure = false;
  std::string failure;                 // when the kernel rejected the parameters: why
  std::vector<isa::Program> programs;  // one per NeuronCore
  std::vector<TensorInfo> inputs;      // in the order random inputs are drawn (kernels.md §2.2)
  std::vector<TensorInfo> outputs;
  // The useful FLOPs of a run (the basis of MFU), which may depend on runtime inputs such as masks.
  // A run without numerics passes only the inputs of fixed values (runtime parameters such as a mask's
  // bounds or a length: InputFill::kValues); it draws no random data.
  std::function<double(const HostTensors& inputs)> model_flops;
  double rtol = 0, atol = 0;
  // Outputs compared with other tolerances than rtol / atol: name -> {rtol, atol}.
  std::map<std::string, std::pair<double, double>> output_tolerances;
  // Checks the runtime values among the run's inputs (lengths, offsets, bounds, block tables: drawn from
  // the params or read from files) against the kernel's documented domain before anything runs, throwing
  // InputValueError. Inputs a run without numerics does not draw are absent. May be empty.
  std::function<void(const HostTensors& inputs)> check_inputs;
  // Expected outputs in float64 from the inputs' values (already rounded to their dtypes).
  std::function<HostTensors(const HostTensors& inputs)> reference;

  // Multi-rank kernels (collectives): `ranks` ranks run `programs`, each with its own HBM. `inputs` are
  // then drawn once for the whole launch, as the kernel's tests draw them, and split_inputs gives each
  // rank's inputs (named and shaped as `rank_inputs`, the programs' input tensors); `outputs` are each
  // rank's, and rank_reference gives each rank's expected outputs from the drawn inputs. Files go to
  // DIR/inputs/rank<r>/ and DIR/outputs/rank<r>/.
  bool per_rank = false;
  uint32_t ranks = 1;
  std::vector<TensorInfo> rank_inputs;
  // Splits the tensors `drawn` holds (a run without numerics draws only some).
  std::function<std::vector<HostTensors>(const HostTensors& drawn)> split_inputs;
  std::function<std::vector<HostTensors>(const HostTensors& drawn)> rank_reference;

  // A kernel's own section of the timing summary, from the generic one (e.g. ring attention's per-step
  // exposed communication): timing[report_name] = timing_report(timing).
  std::string report_name;
  std::function<nlohmann::json(const nlohmann::json& timing, const sc::TimedRunResult& run)> timing_report;
};

std::vector<std::string> kernel_names();
struct KernelParamTable;
// A kernel's parameters, defaults and constraints (tools/kernel_params.hpp); nullptr for an unknown name.
const KernelParamTable* kernel_param_table(const std::string& kernel);

// attention_cte's sequence-packing bounds for `n` packed sequences over seqlen_q rows (kernels.md §2.2,
// test_attention_cte_seq_pack_unit), as this CLI generates them, in NumPy terms:
//   rs = np.random.RandomState(42)        # its own generator: the q/k/v/sink draws are not disturbed
//   pts = np.sort(rs.rand(n - 1))         # partition points in [0, 1)
//   lens = np.diff([0, *pts, 1]) * Sq     # segment lengths
//   lens[:-1] = np.round(lens[:-1])       # round half to even; the last segment absorbs the remainder:
//   lens[-1] = Sq - lens[:-1].sum()       # (segment ends are clamped to Sq should rounding overshoot)
//   start = cumsum([0, *lens[:-1]]); bound_min[i] = start[s], bound_max[i] = start[s] + lens[s] for the
//   segment s holding row i.
// Returns {bound_min, bound_max}, each seqlen_q values (stored as fp32 (Sq, 1)).
std::pair<std::vector<double>, std::vector<double>> attention_packing_bounds(int64_t seqlen_q, int64_t n);

// Called with a kernel's estimate once its parameters are checked and before its programs are built (it
// throws to refuse the run: tools/run_estimate.hpp's check_fits).
using EstimateCheck = std::function<void(const RunEstimate&)>;

// Reads `params` (a JSON object at `params.path()`) for `kernel` and builds everything. Bad keys or
// values throw ConfigError naming the JSON path; parameters the kernel rejects throw ConfigError too,
// unless the params say expect_failure, in which case `failure` holds the reason.
// `neuron_core_version` is the hardware's generation (configs/hw chip.neuron_core_version), for kernels
// that refuse some; `before_build`, if given, sees the run's estimate before any program is built.
KernelSetup setup_kernel(const std::string& kernel, const JsonObject& params, const isa::MemoryLimits& limits,
                         int32_t neuron_core_version = 3, const EstimateCheck& before_build = {});

}  // namespace tn::cli
