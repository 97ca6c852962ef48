#include "sim/timing/system_config.hpp"

#include <algorithm>
#include <cstdlib>

#include "sim/io/json_file.hpp"
#include "sim/timing/cited_constants.hpp"
#include "sim/timing/config_dir.hpp"

namespace tn::timing {

namespace {

using nlohmann::json;
using Table = CitedConstants<SystemConfig, SystemConfigError>;

#define TN_SYSTEM_ROW(group, key, type, unit, range) \
  CitedConstant<SystemConfig>{#group, #key, unit, range, &SystemConfig::group##_##key},
const CitedConstant<SystemConfig> kRows[] = {TN_SYSTEM_COMMON_CONSTANTS(
    TN_SYSTEM_ROW) TN_SYSTEM_TORUS_CONSTANTS(TN_SYSTEM_ROW) TN_SYSTEM_SWITCH_CONSTANTS(TN_SYSTEM_ROW)};
#undef TN_SYSTEM_ROW

const Table& table() {
  static const Table t{kRows};
  return t;
}

// The constant groups a system of this topology has.
std::vector<std::string_view> groups_of(Topology t) {
  std::vector<std::string_view> g = {"system", "cc", "algorithms"};
  g.push_back(t == Topology::kTorus ? "torus" : "switch");
  return g;
}

std::string_view topology_name(Topology t) { return t == Topology::kTorus ? "torus" : "switch"; }

void check_consistent(const SystemConfig& s, const std::string& label) {
  if (s.topology == Topology::kTorus) {
    if (s.torus_x * s.torus_y * s.torus_z != s.system_chips) {
      Table::fail(label, "$.system.chips",
                  std::to_string(s.system_chips) +
                      " chips, but the torus ($.torus.x, $.torus.y, $.torus.z) is " +
                      std::to_string(s.torus_x) + " x " + std::to_string(s.torus_y) + " x " +
                      std::to_string(s.torus_z));
    }
    const std::pair<int64_t, double> dims[] = {{s.torus_x, s.torus_x_link_gb_per_s},
                                               {s.torus_y, s.torus_y_link_gb_per_s},
                                               {s.torus_z, s.torus_z_link_gb_per_s}};
    const char* names[] = {"x", "y", "z"};
    for (int d = 0; d < 3; ++d) {
      if (dims[d].first > 1 && dims[d].second < system_range::kLinkMinGbPerS) {
        Table::fail(label, std::string("$.torus.") + names[d] + "_link_gb_per_s",
                    "must be at least " + format_number(system_range::kLinkMinGbPerS) +
                        " GB/s: the torus has " + std::to_string(dims[d].first) + " chips along " + names[d] +
                        " ($.torus." + names[d] + ")");
      }
    }
  }
  if (s.algorithms_rdh_max_bytes < s.algorithms_mesh_max_bytes) {
    Table::fail(label, "$.algorithms.rdh_max_bytes",
                "must be at least $.algorithms.mesh_max_bytes (RDH takes over from Mesh)");
  }
}

}  // namespace

json SystemConfig::to_json() const {
  json j = json::object();
  j["name"] = name;
  j["chip"] = chip;
  j["topology"] = topology_name(topology);
  table().to_json(*this, j, groups_of(topology));
  return j;
}

std::filesystem::path system_preset_path(std::string_view preset_name) {
  const std::string file = std::string(preset_name) + ".json";
  return config_dir() / "systems" / file;
}

std::vector<std::string> system_preset_names() {
  // Smallest first: a run that names no system takes the first that fits it.
  return {"trn2.48xlarge", "trn2u-ultraserver", "trn1.32xlarge", "trn3-ultraserver"};
}

SystemConfig load_system_config(const std::string& spec, const json& overrides) {
  const bool is_path = spec.find('/') != std::string::npos;
  const std::filesystem::path file = is_path ? std::filesystem::path(spec) : system_preset_path(spec);
  const std::string label = is_path ? spec : "systems/" + spec + ".json";
  if (!std::filesystem::is_regular_file(file)) {
    std::string known;
    for (const auto& n : system_preset_names())
      known += (known.empty() ? "" : ", ") + n;
    throw SystemConfigError(
        label + ": cannot open " + file.string() +
        (is_path ? "" : " (no system preset named '" + spec + "'; known: " + known + ")"));
  }
  json root;
  try {
    root = io::read_json(file.string());
  } catch (const io::JsonSyntaxError& e) {
    throw SystemConfigError(e.what());
  }
  if (!root.is_object())
    Table::fail(label, "$", std::string("expected an object, got ") + root.type_name());
  SystemConfig s;
  s.origin = file.string();
  s.name = Table::require_string(root, "name", label, "$").get<std::string>();
  s.description = Table::require_string(root, "description", label, "$").get<std::string>();
  s.chip = Table::require_string(root, "chip", label, "$").get<std::string>();
  const std::string topology = Table::require_string(root, "topology", label, "$").get<std::string>();
  if (topology == "torus")
    s.topology = Topology::kTorus;
  else if (topology == "switch")
    s.topology = Topology::kSwitch;
  else
    Table::fail(label, "$.topology", "expected \"torus\" or \"switch\"");
  const std::vector<std::string_view> groups = groups_of(s.topology);
  for (const auto& [k, v] : root.items()) {
    const bool known = k == "name" || k == "description" || k == "chip" || k == "topology" ||
                       std::find(groups.begin(), groups.end(), k) != groups.end();
    if (!known) {
      Table::fail(label, io::json_path_child("$", k),
                  table().is_group(k) ? "not a constant of a " + topology + " system" : "unknown key");
    }
  }
  table().load(s, root, label, groups);
  check_consistent(s, label);
  table().apply_overrides(s, overrides, groups, "system constants");
  check_consistent(s, "overrides");
  return s;
}

}  // namespace tn::timing
