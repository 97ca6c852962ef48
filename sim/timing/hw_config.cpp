#include "sim/timing/hw_config.hpp"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <variant>
#include <vector>

#include "sim/io/json_file.hpp"

#ifndef TRNSIM_SOURCE_DIR
#error "TRNSIM_SOURCE_DIR must be defined (sim/timing/CMakeLists.txt sets it)"
#endif

namespace tn::timing {

namespace {

using nlohmann::json;

enum Bound { kPositive, kNonNegative };

// One row of TN_HW_CONSTANTS, as data the loader can walk.
struct Param {
  std::string_view group;
  std::string_view key;
  std::string_view unit;
  Bound bound;
  std::variant<int64_t HwConfig::*, double HwConfig::*> field;
};

#define TN_HW_PARAM_ROW(group, key, type, unit, bound) \
  Param{#group, #key, unit, bound, &HwConfig::group##_##key},
const Param kParams[] = {TN_HW_CONSTANTS(TN_HW_PARAM_ROW)};
#undef TN_HW_PARAM_ROW

// The groups in table order ("chip", "pe", ...).
const std::vector<std::string_view>& groups() {
  static const std::vector<std::string_view> g = [] {
    std::vector<std::string_view> out;
    for (const Param& p : kParams) {
      if (out.empty() || out.back() != p.group) {
        out.push_back(p.group);
      }
    }
    return out;
  }();
  return g;
}

bool is_group(std::string_view g) {
  for (std::string_view x : groups()) {
    if (x == g) {
      return true;
    }
  }
  return false;
}

const Param* find_param(std::string_view group, std::string_view key) {
  for (const Param& p : kParams) {
    if (p.group == group && p.key == key) {
      return &p;
    }
  }
  return nullptr;
}

[[noreturn]] void fail(const std::string& label, const std::string& path, const std::string& msg) {
  throw HwConfigError(label + ": " + path + ": " + msg);
}

std::string join(std::string_view a, std::string_view b) { return std::string(a) + "." + std::string(b); }

// Stores a plain JSON value into the field of `p`, checking its type and bound.
void set_value(HwConfig& hw, const Param& p, const json& v, const std::string& label,
               const std::string& path) {
  double as_double = 0;
  if (std::holds_alternative<int64_t HwConfig::*>(p.field)) {
    if (!v.is_number_integer()) {
      fail(label, path,
           std::string("expected an integer, got ") + (v.is_number() ? "a fraction" : v.type_name()));
    }
    const int64_t x = v.get<int64_t>();
    hw.*std::get<int64_t HwConfig::*>(p.field) = x;
    as_double = static_cast<double>(x);
  } else {
    if (!v.is_number()) {
      fail(label, path, std::string("expected a number, got ") + v.type_name());
    }
    as_double = v.get<double>();
    if (!std::isfinite(as_double)) {
      fail(label, path, "must be finite");
    }
    hw.*std::get<double HwConfig::*>(p.field) = as_double;
  }
  if (p.bound == kPositive && !(as_double > 0)) {
    fail(label, path, "must be > 0");
  }
  if (p.bound == kNonNegative && !(as_double >= 0)) {
    fail(label, path, "must be >= 0");
  }
}

const json& require_string(const json& obj, const char* key, const std::string& label,
                           const std::string& path) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    fail(label, path + "." + key, "missing");
  }
  if (!it->is_string()) {
    fail(label, path + "." + key, std::string("expected a string, got ") + it->type_name());
  }
  return *it;
}

// {"value": ..., "unit": "...", "source": "..."} at `path`.
void load_constant(HwConfig& hw, const Param& p, const json& c, const std::string& label,
                   const std::string& path) {
  if (!c.is_object()) {
    fail(label, path, std::string("expected an object with value, unit and source, got ") + c.type_name());
  }
  for (const auto& [k, _] : c.items()) {
    if (k != "value" && k != "unit" && k != "source") {
      fail(label, path + "." + k, "unknown key (a constant has value, unit and source)");
    }
  }
  if (!c.contains("value")) {
    fail(label, path + ".value", "missing");
  }
  const std::string unit = require_string(c, "unit", label, path).get<std::string>();
  if (unit != p.unit) {
    fail(label, path + ".unit", "expected \"" + std::string(p.unit) + "\", got \"" + unit + "\"");
  }
  if (require_string(c, "source", label, path).get<std::string>().empty()) {
    fail(label, path + ".source", "must not be empty");
  }
  set_value(hw, p, c.at("value"), label, path + ".value");
}

HwConfig from_file(const json& root, const std::string& label) {
  if (!root.is_object()) {
    fail(label, "$", std::string("expected an object, got ") + root.type_name());
  }
  for (const auto& [k, v] : root.items()) {
    if (k != "name" && k != "description" && !is_group(k)) {
      fail(label, "$." + k, "unknown key");
    }
  }
  HwConfig hw;
  hw.name = require_string(root, "name", label, "$").get<std::string>();
  hw.description = require_string(root, "description", label, "$").get<std::string>();
  for (std::string_view g : groups()) {
    const std::string gpath = join("$", g);
    auto it = root.find(std::string(g));
    if (it == root.end()) {
      fail(label, gpath, "missing");
    }
    if (!it->is_object()) {
      fail(label, gpath, std::string("expected an object, got ") + it->type_name());
    }
    for (const auto& [k, _] : it->items()) {
      if (!find_param(g, k)) {
        fail(label, join(gpath, k), "unknown key");
      }
    }
    for (const Param& p : kParams) {
      if (p.group != g) {
        continue;
      }
      const std::string path = join(gpath, p.key);
      auto c = it->find(std::string(p.key));
      if (c == it->end()) {
        fail(label, path, "missing");
      }
      load_constant(hw, p, *c, label, path);
    }
  }
  return hw;
}

void apply_overrides(HwConfig& hw, const json& overrides) {
  const std::string label = "overrides";
  if (overrides.is_null()) {
    return;
  }
  if (!overrides.is_object()) {
    fail(label, "$", std::string("expected an object, got ") + overrides.type_name());
  }
  for (const auto& [g, gv] : overrides.items()) {
    const std::string gpath = "$." + g;
    if (!is_group(g)) {
      fail(label, gpath, "unknown key (overrides name hardware constants, grouped as in the preset)");
    }
    if (!gv.is_object()) {
      fail(label, gpath, std::string("expected an object, got ") + gv.type_name());
    }
    for (const auto& [k, v] : gv.items()) {
      const Param* p = find_param(g, k);
      if (!p) {
        fail(label, join(gpath, k), "unknown key");
      }
      set_value(hw, *p, v, label, join(gpath, k));
    }
  }
}

}  // namespace

