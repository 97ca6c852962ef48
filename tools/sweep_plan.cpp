#include "tools/sweep_plan.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tools/child_pool.hpp"
#include "tools/json_reader.hpp"

namespace tn::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Axis {
  std::string key;  // dotted path into the run config
  std::vector<json> values;
};

// Sets config[a][b]... = value for key "a.b...", creating objects on the way.
void set_path(json& config, const std::string& key, const json& value, const JsonObject& where) {
  json* at = &config;
  std::stringstream parts(key);
  std::string part;
  std::vector<std::string> names;
  while (std::getline(parts, part, '.'))
    names.push_back(part);
  if (names.empty() ||
      std::any_of(names.begin(), names.end(), [](const std::string& n) { return n.empty(); }))
    where.fail(key, "a swept key is a dotted path into the run config, like \"params.seqlen_q\"");
  for (size_t i = 0; i + 1 < names.size(); ++i) {
    json& next = (*at)[names[i]];
    if (next.is_null())
      next = json::object();
    if (!next.is_object())
      where.fail(key, "'" + names[i] + "' of the base config is not an object");
    at = &next;
  }
  (*at)[names.back()] = value;
}

std::vector<Axis> axes_of(const JsonObject& spec, const std::string& name) {
  std::vector<Axis> axes;
  if (!spec.has(name))
    return axes;
  const JsonObject o = spec.get_object(name);
  for (const auto& [key, values] : o.raw_json().items()) {
    if (!values.is_array() || values.empty())
      o.fail(key, "expected a non-empty list of values");
    axes.push_back({key, std::vector<json>(values.begin(), values.end())});
  }
  return axes;
}

// The base config. Its relative paths (inputs.files, a program's files) name files beside the file that
// holds it (the base file, or the spec for a base given inline), while the points' configs live in the
// sweep's folder: the points say where their paths resolve from with "paths_relative_to".
json base_config(const JsonObject& spec) {
  const json& base = spec.raw("base");
  if (!base.is_object() && !base.is_string())
    spec.fail("base", "expected a run config's path or a run config");
  const std::string file = base.is_string() ? spec.get_path("base") : spec.file();
  json c = base;
  if (base.is_string()) {
    try {
      c = read_json_file(file);
    } catch (const std::exception& e) {
      spec.fail("base", e.what());
    }
    if (!c.is_object())
      spec.fail("base", file + ": expected a run config (an object)");
  }
  const JsonObject base_root(c, file, base.is_string() ? "$" : "$.base");
  const std::string from = config_paths_from(base_root);
  c["paths_relative_to"] = std::filesystem::absolute(from.empty() ? "." : from).lexically_normal().string();
  return c;
}

std::string value_text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

}  // namespace

Sweep read_sweep_spec(const std::string& file) {
  const json doc = read_json_file(file);
  const JsonObject spec(doc, file, "$");
  spec.reject_unknown({"description", "base", "product", "zip"});
  if (!spec.has("base"))
    spec.fail("base", "a sweep needs a base run config");
  const json base = base_config(spec);
  const std::vector<Axis> product = axes_of(spec, "product"), zip = axes_of(spec, "zip");
  if (product.empty() && zip.empty())
    spec.fail("product", "give \"product\" or \"zip\" lists to sweep");
  size_t zipped = zip.empty() ? 1 : zip.front().values.size();
  for (const Axis& a : zip) {
    if (a.values.size() != zipped)
      JsonObject(doc["zip"], file, "$.zip")
          .fail(a.key, "has " + std::to_string(a.values.size()) + " values; the zip's first list has " +
                           std::to_string(zipped) +
                           " (zipped lists go together, so their lengths must agree)");
  }
  Sweep s;
  for (const Axis& a : product)
    s.keys.push_back(a.key);
  for (const Axis& a : zip) {
    if (std::find(s.keys.begin(), s.keys.end(), a.key) != s.keys.end())
      JsonObject(doc["zip"], file, "$.zip").fail(a.key, "is also in \"product\"");
    s.keys.push_back(a.key);
  }
  size_t combos = 1;
  for (const Axis& a : product)
    combos *= a.values.size();
  if (combos * zipped > 100000)
    spec.fail("product", std::to_string(combos * zipped) + " points: more than a sweep should run (100000)");
  const JsonObject product_obj = spec.has("product") ? spec.get_object("product") : spec;
  for (size_t c = 0; c < combos; ++c) {
    for (size_t z = 0; z < zipped; ++z) {
      SweepPoint p;
      p.config = base;
      size_t rest = c;
      std::vector<json> product_values(product.size());
      for (size_t i = product.size(); i-- > 0;) {  // the last key varies fastest
        product_values[i] = product[i].values[rest % product[i].values.size()];
        rest /= product[i].values.size();
      }
      for (size_t i = 0; i < product.size(); ++i) {
        set_path(p.config, product[i].key, product_values[i], product_obj);
        p.values.push_back(product_values[i]);
      }
      for (const Axis& a : zip) {
        set_path(p.config, a.key, a.values[z], JsonObject(doc["zip"], file, "$.zip"));
        p.values.push_back(a.values[z]);
      }
      s.points.push_back(std::move(p));
    }
  }
  return s;
}

std::string point_name(size_t i) {
  char text[16];
  std::snprintf(text, sizeof text, "%04zu", i);
  return text;
}

fs::path point_dir(const fs::path& out, size_t i) { return out / "points" / point_name(i); }

std::string point_label(const Sweep& sweep, size_t i) {
  std::string l = "point " + point_name(i);
  for (size_t k = 0; k < sweep.keys.size(); ++k)
    l += (k ? ", " : "  ") + sweep.keys[k] + "=" + value_text(sweep.points[i].values[k]);
  return l;
}

SweepPlan plan_sweep(const std::string& spec_file, const fs::path& out) {
  SweepPlan plan;
  plan.sweep = read_sweep_spec(spec_file);
  const Sweep& sweep = plan.sweep;
  fs::create_directories(out / "points");
  plan.results.resize(sweep.points.size());
  for (size_t i = 0; i < sweep.points.size(); ++i) {
    const fs::path dir = point_dir(out, i);
    const std::string config_text = sweep.points[i].config.dump(1) + "\n";
    std::ifstream old_config(dir / "config.json"), old_result(dir / "result.json");
    std::stringstream old;
    old << old_config.rdbuf();
    const json r = json::parse(old_result, nullptr, false);
    // An unknown verdict counts as an error: the point runs again.
    const CheckVerdict verdict =
        r.is_object() && r.contains("verdict") && r["verdict"].is_string()
            ? verdict_named(r["verdict"].get<std::string>()).value_or(CheckVerdict::kError)
            : CheckVerdict::kError;
    if (old.str() == config_text && verdict != CheckVerdict::kError) {
      plan.results[i] = CheckResult{(dir / "config.json").string(), verdict, r.value("line", ""),
                                    r.value("message", ""), r.value("seconds", 0.0)};
      ++plan.reused;
      continue;
    }
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::ofstream(dir / "config.json") << config_text;
    plan.to_run.push_back(i);
  }
  return plan;
}

void write_point_result(const fs::path& out, size_t i, const CheckResult& r, const json& extra) {
  json result = {
      {"verdict", verdict_name(r.verdict)}, {"line", r.line}, {"message", r.message}, {"seconds", r.seconds}};
  result.update(extra);
  std::ofstream(point_dir(out, i) / "result.json") << result.dump(1) << "\n";
}

}  // namespace tn::cli
