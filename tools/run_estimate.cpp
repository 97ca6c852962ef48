#include "tools/run_estimate.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "tools/json_reader.hpp"

namespace tn::cli {

namespace {

std::string fixed1(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string mode_text(const EstimateMode& mode) {
  if (!mode.data)
    return "timing_only";
  return mode.check_numerics ? "with numerics and the reference" : "with numerics";
}

}  // namespace

double estimated_bytes(const RunEstimate& e, const EstimateMode& mode) {
  double bytes = e.instructions * kBytesPerInstruction;
  const double images = mode.both ? 2 : 1;
  for (const EstimatedTensor& t : e.inputs) {
    if (!mode.data && !t.runtime_value)
      continue;  // timing_only draws only the runtime values (and the value slice's few tensors)
    // The HBM image(s) and the drawn float64 copy the reference reads.
    bytes += e.ranks * t.elements * (images * dtype_size(t.dtype) + 8);
  }
  if (mode.data) {
    for (const EstimatedTensor& t : e.outputs) {
      // The HBM image(s), the float64 read-back and, when checked, the reference's float64 result.
      bytes += e.ranks * t.elements * (images * dtype_size(t.dtype) + 8 + (mode.check_numerics ? 8 : 0));
    }
  }
  return bytes;
}

void check_fits(const std::string& file, const RunEstimate& e, const EstimateMode& mode,
                double available_bytes, const std::string& limit_source) {
  const double program = e.instructions * kBytesPerInstruction;
  const double total = estimated_bytes(e, mode);
  if (total <= available_bytes)
    return;
  throw ConfigError(file + ": $.params: " + e.kernel + ": " + e.drivers + ": the program would have ~" +
                    format_count(e.instructions) + " instructions (~" + format_bytes(program) +
                    ") and the tensors" + (mode.check_numerics && mode.data ? " and reference" : "") + " ~" +
                    format_bytes(total - program) + ", ~" + format_bytes(total) + " in all (" +
                    mode_text(mode) + "), more than the " + format_bytes(available_bytes) + " " +
                    limit_source + " (--max-memory to change)");
}

std::string long_run_notice(const RunEstimate& e, const EstimateMode& mode) {
  const double rate = mode.data ? kNumericsInstructionsPerS : kTimingOnlyInstructionsPerS;
  const double seconds = e.instructions * e.ranks / rate;
  if (seconds < kLongRunS)
    return "";
  return "trnsim: " + e.kernel + ": " + e.drivers + ": ~" + format_count(e.instructions * e.ranks) +
         " instructions" + (e.ranks > 1 ? " over " + std::to_string(e.ranks) + " ranks" : "") + ", about " +
         fixed1(seconds) + " s at ~" + format_count(rate) + " instructions/s (" + mode_text(mode) +
         "; README \"Speed\"), ~" + format_bytes(estimated_bytes(e, mode)) + " of memory";
}

std::optional<double> available_memory_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  double kib = 0;
  std::string unit;
  while (in >> key >> kib >> unit) {
    if (key == "MemAvailable:")
      return kib * 1024;  // the kernel writes "kB", meaning KiB
  }
  return std::nullopt;
}

double parse_memory_size(const std::string& option, const std::string& text) {
  const auto bad = [&]() -> ConfigError {
    return ConfigError(option +
                       ": expected a size such as 512M, 21G or 1.5GiB (bytes without a unit), not \"" + text +
                       "\"");
  };
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    throw bad();
  }
  std::string unit = text.substr(used);
  while (!unit.empty() && unit.front() == ' ')
    unit.erase(0, 1);
  double scale = 1;
  if (!unit.empty()) {
    const std::string prefixes = "KMGT";
    const size_t at = prefixes.find(static_cast<char>(std::toupper(static_cast<unsigned char>(unit[0]))));
    size_t rest = 0;
    if (at != std::string::npos) {
      scale = std::pow(1024.0, static_cast<double>(at + 1));
      rest = 1;
      if (rest < unit.size() && unit[rest] == 'i')
        ++rest;
    }
    if (rest < unit.size() && (unit[rest] == 'B' || unit[rest] == 'b'))
      ++rest;
    if (rest != unit.size() || (at == std::string::npos && rest == 0))
      throw bad();
  }
  if (!std::isfinite(value) || value <= 0)
    throw bad();
  return value * scale;
}

std::string product_text(const std::vector<std::pair<std::string, int64_t>>& factors) {
  std::string names, values;
  double product = 1;
  for (const auto& [name, value] : factors) {
    names += (names.empty() ? "" : " * ") + name;
    values += (values.empty() ? "" : " * ") + std::to_string(value);
    product *= static_cast<double>(value);
  }
  return names + " = " + values + " = " + format_count(product);
}

std::string format_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int u = 0;
  while (bytes >= 1024 && u < 6) {
    bytes /= 1024;
    ++u;
  }
  return fixed1(bytes) + " " + units[u];
}

std::string format_count(double n) {
  if (n < 1e4)
    return std::to_string(static_cast<int64_t>(std::llround(n)));
  if (n < 1e6)
    return fixed1(n / 1e3) + " K";
  if (n < 1e9)
    return fixed1(n / 1e6) + " M";
  return fixed1(n / 1e9) + " G";
}

}  // namespace tn::cli
