#include "tools/json_reader.hpp"

#include <fstream>
#include <sstream>

namespace tn::cli {

using nlohmann::json;

JsonObject::JsonObject(const json& j, std::string file, std::string path)
    : m_json(j), m_file(std::move(file)), m_path(std::move(path)) {
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
    fail(key, "expected a string, got " + v.dump());
  return v.get<std::string>();
}

int64_t JsonObject::get_int(const std::string& key, std::optional<int64_t> fallback) const {
  if (!has(key)) {
    if (fallback)
      return *fallback;
    fail(key, "missing (expected an integer)");
  }
  const json& v = m_json.at(key);
  if (v.is_number_integer())
    return v.get<int64_t>();
  if (v.is_number_float() && v.get<double>() == static_cast<double>(static_cast<int64_t>(v.get<double>()))) {
    return static_cast<int64_t>(v.get<double>());
  }
  fail(key, "expected an integer, got " + v.dump());
}

double JsonObject::get_number(const std::string& key, std::optional<double> fallback) const {
  if (!has(key)) {
    if (fallback)
      return *fallback;
    fail(key, "missing (expected a number)");
  }
  const json& v = m_json.at(key);
  if (!v.is_number())
    fail(key, "expected a number, got " + v.dump());
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
    fail(key, "expected true or false, got " + v.dump());
  return v.get<bool>();
}

JsonObject JsonObject::get_object(const std::string& key) const {
  const json& v = raw(key);
  if (!v.is_object())
    fail(key, "expected an object");
  return JsonObject(v, m_file, path_of(key));
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
  std::ifstream in(file);
  if (!in)
    throw ConfigError(file + ": cannot open");
  std::stringstream buf;
  buf << in.rdbuf();
  try {
    return json::parse(buf.str());
  } catch (const json::parse_error& e) {
    // Report the line and column rather than a byte offset.
    const std::string text = buf.str();
    const size_t at = std::min<size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
    size_t line = 1, col = 1;
    for (size_t i = 0; i < at; ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    throw ConfigError(file + ":" + std::to_string(line) + ":" + std::to_string(col) + ": malformed JSON (" +
                      e.what() + ")");
  }
}

}  // namespace tn::cli
