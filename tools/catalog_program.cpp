// The "program" kernel: a program JSON (what `trnsim disasm --json` writes, or an author's own generator
// emits) run as it is, with its inputs and expected outputs as .npy files and a tolerance, so that
// authors can check programs trnsim's kernels did not build.
#include <algorithm>

#include "isa/program_json.hpp"
#include "kernels/reference/npy.hpp"
#include "tools/catalog_entries.hpp"

namespace tn::cli {

namespace {

const KernelParamTable kTable{
    "program",
    "a program JSON (what `trnsim disasm --json` writes, or an author's generator emits) run as it is; its "
    "tensor declarations are the inputs and outputs",
    {
        ParamSpec::path("program").about("the program JSON: one program, or a list of two (LNC2)"),
        ParamSpec::path_map("expected")
            .unset_by_default()
            .about("each output's expected values as .npy files, {output: path}; unset: give check_numerics "
                   "false"),
        ParamSpec::number("rtol").defaults(2e-2).about("max-mode relative tolerance (>= 0)"),
        ParamSpec::number("atol").defaults(1e-5).about("absolute tolerance (>= 0)"),
    },
    nullptr};  // no example: the program comes from a file

}  // namespace

const KernelParamTable& program_params() { return kTable; }

KernelSetup setup_program(const ParamReader& r, const KernelContext& context) {
  const JsonObject& p = r.object();
  KernelSetup s;
  s.kernel = "program";
  const std::string file = r.get_path("program");
  nlohmann::json doc;
  try {
    doc = read_json_file(file);
  } catch (const std::exception& e) {
    p.fail("program", e.what());
  }
  // One program (one NeuronCore), or a list of them (one per core of an LNC2 launch).
  const nlohmann::json list = doc.is_array() ? doc : nlohmann::json::array({doc});
  if (list.empty() || list.size() > 2)
    p.fail("program", file + " holds " + std::to_string(list.size()) + " programs; give one, or two (LNC2)");
  for (size_t i = 0; i < list.size(); ++i) {
    try {
      s.programs.push_back(isa::program_from_json(list[i]));
    } catch (const std::exception& e) {
      p.fail("program", file + (doc.is_array() ? "[" + std::to_string(i) + "]" : "") + ": " + e.what());
    }
    if (s.programs.back().core_id != i)
      p.fail("program", file + ": program " + std::to_string(i) + " is for core " +
                            std::to_string(s.programs.back().core_id) +
                            "; list the cores' programs in order");
  }
  // The first core's declarations name the HBM tensors every core shares.
  for (const isa::TensorDecl& t : s.programs.front().tensors) {
    if (t.kind == isa::TensorKind::kInput)
      s.inputs.push_back({t.name, t.dtype, t.shape});  // drawn as random_sample unless inputs.files gives it
    else if (t.kind == isa::TensorKind::kOutput)
      s.outputs.push_back({t.name, t.dtype, t.shape});
  }
  if (s.outputs.empty())
    p.fail("program", file + " declares no output tensor: nothing to check or write");
  // Before any tensor is allocated: a declaration of 2^40 elements is refused, naming the largest tensor.
  std::vector<TensorInfo> scratch;
  const isa::TensorDecl* largest = nullptr;
  double largest_bytes = 0;
  for (const isa::Program& program : s.programs) {
    for (const isa::TensorDecl& t : program.tensors) {
      if (t.kind == isa::TensorKind::kInternal)
        scratch.push_back({t.name, t.dtype, t.shape});
      double bytes = double(dtype_size(t.dtype));  // in double: a refused shape may overflow int64
      for (int64_t x : t.shape)
        bytes *= double(x);
      if (!largest || bytes > largest_bytes) {
        largest = &t;
        largest_bytes = bytes;
      }
    }
  }
  context.estimate_built(s,
                         file + "'s largest tensor '" + io::printable(largest->name) + "' " +
                             ref::shape_string(largest->shape) + " " +
                             std::string(dtype_name(largest->dtype)),
                         scratch);

  std::map<std::string, std::string> expected;
  if (r.has("expected")) {
    const JsonObject e = r.get_object("expected");
    for (const auto& [name, value] : e.raw_json().items()) {
      const bool known = std::any_of(s.outputs.begin(), s.outputs.end(),
                                     [&](const TensorInfo& t) { return t.name == name; });
      if (!known)
        e.fail(name, "the program has no output '" + name + "'");
      if (!value.is_string())
        e.fail(name, "expected a path to a .npy file of the expected values");
      expected[name] = e.get_path(name);
    }
  }
  s.rtol = r.get_number("rtol");
  s.atol = r.get_number("atol");
  if (!(s.rtol >= 0) || !(s.atol >= 0))
    p.fail(!(s.rtol >= 0) ? "rtol" : "atol", "must be >= 0");
  s.params = {{"program", file}, {"rtol", s.rtol}, {"atol", s.atol}, {"expected", expected}};
  // No model: the useful work of an arbitrary program is unknown (its matmul work counts as hardware FLOPs).
  s.model_flops = [](const HostTensors&) { return 0.0; };
  const std::vector<TensorInfo> outputs = s.outputs;
  const std::string where = p.file() + ": " + p.path() + ".expected";
  s.reference = [expected, outputs, where](const HostTensors&) {
    HostTensors golden;
    for (const TensorInfo& t : outputs) {
      const auto f = expected.find(t.name);
      if (f == expected.end())
        throw ConfigError(where + ": no expected values for output '" + t.name +
                          "' (give a .npy file, or set \"check_numerics\": false)");
      ref::HostTensor h;
      try {
        h = ref::read_npy(f->second);
      } catch (const std::exception& e) {
        throw ConfigError(io::json_path_child(where, t.name) + ": " + e.what());
      }
      if (h.shape != t.shape)
        throw ConfigError(io::json_path_child(where, t.name) + ": " + f->second + " has shape " +
                          ref::shape_string(h.shape) + ", the program's '" + t.name + "' is " +
                          ref::shape_string(t.shape));
      golden[t.name] = std::move(h);
    }
    return golden;
  };
  return s;
}

}  // namespace tn::cli
