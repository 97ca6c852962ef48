#include "tools/run_config.hpp"

#include <filesystem>
#include <set>

namespace tn::cli {

std::string_view run_mode_name(RunMode m) {
  switch (m) {
    case RunMode::kFunctional:
      return "functional";
    case RunMode::kTiming:
      return "timing";
    case RunMode::kTimingOnly:
      return "timing_only";
    case RunMode::kBoth:
      return "both";
  }
  return "?";
}

JsonObject RunConfig::params() const {
  return JsonObject(document.at("params"), file, "$.params", paths_from);
}

RunConfig load_run_config(const std::string& file) {
  RunConfig c;
  c.file = file;
  c.document = read_json_file(file);
  c.paths_from = config_paths_from(JsonObject(c.document, file, "$"));
  JsonObject root(c.document, file, "$", c.paths_from);
  root.reject_unknown({"description", "kernel", "params", "hardware", "inputs", "npy", "mode",
                       "check_numerics", "trace", "launch", "paths_relative_to"});
  c.description = root.get_string("description", "");
  c.kernel = root.get_string("kernel");
  root.get_object("params");  // must exist and be an object
  if (root.has("hardware")) {
    const auto& hw = root.raw("hardware");
    if (hw.is_string()) {
      c.hardware = hw.get<std::string>();
    } else {
      JsonObject h = root.get_object("hardware");
      h.reject_unknown({"preset", "overrides"});
      c.hardware = h.get_string("preset", "trn2");
      if (h.has("overrides"))
        c.hardware_overrides = h.get_object("overrides").raw_json();
    }
  }
  if (root.has("inputs")) {
    JsonObject in = root.get_object("inputs");
    in.reject_unknown({"seed", "files"});
    const int64_t seed = in.get_int("seed", 0);
    if (seed < 0 || seed > 0xffffffffLL)
      in.fail("seed", "must be in 0..2^32-1 (NumPy's legacy seed range)");
    c.seed = static_cast<uint32_t>(seed);
    if (in.has("files")) {
      JsonObject files = in.get_object("files");
      for (const auto& [name, value] : files.raw_json().items()) {
        if (!value.is_string())
          files.fail(name, "expected a path to a .npy file");
        c.input_files[name] = files.get_path(name);
      }
    }
  }
  if (root.has("npy")) {
    JsonObject npy = root.get_object("npy");
    npy.reject_unknown({"narrow_floats"});
    const std::string narrow = npy.get_string("narrow_floats", "float32");
    if (narrow != "float32" && narrow != "bits")
      npy.fail("narrow_floats", "expected \"float32\" (values) or \"bits\" (raw '<u2' / '|u1' patterns)");
    c.npy_narrow_floats = narrow == "bits" ? ref::NarrowFloats::kAsBits : ref::NarrowFloats::kAsFloat32;
  }
  const std::string mode = root.get_string("mode", "both");
  if (mode == "functional")
    c.mode = RunMode::kFunctional;
  else if (mode == "timing")
    c.mode = RunMode::kTiming;
  else if (mode == "timing_only")
    c.mode = RunMode::kTimingOnly;
  else if (mode == "both")
    c.mode = RunMode::kBoth;
  else
    root.fail("mode", "expected \"functional\", \"timing\", \"timing_only\" or \"both\"");
  c.check_numerics = root.get_bool("check_numerics", c.mode != RunMode::kTimingOnly);
  if (c.check_numerics && c.mode == RunMode::kTimingOnly) {
    root.fail("check_numerics", "timing_only runs compute no outputs to check");
  }
  if (root.has("trace")) {
    JsonObject t = root.get_object("trace");
    t.reject_unknown({"perfetto", "json", "flows", "ranks"});
    c.trace_perfetto = t.get_bool("perfetto", true);
    c.trace_json = t.get_bool("json", false);
    c.trace_flows = t.get_bool("flows", false);
    if (t.has("ranks")) {
      const auto& ranks = t.raw("ranks");
      if (!ranks.is_array() || ranks.empty())
        t.fail("ranks", "expected a non-empty list of rank ids");
      for (size_t i = 0; i < ranks.size(); ++i) {
        if (!ranks[i].is_number_integer() || ranks[i].get<int64_t>() < 0 || ranks[i].get<int64_t>() > 1 << 20)
          t.fail("ranks", "element " + std::to_string(i) + " is not a rank id (a non-negative integer)");
        c.trace_ranks.push_back(uint32_t(ranks[i].get<int64_t>()));
      }
    }
  }
  if (root.has("launch")) {
    JsonObject l = root.get_object("launch");
    l.reject_unknown({"ranks", "system", "placement", "algorithm"});
    c.launch.given = true;
    c.launch.ranks = uint32_t(l.get_int("ranks", 0, {1, 1 << 16}));
    if (l.has("system")) {
      const auto& sys = l.raw("system");
      if (sys.is_string()) {
        c.launch.system = sys.get<std::string>();
      } else {
        JsonObject s = l.get_object("system");
        s.reject_unknown({"preset", "overrides"});
        c.launch.system = s.get_string("preset", "");
        if (s.has("overrides"))
          c.launch.system_overrides = s.get_object("overrides").raw_json();
      }
    }
    c.launch.placement = l.get_string("placement", "packed");
    if (c.launch.placement != "packed" && c.launch.placement != "one_per_chip")
      l.fail("placement", "expected \"packed\" or \"one_per_chip\"");
    c.launch.algorithm = l.get_string("algorithm", "auto");
    static const std::set<std::string> algorithms = {"auto", "mesh", "ring", "rdh", "kangaring"};
    if (!algorithms.count(c.launch.algorithm))
      l.fail("algorithm", "expected \"auto\", \"mesh\", \"ring\", \"rdh\" or \"kangaring\"");
  }
  return c;
}

}  // namespace tn::cli
