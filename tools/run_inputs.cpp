#include "tools/run_inputs.hpp"

#include <cmath>
#include <iomanip>
#include <sstream>

#include "kernels/reference/dtype_rounding.hpp"
#include "kernels/reference/npy.hpp"
#include "kernels/reference/numpy_random.hpp"
#include "sim/io/json_file.hpp"

namespace tn::cli {

namespace {

std::string value_text(double v) {
  std::ostringstream o;
  o << std::setprecision(17) << v;
  return o.str();
}

// Every kernel here needs finite inputs (kernels.md: a NaN or infinity in q, k, v, a sink or a scale has no
// defined result), and integer tensors (block tables, runtime lengths and offsets) exact integers of their
// dtype: a value that is not one stops the run, naming where it came from (`origin`), the element and value.
// Float values must stay finite once rounded to the tensor's dtype (70000 overflows float16).
ref::HostTensor checked_input(ref::HostTensor h, const TensorInfo& t, const std::string& origin) {
  const ref::HostTensor rounded = ref::rounded_to(h, t.dtype);
  const bool integer = !dtype_is_float(t.dtype);
  for (size_t i = 0; i < h.data.size(); ++i) {
    const double v = h.data[i];
    std::string problem;
    if (!std::isfinite(v))
      problem = "is " + value_text(v) + "; " + t.name + " needs finite values";
    else if (integer && rounded.data[i] != v)
      problem = "= " + value_text(v) + " is not a whole number in " + std::string(dtype_name(t.dtype)) +
                "'s range (" + t.name + " holds integers)";
    else if (!std::isfinite(rounded.data[i]))
      problem = "= " + value_text(v) + " overflows " + std::string(dtype_name(t.dtype)) + " to " +
                value_text(rounded.data[i]);
    if (!problem.empty())
      throw ConfigError(origin + ": element " +
                        ref::index_string(ref::unflatten_index(static_cast<int64_t>(i), h.shape)) + " " +
                        problem);
  }
  return rounded;
}

}  // namespace

HostTensors make_inputs(const KernelSetup& k, const RunConfig& c, const std::set<std::string>* only) {
  HostTensors inputs;
  ref::NumpyLegacyRandom rng(c.seed);
  for (const auto& [name, path] : c.input_files) {
    bool known = false;
    for (const auto& t : k.inputs)
      known = known || t.name == name;
    if (!known)
      throw ConfigError(c.file + ": " + io::json_path_child("$.inputs.files", name) + ": " + k.kernel +
                        " has no input '" + io::printable(name) + "'");
  }
  const auto wanted = [&](const TensorInfo& t) {
    return !only || t.fill == InputFill::kValues || only->count(t.name);
  };
  // One generator draws the inputs in order: a wanted drawn input needs the draws before it.
  size_t draws_needed = 0;
  for (size_t i = 0; i < k.inputs.size(); ++i) {
    if (wanted(k.inputs[i]) && k.inputs[i].fill != InputFill::kValues &&
        !c.input_files.count(k.inputs[i].name))
      draws_needed = i + 1;
  }
  for (size_t i = 0; i < k.inputs.size(); ++i) {
    const TensorInfo& t = k.inputs[i];
    const bool from_file = c.input_files.count(t.name) != 0;
    if (!wanted(t) && (from_file || t.fill == InputFill::kValues || i >= draws_needed))
      continue;  // what is skipped here draws nothing that a later wanted input's values depend on
    ref::HostTensor h;
    std::string origin = c.file + ": input '" + t.name + "' (from $.params)";
    if (auto f = c.input_files.find(t.name); f != c.input_files.end()) {
      origin = c.file + ": $.inputs.files." + t.name + ": " + f->second;
      // The header first: a file of another shape (or one declaring a huge one) is refused before its
      // data is read or anything allocated for it.
      ref::NpyHeader header;
      try {
        header = ref::read_npy_header(f->second);
      } catch (const std::exception& e) {
        throw ConfigError(c.file + ": $.inputs.files." + t.name + ": " + e.what());
      }
      if (header.shape != t.shape) {
        throw ConfigError(origin + " has shape " + ref::shape_string(header.shape) + ", expected " +
                          ref::shape_string(t.shape));
      }
      try {
        h = ref::read_npy_for(f->second, t.dtype, c.npy_narrow_floats);
      } catch (const std::exception& e) {
        throw ConfigError(c.file + ": $.inputs.files." + t.name + ": " + e.what());
      }
    } else {
      // Seeded: one generator across the inputs in the kernel's order (kernels.md §2.2); fixed values
      // (runtime parameters, packing bounds) draw nothing.
      h.shape = t.shape;
      const auto n = static_cast<size_t>(ref::HostTensor::numel_of(t.shape));
      switch (t.fill) {
        case InputFill::kRandomSample:
          h.data = rng.random_sample(n);
          break;
        case InputFill::kStandardNormal:
          h.data = rng.standard_normal(n);
          break;
        case InputFill::kUniform:
          h.data = rng.random_sample(n);
          for (double& x : h.data)
            x = t.low + (t.high - t.low) * x;  // np.random.uniform(low, high, shape)
          break;
        case InputFill::kValues:
          if (t.values.size() != n)
            throw std::logic_error("input '" + t.name + "': " + std::to_string(t.values.size()) +
                                   " fixed values for shape " + ref::shape_string(t.shape));
          h.data = t.values;
          break;
      }
      if (t.fill != InputFill::kValues && t.scale != 1) {
        for (double& x : h.data)
          x *= t.scale;
      }
    }
    if (wanted(t))
      inputs[t.name] = checked_input(std::move(h), t, origin);
  }
  return inputs;
}

}  // namespace tn::cli
