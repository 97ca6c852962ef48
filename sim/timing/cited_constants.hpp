// Tables of cited constants: the shared reader of configs/hw/*.json and configs/systems/*.json. Every
// constant in a file is {"value", "unit", "source"}: the unit must be the one the code expects and the
// source must say where the figure comes from (hardware.md by section and tag), so each number can be
// traced. Overrides map the same groups to plain values. A table is a list of rows naming a field of the
// config struct; loading, overriding and to_json() walk it, so a constant cannot exist in one place and be
// missing from another.
#pragma once
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sim/io/json_file.hpp"

namespace tn::timing {

// The values a constant may take, with their physical meaning: min <= value <= max (both closed, so that
// every accepted value is a number the timing model turns into finite times), and, for a factor the
// hardware only has as a power of two (elements per cycle, hardware.md §1.4), only powers of two.
// `meaning` says why, for the refusal's message ("the engines run at 0.96-2.8 GHz, hardware.md §0").
struct Range {
  double min = 0;
  double max = 0;
  bool powers_of_two = false;
  std::string_view meaning;
};

// The one range both tables need: a fixed latency of a DMA (hardware) or a collective's trigger and hop
// (systems).
inline constexpr Range kLatencyNsRange{0, 100000, false,
                                       "~1.3 us per DMA start, 1-10 us per collective, 1-2 us per hop, 15 us "
                                       "across servers (hardware.md §1.8, §2); at most 100 us"};

template <class Config>
struct CitedConstant {
  std::string_view group;
  std::string_view key;
  std::string_view unit;
  Range range;
  std::variant<int64_t Config::*, double Config::*> field;
};

// "0.5", "2400", "1099511627776": a range end as a message shows it (whole numbers in full, others in the
// shortest form that reads back exactly).
inline std::string format_number(double x) {
  char buf[32];
  if (x == std::trunc(x) && std::fabs(x) < 1e15) {  // whole numbers in full: "10000", not "1e+04"
    std::snprintf(buf, sizeof buf, "%.0f", x);
    return buf;
  }
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, x);
    if (std::strtod(buf, nullptr) == x)
      break;
  }
  return buf;
}

// Why `x` is outside `range` ("must be in 1 .. 10000 MHz (the engines run at ...)"), or "" when it is
// inside.
inline std::string range_violation(double x, const Range& range, std::string_view unit) {
  const bool inside = x >= range.min && x <= range.max;
  const bool power_of_two = x > 0 && std::exp2(std::round(std::log2(x))) == x;
  if (inside && (!range.powers_of_two || power_of_two))
    return "";
  const bool dimensionless = unit == "x" || unit == "fraction" || unit == "count" || unit == "version";
  const std::string units = dimensionless ? "" : " " + std::string(unit);
  std::string allowed;
  if (range.min == range.max) {
    allowed = "must be " + format_number(range.min) + units;
  } else {
    allowed = std::string("must be ") + (range.powers_of_two ? "a power of two in " : "in ") +
              format_number(range.min) + " .. " + format_number(range.max) + units;
  }
  return allowed + " (" + std::string(range.meaning) + ")";
}

// Reads and overrides the constants of `rows`; every problem throws Error("<label>: <path>: <what>").
template <class Config, class Error>
class CitedConstants {
 public:
  using Row = CitedConstant<Config>;
  using json = nlohmann::json;

  explicit CitedConstants(std::span<const Row> rows) : m_rows(rows) {
    for (const Row& r : rows) {
      if (m_groups.empty() || m_groups.back() != r.group)
        m_groups.push_back(r.group);
    }
  }

  // The groups in table order ("chip", "pe", ...).
  const std::vector<std::string_view>& groups() const { return m_groups; }
  bool is_group(std::string_view g) const {
    for (std::string_view x : m_groups) {
      if (x == g)
        return true;
    }
    return false;
  }
  const Row* find(std::string_view group, std::string_view key) const {
    for (const Row& r : m_rows) {
      if (r.group == group && r.key == key)
        return &r;
    }
    return nullptr;
  }

  // Loads every constant of `groups` from `root` (an object; its other keys are the caller's business,
  // but a group's unknown keys are errors).
  void load(Config& config, const json& root, const std::string& label,
            const std::vector<std::string_view>& groups) const {
    for (std::string_view g : groups) {
      const std::string gpath = io::json_path_child("$", g);
      auto it = root.find(std::string(g));
      if (it == root.end())
        fail(label, gpath, "missing");
      if (!it->is_object())
        fail(label, gpath, std::string("expected an object, got ") + it->type_name());
      for (const auto& [k, _] : it->items()) {
        if (!find(g, k))
          fail(label, io::json_path_child(gpath, k), "unknown key");
      }
      for (const Row& r : m_rows) {
        if (r.group != g)
          continue;
        const std::string path = io::json_path_child(gpath, r.key);
        auto c = it->find(std::string(r.key));
        if (c == it->end())
          fail(label, path, "missing");
        load_constant(config, r, *c, label, path);
      }
    }
  }

