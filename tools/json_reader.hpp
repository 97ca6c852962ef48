// Strict reading of JSON configs: every error names the file and the JSON path ("$.params.d"), unknown
// keys are errors (typo protection), and each accessor says what type it expected.
#pragma once
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>

#include "sim/io/json_file.hpp"

namespace tn::cli {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The values an integer parameter may take (inclusive); get_int fails naming the path outside it.
struct IntRange {
  int64_t min = std::numeric_limits<int64_t>::min();
  int64_t max = std::numeric_limits<int64_t>::max();
};
// int32 tensors and parameters the kernels hold in 32 bits.
inline constexpr IntRange kInt32Range{std::numeric_limits<int32_t>::min(),
                                      std::numeric_limits<int32_t>::max()};

// A view of one JSON object inside a config file, remembering its path, and the folder the relative paths
// it gives resolve from (the file's own folder unless the config says otherwise: a sweep's points live in
// the sweep's folder but name files beside their base config).
class JsonObject {
 public:
  JsonObject(const nlohmann::json& j, std::string file, std::string path);
  JsonObject(const nlohmann::json& j, std::string file, std::string path, std::string paths_from);

  bool has(const std::string& key) const { return m_json.contains(key) && !m_json.at(key).is_null(); }
  const nlohmann::json& raw(const std::string& key) const;
  std::string path_of(const std::string& key) const { return io::json_path_child(m_path, key); }

  std::string get_string(const std::string& key, std::optional<std::string> fallback = std::nullopt) const;
  // An integer: a JSON integer, or a float with an integral value ("128.0"), within `range` (an unsigned
  // value past int64 never wraps). The fallback is not range-checked.
  int64_t get_int(const std::string& key, std::optional<int64_t> fallback = std::nullopt,
                  IntRange range = {}) const;
  double get_number(const std::string& key, std::optional<double> fallback = std::nullopt) const;
  bool get_bool(const std::string& key, std::optional<bool> fallback = std::nullopt) const;
  // A file's path: a string, as it is when absolute, else relative to paths_from().
  std::string get_path(const std::string& key) const;
  JsonObject get_object(const std::string& key) const;

  // Throws for any key not in `known`, naming its path.
  void reject_unknown(const std::set<std::string>& known) const;
  [[noreturn]] void fail(const std::string& key, const std::string& what) const;

  const nlohmann::json& raw_json() const { return m_json; }
  const std::string& file() const { return m_file; }
  const std::string& path() const { return m_path; }
  const std::string& paths_from() const { return m_paths_from; }

 private:
  const nlohmann::json& m_json;
  std::string m_file, m_path, m_paths_from;
};

// Parses a file, turning syntax errors into a ConfigError with the file name, line and column.
nlohmann::json read_json_file(const std::string& file);

// A path a config gives: as it is when absolute, else relative to the folder `paths_from`.
std::string resolve_path(const std::string& paths_from, const std::string& path);
// The folder a file's relative paths resolve from by default: its own.
std::string folder_of(const std::string& file);
// Where a run config's relative paths resolve from: its "paths_relative_to" (itself relative to the
// config's folder), else the config's folder.
std::string config_paths_from(const JsonObject& root);

}  // namespace tn::cli
