#include "tools/run_config.hpp"

#include <filesystem>

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

JsonObject RunConfig::params() const { return JsonObject(document.at("params"), file, "$.params"); }

RunConfig load_run_config(const std::string& file) {
  RunConfig c;
  c.file = file;
  c.document = read_json_file(file);
  JsonObject root(c.document, file, "$");
  root.reject_unknown(
      {"description", "kernel", "params", "hardware", "inputs", "mode", "check_numerics", "trace"});
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
      const auto base = std::filesystem::path(file).parent_path();
      for (const auto& [name, value] : files.raw_json().items()) {
        if (!value.is_string())
          files.fail(name, "expected a path to a .npy file");
        const std::filesystem::path p(value.get<std::string>());
        c.input_files[name] = (p.is_absolute() ? p : base / p).string();
      }
    }
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
    t.reject_unknown({"perfetto", "json", "flows"});
    c.trace_perfetto = t.get_bool("perfetto", true);
    c.trace_json = t.get_bool("json", false);
    c.trace_flows = t.get_bool("flows", false);
  }
  return c;
}

}  // namespace tn::cli