  // Applies {"group": {"key": value}} overrides to the constants of `groups`. `what` names them in the
  // message for an unknown group ("hardware constants").
  void apply_overrides(Config& config, const json& overrides, const std::vector<std::string_view>& groups,
                       const std::string& what) const {
    const std::string label = "overrides";
    if (overrides.is_null())
      return;
    if (!overrides.is_object())
      fail(label, "$", std::string("expected an object, got ") + overrides.type_name());
    for (const auto& [g, gv] : overrides.items()) {
      const std::string gpath = io::json_path_child("$", g);
      bool known = false;
      for (std::string_view x : groups)
        known = known || x == g;
      if (!known)
        fail(label, gpath, "unknown key (overrides name " + what + ", grouped as in the preset)");
      if (!gv.is_object())
        fail(label, gpath, std::string("expected an object, got ") + gv.type_name());
      for (const auto& [k, v] : gv.items()) {
        const Row* r = find(g, k);
        if (!r)
          fail(label, io::json_path_child(gpath, k), "unknown key");
        set_value(config, *r, v, label, io::json_path_child(gpath, k));
      }
    }
  }

  // The values of `groups` as {"group": {"key": value}}: the overrides' shape.
  void to_json(const Config& config, json& out, const std::vector<std::string_view>& groups) const {
    for (const Row& r : m_rows) {
      bool wanted = false;
      for (std::string_view g : groups)
        wanted = wanted || g == r.group;
      if (!wanted)
        continue;
      json& slot = out[std::string(r.group)][std::string(r.key)];
      std::visit([&](auto field) { slot = config.*field; }, r.field);
    }
  }

  [[noreturn]] static void fail(const std::string& label, const std::string& path, const std::string& msg) {
    throw Error(label + ": " + path + ": " + msg);
  }

  static const json& require_string(const json& obj, const char* key, const std::string& label,
                                    const std::string& path) {
    auto it = obj.find(key);
    if (it == obj.end())
      fail(label, io::json_path_child(path, key), "missing");
    if (!it->is_string())
      fail(label, io::json_path_child(path, key), std::string("expected a string, got ") + it->type_name());
    return *it;
  }

 private:
  // Stores a plain JSON value into the field of `r`, checking its type and range. The range is checked on
  // the value as a double, before it is stored: every range lies well inside +-2^53, so an integer
  // in range converts exactly, and one beyond 64 bits is refused with the range it is outside.
  static void set_value(Config& config, const Row& r, const json& v, const std::string& label,
                        const std::string& path) {
    const bool integral = std::holds_alternative<int64_t Config::*>(r.field);
    if (integral && !v.is_number_integer()) {
      fail(label, path,
           std::string("expected an integer, got ") + (v.is_number() ? "a fraction" : v.type_name()));
    }
    if (!v.is_number())
      fail(label, path, std::string("expected a number, got ") + v.type_name());
    const double x = v.get<double>();
    if (!std::isfinite(x))
      fail(label, path, "must be finite");
    if (const std::string why = range_violation(x, r.range, r.unit); !why.empty())
      fail(label, path, v.dump() + " is out of range: " + why);
    if (integral)
      config.*std::get<int64_t Config::*>(r.field) = v.get<int64_t>();
    else
      config.*std::get<double Config::*>(r.field) = x;
  }

  // {"value": ..., "unit": "...", "source": "..."} at `path`.
  static void load_constant(Config& config, const Row& r, const json& c, const std::string& label,
                            const std::string& path) {
    if (!c.is_object())
      fail(label, path, std::string("expected an object with value, unit and source, got ") + c.type_name());
    for (const auto& [k, _] : c.items()) {
      if (k != "value" && k != "unit" && k != "source")
        fail(label, io::json_path_child(path, k), "unknown key (a constant has value, unit and source)");
    }
    if (!c.contains("value"))
      fail(label, path + ".value", "missing");
    const std::string unit = require_string(c, "unit", label, path).template get<std::string>();
    if (unit != r.unit)
      fail(label, path + ".unit", "expected \"" + std::string(r.unit) + "\", got \"" + unit + "\"");
    if (require_string(c, "source", label, path).template get<std::string>().empty())
      fail(label, path + ".source", "must not be empty");
    set_value(config, r, c.at("value"), label, path + ".value");
  }

  std::span<const Row> m_rows;
  std::vector<std::string_view> m_groups;
};

}  // namespace tn::timing
