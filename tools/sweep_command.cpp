#include "tools/sweep_command.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "tools/child_runs.hpp"
#include "tools/json_reader.hpp"

namespace tn::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Axis {
  std::string key;  // dotted path into the run config
  std::vector<json> values;
};

struct Point {
  std::vector<json> values;  // one per swept key, in `keys` order
  json config;
};

struct Sweep {
  std::vector<std::string> keys;  // product keys, then zip keys
  std::vector<Point> points;
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

// The base config, with the relative input paths of a base file made absolute (the points' configs live
// in the sweep's folder).
json base_config(const JsonObject& spec) {
  const json& base = spec.raw("base");
  if (base.is_object())
    return base;
  if (!base.is_string())
    spec.fail("base", "expected a run config's path or a run config");
  const std::string file = path_from_config(spec.file(), base.get<std::string>());
  json c;
  try {
    c = read_json_file(file);
  } catch (const std::exception& e) {
    spec.fail("base", e.what());
  }
  const auto absolute = [&](json& v) {
    if (v.is_string())
      v = path_from_config(file, v.get<std::string>());
  };
  if (c.contains("inputs") && c["inputs"].contains("files") && c["inputs"]["files"].is_object()) {
    for (auto& [name, path] : c["inputs"]["files"].items())
      absolute(path);
  }
  if (c.value("kernel", "") == "program" && c.contains("params") && c["params"].is_object()) {
    if (c["params"].contains("program"))
      absolute(c["params"]["program"]);
    if (c["params"].contains("expected") && c["params"]["expected"].is_object()) {
      for (auto& [name, path] : c["params"]["expected"].items())
        absolute(path);
    }
  }
  return c;
}

Sweep read_spec(const std::string& file) {
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
      Point p;
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

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos)
    return text;
  std::string q = "\"";
  for (char c : text)
    q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string number(const json& v, int digits = 6) {
  if (!v.is_number())
    return "";
  char text[64];
  std::snprintf(text, sizeof text, "%.*g", digits, v.get<double>());
  return text;
}

std::string value_text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// The busiest core's busy % of each compute engine, and of the busiest DMA queue.
constexpr const char* kEngines[] = {"pe", "act", "dve", "pool", "sp"};

// j[key], or null when j is not an object or has no such key.
json field(const json& j, const char* key) { return j.is_object() && j.contains(key) ? j[key] : json(); }

std::vector<std::string> summary_columns(const fs::path& summary_file) {
  std::vector<std::string> cells(6 + std::size(kEngines), "");
  std::ifstream in(summary_file);
  const json s = json::parse(in, nullptr, false);
  if (!s.is_object())
    return cells;
  cells[0] = number(field(s, "total_ns"));
  const json t = field(s, "timing");
  cells[1] = number(field(t, "mfu_estimated_percent"), 4);
  cells[2] = number(field(t, "hfu_estimated_percent"), 4);
  cells[3] = number(field(t, "mbu_estimated_percent"), 4);
  std::vector<double> busy(std::size(kEngines) + 1, -1);
  json cores = field(t, "cores");
  if (!cores.is_array())
    cores = json::array();
  for (const json& core : cores) {
    json engines = field(core, "engines");
    if (!engines.is_object())
      engines = json::object();
    for (const auto& [name, e] : engines.items()) {
      const double b = field(e, "busy_percent").is_number() ? e["busy_percent"].get<double>() : 0.0;
      const auto k = std::find(std::begin(kEngines), std::end(kEngines), name);
      const size_t slot = k != std::end(kEngines)   ? size_t(k - std::begin(kEngines))
                          : name.rfind("q", 0) == 0 ? std::size(kEngines)
                                                    : SIZE_MAX;
      if (slot != SIZE_MAX)
        busy[slot] = std::max(busy[slot], b);
    }
  }
  for (size_t i = 0; i < busy.size(); ++i)
    cells[4 + i] = busy[i] >= 0 ? number(busy[i], 4) : "";
  const json n = field(s, "numerics");
  cells.back() = field(n, "checked") != true ? "not compared" : field(n, "passed") == true ? "pass" : "fail";
  return cells;
}

std::string padded(size_t i) {
  char text[16];
  std::snprintf(text, sizeof text, "%04zu", i);
  return text;
}

}  // namespace

