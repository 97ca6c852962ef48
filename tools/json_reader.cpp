#include "tools/json_reader.hpp"

#include <cmath>
#include <filesystem>
#include <limits>

#include "sim/io/json_file.hpp"

namespace tn::cli {

using nlohmann::json;

JsonObject::JsonObject(const json& j, std::string file, std::string path)
    : JsonObject(j, file, std::move(path), folder_of(file)) {}

JsonObject::JsonObject(const json& j, std::string file, std::string path, std::string paths_from)
    : m_json(j), m_file(std::move(file)), m_path(std::move(path)), m_paths_from(std::move(paths_from)) {
  if (!j.is_object())
    throw ConfigError(m_file + ": " + m_path + ": expected an object");
}

void JsonObject::fail(const std::string& key, const std::string& what) const {
  throw ConfigError(m_file + ": " + path_of(key) + ": " + what);
}

const json& JsonObject::raw(const std::string& key) const {
  if (!m_json.contains(key))
    fail(key, "missing");
  return m_json.at(key);
}

std::string JsonObject::get_string(const std::string& key, std::optional<std::string> fallback) const {
  if (!has(key)) {
    if (fallback)
      return *fallback;
    fail(key, "missing (expected a string)");
  }
  const json& v = m_json.at(key);
  if (!v.is_string())
    fail(key, "expected a string, got " + io::describe_json_value(v));
  return v.get<std::string>();
}

int64_t JsonObject::get_int(const std::string& key, std::optional<int64_t> fallback, IntRange range) const {
  if (!has(key)) {
    if (fallback)
      return *fallback;
    fail(key, "missing (expected an integer)");
  }
  const json& v = m_json.at(key);
  // 2^63 is exact in double; every integral double strictly inside +-2^63 converts without overflow.
  constexpr double kTwo63 = 9223372036854775808.0;
  std::optional<int64_t> value;
  bool integral = v.is_number_integer();
  if (v.is_number_unsigned()) {
    if (v.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      value = static_cast<int64_t>(v.get<uint64_t>());
  } else if (v.is_number_integer()) {
    value = v.get<int64_t>();
  } else if (v.is_number_float()) {
    const double d = v.get<double>();
    integral = std::trunc(d) == d;
    if (integral && d > -kTwo63 && d < kTwo63)
      value = static_cast<int64_t>(d);
  }
  if (!value) {
    fail(key, integral ? "integer " + io::describe_json_value(v) + " is outside the 64-bit signed range"
                       : "expected an integer, got " + io::describe_json_value(v));
  }
  if (*value < range.min || *value > range.max) {
    fail(key, "must be in " + std::to_string(range.min) + ".." + std::to_string(range.max) + ", got " +
                  std::to_string(*value));
  }
  return *value;
}

double JsonObject::get_number(const std::string& key, std::optional<double> fallback) const {
  if (!has(key)) {
    if (fallback)
      return *fallback;
    fail(key, "missing (expected a number)");
  }
  const json& v = m_json.at(key);
  if (!v.is_number())
    fail(key, "expected a number, got " + io::describe_json_value(v));
  return v.get<double>();
}

bool JsonObject::get_bool(const std::string& key, std::optional<bool> fallback) const {
  if (!has(key)) {
    if (fallback)
      return *fallback;
    fail(key, "missing (expected true or false)");
  }
  const json& v = m_json.at(key);
  if (!v.is_boolean())
    fail(key, "expected true or false, got " + io::describe_json_value(v));
  return v.get<bool>();
}

JsonObject JsonObject::get_object(const std::string& key) const {
  const json& v = raw(key);
  if (!v.is_object())
    fail(key, "expected an object");
  return JsonObject(v, m_file, path_of(key), m_paths_from);
}

std::string JsonObject::get_path(const std::string& key) const {
  const json& v = raw(key);
  if (!v.is_string())
    fail(key, "expected a file's path (a string)");
  if (v.get_ref<const std::string&>().find('\0') != std::string::npos)
    fail(key, "a path cannot hold a NUL byte (a file name ends at one): " + io::describe_json_value(v));
  return resolve_path(m_paths_from, v.get<std::string>());
}

void JsonObject::reject_unknown(const std::set<std::string>& known) const {
  for (const auto& [key, value] : m_json.items()) {
    if (!known.count(key)) {
      std::string list;
      for (const auto& k : known)
        list += (list.empty() ? "" : ", ") + k;
      fail(key, "unknown key (expected one of: " + list + ")");
    }
  }
}

json read_json_file(const std::string& file) {
  try {
    return io::read_json(file);
  } catch (const io::JsonSyntaxError& e) {
    throw ConfigError(e.what());
  }
}

std::string resolve_path(const std::string& paths_from, const std::string& path) {
  const std::filesystem::path p(path);
  return (p.is_absolute() || paths_from.empty() ? p : std::filesystem::path(paths_from) / p).string();
}

std::string config_paths_from(const JsonObject& root) {
  return root.has("paths_relative_to") ? root.get_path("paths_relative_to") : root.paths_from();
}

std::string folder_of(const std::string& file) { return std::filesystem::path(file).parent_path().string(); }

}  // namespace tn::cli