isa::MemoryLimits HwConfig::memory_limits() const {
  isa::MemoryLimits l;
  l.num_partitions = static_cast<int32_t>(sbuf_partitions);
  l.sbuf_partition_bytes = sbuf_bytes_per_partition;
  l.psum_partition_bytes = psum_bytes_per_partition;
  l.psum_bank_bytes = psum_bank_bytes;
  l.pe_max_moving_free = pe_max_moving_free;
  l.pe_max_stationary_free = static_cast<int32_t>(pe_max_stationary_free);
  return l;
}

double HwConfig::clock_mhz(isa::Engine engine) const {
  switch (engine) {
    case isa::Engine::kPe:
      return pe_clock_mhz;
    case isa::Engine::kAct:
      return act_clock_mhz;
    case isa::Engine::kDve:
      return dve_clock_mhz;
    case isa::Engine::kPool:
      return pool_clock_mhz;
    case isa::Engine::kSp:
    case isa::Engine::kDma:
      return sp_clock_mhz;
  }
  throw std::invalid_argument("clock_mhz: unknown engine");
}

nlohmann::json HwConfig::to_json() const {
  json j = json::object();
  j["name"] = name;
  for (const Param& p : kParams) {
    json& slot = j[std::string(p.group)][std::string(p.key)];
    std::visit([&](auto field) { slot = this->*field; }, p.field);
  }
  return j;
}

std::filesystem::path hw_preset_path(std::string_view preset_name) {
  const std::string file = std::string(preset_name) + ".json";
  if (const char* dir = std::getenv("TRNSIM_CONFIG_DIR"); dir && *dir) {
    return std::filesystem::path(dir) / "hw" / file;
  }
  return std::filesystem::path(TRNSIM_SOURCE_DIR) / "configs" / "hw" / file;
}

HwConfig load_hw_config(const std::string& path_or_preset_name, const nlohmann::json& overrides) {
  const std::string& spec = path_or_preset_name;
  const bool is_path = spec.find('/') != std::string::npos ||
                       (spec.size() >= 5 && spec.compare(spec.size() - 5, 5, ".json") == 0);
  const std::filesystem::path file = is_path ? std::filesystem::path(spec) : hw_preset_path(spec);
  const std::string label = is_path ? spec : "hw/" + spec + ".json";
  if (!std::filesystem::is_regular_file(file)) {
    throw HwConfigError(label + ": cannot open " + file.string() +
                        (is_path ? "" : " (no hardware preset named '" + spec + "')"));
  }
  json root;
  try {
    root = io::read_json(file.string());
  } catch (const io::JsonSyntaxError& e) {
    throw HwConfigError(e.what());  // names the file, line and column
  }
  HwConfig hw = from_file(root, label);
  hw.origin = file.string();
  apply_overrides(hw, overrides);
  return hw;
}

}  // namespace tn::timing