int run_sweep(const SweepOptions& options) {
  const Sweep sweep = read_spec(options.spec);
  const fs::path out = options.out;
  fs::create_directories(out / "points");
  // A point is done when its folder holds the same config and a result that is not an error.
  std::vector<std::optional<CheckResult>> results(sweep.points.size());
  std::vector<size_t> to_run;
  size_t reused = 0;
  for (size_t i = 0; i < sweep.points.size(); ++i) {
    const fs::path dir = out / "points" / padded(i);
    const std::string config_text = sweep.points[i].config.dump(1) + "\n";
    std::ifstream old_config(dir / "config.json"), old_result(dir / "result.json");
    std::stringstream old;
    old << old_config.rdbuf();
    const json r = json::parse(old_result, nullptr, false);
    const std::optional<CheckVerdict> verdict =
        r.is_object() && r.contains("verdict") && r["verdict"].is_string()
            ? verdict_named(r["verdict"].get<std::string>())
            : std::nullopt;
    if (old.str() == config_text && verdict && *verdict != CheckVerdict::kError) {
      results[i] = CheckResult{(dir / "config.json").string(), *verdict, r.value("line", ""),
                               r.value("message", ""), r.value("seconds", 0.0)};
      ++reused;
      continue;
    }
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::ofstream(dir / "config.json") << config_text;
    to_run.push_back(i);
  }

  const auto label = [&](size_t i) {
    std::string l = "point " + padded(i);
    for (size_t k = 0; k < sweep.keys.size(); ++k)
      l += (k ? ", " : "  ") + sweep.keys[k] + "=" + value_text(sweep.points[i].values[k]);
    return l;
  };
  // Lines in point order, whatever order the points end in.
  std::vector<bool> was_reused(results.size());
  for (size_t i = 0; i < results.size(); ++i)
    was_reused[i] = results[i].has_value();
  size_t printed = 0;
  const auto print_ready = [&] {
    for (; printed < results.size() && results[printed]; ++printed)
      std::cout << result_line(label(printed), *results[printed], was_reused[printed] ? ", done before" : "")
                << std::endl;
  };
  print_ready();
  run_in_children(
      to_run.size(), options.jobs, options.timeout_s,
      [&](size_t j) {
        const fs::path dir = out / "points" / padded(to_run[j]);
        return ChildJob{(dir / "config.json").string(), (dir / "run").string()};
      },
      [&](size_t j, CheckResult r) {
        const size_t i = to_run[j];
        std::ofstream(out / "points" / padded(i) / "result.json")
            << json{{"verdict", verdict_name(r.verdict)},
                    {"line", r.line},
                    {"message", r.message},
                    {"seconds", r.seconds}}
                   .dump(1)
            << "\n";
        results[i] = std::move(r);
        print_ready();
      });

  // results.csv: one row per point, in point order. A report of the sweep (trnsim report DIR) tables the old
  // results: it goes, as a run's folder loses its report when the run writes it again.
  fs::remove(out / "report.html");
  std::ofstream csv(out / "results.csv", std::ios::trunc);
  csv << "point";
  for (const std::string& k : sweep.keys)
    csv << "," << csv_field(k);
  csv << ",verdict,total_ns,mfu_estimated_percent,hfu_estimated_percent,mbu_estimated_percent";
  for (const char* e : kEngines)
    csv << ",busy_" << e << "_percent";
  csv << ",busy_dma_max_percent,numerics,wall_s,message\n";
  VerdictCounts counts;
  for (size_t i = 0; i < results.size(); ++i) {
    const CheckResult& r = *results[i];
    counts.add(r.verdict);
    csv << padded(i);
    for (const json& v : sweep.points[i].values)
      csv << "," << csv_field(value_text(v));
    csv << "," << verdict_name(r.verdict);
    for (const std::string& cell : summary_columns(out / "points" / padded(i) / "run" / "summary.json"))
      csv << "," << csv_field(cell);
    csv << "," << number(r.seconds, 4) << "," << csv_field(r.message) << "\n";
  }
  csv.close();
  if (!csv)
    throw std::runtime_error("sweep: cannot write " + (out / "results.csv").string());
  std::cout << sweep.points.size() << " points: " << counts.passed << " passed, " << counts.failed
            << " failed, " << counts.skipped << " skipped (" << reused << " done before); "
            << (out / "results.csv").string() << std::endl;
  return counts.failed == 0 ? 0 : 1;
}

}  // namespace tn::cli
