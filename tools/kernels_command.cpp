#include "tools/kernels_command.hpp"

#include <algorithm>
#include <iostream>

#include "kernels/reference/host_tensor.hpp"
#include "sim/timing/hw_config.hpp"
#include "tools/kernel_catalog.hpp"
#include "tools/kernel_params.hpp"

namespace tn::cli {

namespace {

using nlohmann::json;

std::string fill_text(const TensorInfo& t) {
  switch (t.fill) {
    case InputFill::kRandomSample:
      return "random_sample [0, 1)";
    case InputFill::kStandardNormal:
      return "randn";
    case InputFill::kUniform:
      return "uniform [" + json(t.low).dump() + ", " + json(t.high).dump() + ")";
    case InputFill::kValues:
      return "values from the parameters";
  }
  return "?";
}

json tensor_json(const TensorInfo& t, bool input) {
  json j = {{"name", t.name}, {"dtype", std::string(dtype_name(t.dtype))}, {"shape", t.shape}};
  if (input)
    j["fill"] = fill_text(t);
  return j;
}

json param_json(const ParamSpec& p) {
  json j = {{"name", p.name}, {"type", std::string(param_type_name(p.type))}, {"doc", p.doc}};
  switch (p.default_kind) {
    case ParamDefault::kRequired:
      j["required"] = true;
      break;
    case ParamDefault::kValue:
      j["default"] = p.value;
      break;
    case ParamDefault::kDerived:
      j["derived_default"] = p.derived;
      break;
    case ParamDefault::kUnset:
      j["unset_by_default"] = true;
      break;
  }
  const std::string accepts = p.constraint_text();
  if (p.type == ParamType::kChoice)
    j["choices"] = p.choices;
  else if (!accepts.empty())
    j["range"] = {{"min", p.range.min}, {"max", p.range.max}};
  return j;
}

// The kernel's tensors for `params`, resolved by its own setup (the same code a run uses).
json resolved(const KernelParamTable& table, const json& params, const std::string& source,
              const timing::HwConfig& hw) {
  const JsonObject p(params, source, "$.params");
  const KernelSetup s =
      setup_kernel(table.kernel, p, hw.memory_limits(), int32_t(hw.chip_neuron_core_version));
  json j = {{"params", params}, {"resolved_params", s.params}};
  if (s.expect_failure && !s.failure.empty()) {
    j["refused"] = s.failure;
    return j;
  }
  j["ranks"] = s.ranks;
  j["cores_per_rank"] = s.programs.size();
  j["inputs"] = json::array();
  for (const TensorInfo& t : s.inputs)
    j["inputs"].push_back(tensor_json(t, true));
  if (s.per_rank) {
    j["rank_inputs"] = json::array();
    for (const TensorInfo& t : s.rank_inputs)
      j["rank_inputs"].push_back(tensor_json(t, false));
  }
  j["outputs"] = json::array();
  for (const TensorInfo& t : s.outputs)
    j["outputs"].push_back(tensor_json(t, false));
  return j;
}

// Rows of (role, tensors), aligned together.
void print_tensors(const std::vector<std::pair<std::string, const json*>>& groups, std::ostream& out) {
  size_t role_w = 0, name_w = 0, dtype_w = 0, shape_w = 0;
  for (const auto& [role, tensors] : groups) {
    role_w = std::max(role_w, role.size());
    for (const json& t : *tensors) {
      name_w = std::max(name_w, t["name"].get<std::string>().size());
      dtype_w = std::max(dtype_w, t["dtype"].get<std::string>().size());
      shape_w = std::max(shape_w, ref::shape_string(t["shape"].get<std::vector<int64_t>>()).size());
    }
  }
  const auto pad = [](std::string s, size_t w) { return s.append(w - s.size(), ' '); };
  for (const auto& [role, tensors] : groups) {
    for (const json& t : *tensors) {
      std::string line = "    " + pad(role, role_w) + "  " + pad(t["name"].get<std::string>(), name_w) +
                         "  " + pad(t["dtype"].get<std::string>(), dtype_w) + "  " +
                         pad(ref::shape_string(t["shape"].get<std::vector<int64_t>>()), shape_w);
      if (t.contains("fill"))
        line += "  " + t["fill"].get<std::string>();
      out << line.substr(0, line.find_last_not_of(' ') + 1) << "\n";
    }
  }
}

void print_kernel(const KernelParamTable& table, const json& tensors, std::ostream& out) {
  out << table.kernel << ": " << table.summary << "\n";
  size_t name_w = 9, type_w = 4, default_w = 7, accepts_w = 7;
  for (const ParamSpec& p : table.params) {
    name_w = std::max(name_w, p.name.size());
    type_w = std::max(type_w, param_type_name(p.type).size());
    if (p.default_kind != ParamDefault::kDerived)
      default_w = std::max(default_w, p.default_text().size());
    accepts_w = std::max(accepts_w, p.constraint_text().size());
  }
  const auto pad = [](std::string s, size_t w) { return s.append(w > s.size() ? w - s.size() : 0, ' '); };
  out << "  " << pad("parameter", name_w) << "  " << pad("type", type_w) << "  " << pad("default", default_w)
      << "  " << pad("accepts", accepts_w) << "  meaning\n";
  for (const ParamSpec& p : table.params) {
    const bool derived = p.default_kind == ParamDefault::kDerived;
    out << "  " << pad(p.name, name_w) << "  " << pad(std::string(param_type_name(p.type)), type_w) << "  "
        << pad(derived ? "derived" : p.default_text(), default_w) << "  "
        << pad(p.constraint_text(), accepts_w) << "  " << p.doc
        << (derived ? " (default: " + p.derived + ")" : "") << "\n";
  }
  if (tensors.is_null()) {
    out << "  tensors: the program's own declarations\n";
    return;
  }
  out << "  tensors for " << tensors["params"].dump() << ":\n";
  if (tensors.contains("refused")) {
    out << "    the kernel refuses these parameters: " << tensors["refused"].get<std::string>() << "\n";
    return;
  }
  if (tensors.contains("rank_inputs")) {
    out << "    " << tensors["ranks"] << " ranks; drawn for the whole launch, then split:\n";
    print_tensors({{"drawn", &tensors["inputs"]},
                   {"rank input", &tensors["rank_inputs"]},
                   {"rank output", &tensors["outputs"]}},
                  out);
  } else {
    print_tensors({{"input", &tensors["inputs"]}, {"output", &tensors["outputs"]}}, out);
  }
}

}  // namespace

int run_kernels_command(const KernelsOptions& options) {
  std::vector<const KernelParamTable*> tables;
  for (const std::string& name : kernel_names()) {
    if (options.kernel.empty() || options.kernel == name)
      tables.push_back(kernel_param_table(name));
  }
  if (tables.empty()) {
    std::string names;
    for (const auto& n : kernel_names())
      names += (names.empty() ? "" : ", ") + n;
    throw ConfigError("unknown kernel \"" + options.kernel + "\" (known: " + names + ")");
  }
  json given;
  if (!options.params.empty()) {
    if (options.kernel.empty())
      throw ConfigError("--params needs a kernel: trnsim kernels NAME --params '{...}'");
    try {
      given = json::parse(options.params);
    } catch (const json::parse_error& e) {
      throw ConfigError(std::string("--params: not JSON: ") + e.what());
    }
    if (!given.is_object())
      throw ConfigError("--params: expected a JSON object of parameters");
  }
  const timing::HwConfig hw = timing::load_hw_config(options.hardware);
  json all = json::array();
  for (const KernelParamTable* t : tables) {
    json k = {{"kernel", t->kernel}, {"summary", t->summary}, {"params", json::array()}};
    for (const ParamSpec& p : t->params)
      k["params"].push_back(param_json(p));
    const json params = !given.is_null() ? given : t->example;
    json tensors;
    if (!params.is_null())
      tensors = resolved(*t, params, given.is_null() ? t->kernel + " example" : "--params", hw);
    k["example"] = t->example;
    if (!tensors.is_null())
      k["tensors"] = tensors;
    if (!options.json) {
      if (!all.empty())
        std::cout << "\n";
      print_kernel(*t, tensors, std::cout);
    }
    all.push_back(std::move(k));
  }
  if (options.json)
    std::cout << json{{"hardware", options.hardware}, {"kernels", all}}.dump(1) << "\n";
  return 0;
}

}  // namespace tn::cli
