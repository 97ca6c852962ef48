#include "tools/report_sweep.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tools/json_reader.hpp"

namespace tn::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The records of RFC 4180 CSV as tools/sweep_command.cpp writes it: a field holding a comma, a quote or a
// newline is quoted, with quotes doubled. Each record with the line it starts on.
std::vector<std::pair<size_t, std::vector<std::string>>> csv_records(const std::string& text,
                                                                     const std::string& file) {
  std::vector<std::pair<size_t, std::vector<std::string>>> records;
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false, any = false;
  size_t line = 1, record_line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        line += c == '\n';
        field += c;
      }
      continue;
    }
    if (c == '"' && field.empty()) {
      quoted = any = true;
    } else if (c == ',') {
      fields.push_back(std::move(field));
      field.clear();
      any = true;
    } else if (c == '\n') {
      fields.push_back(std::move(field));
      field.clear();
      records.emplace_back(record_line, std::move(fields));
      fields.clear();
      any = false;
      record_line = ++line;
    } else if (c != '\r') {
      field += c;
      any = true;
    }
  }
  if (quoted)
    throw ConfigError(file + ":" + std::to_string(record_line) + ": a quoted field never ends (truncated?)");
  if (any) {
    fields.push_back(std::move(field));
    records.emplace_back(record_line, std::move(fields));
  }
  return records;
}

bool is_number(const std::string& s) {
  if (s.empty())
    return false;
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

}  // namespace

json sweep_report_data(const fs::path& dir) {
  const fs::path file = dir / "results.csv";
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw ConfigError(file.string() +
                      ": cannot open (a sweep folder holds the results.csv trnsim sweep wrote)");
  std::stringstream text;
  text << in.rdbuf();
  const auto records = csv_records(text.str(), file.string());
  if (records.empty())
    throw ConfigError(file.string() + ": empty: no header and no points");
  const std::vector<std::string>& header = records[0].second;
  const auto column = [&](const std::string& name) {
    const auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end())
      throw ConfigError(file.string() + ":1: the header has no '" + name +
                        "' column: not a results.csv of trnsim sweep");
    return size_t(it - header.begin());
  };
  if (header.empty() || header[0] != "point")
    throw ConfigError(file.string() +
                      ":1: the header does not start with 'point': not a results.csv of trnsim sweep");
  const size_t verdict = column("verdict");
  column("total_ns");
  column("mfu_estimated_percent");
  if (records.size() < 2)
    throw ConfigError(file.string() + ": holds a header and no points");
  const std::vector<std::string> keys(header.begin() + 1, header.begin() + long(verdict));
  json points = json::array();
  std::vector<std::set<std::string>> values(keys.size());
  std::vector<bool> numeric(keys.size(), true);
  for (size_t r = 1; r < records.size(); ++r) {
    const auto& [line, cells] = records[r];
    if (cells.size() != header.size())
      throw ConfigError(file.string() + ":" + std::to_string(line) + ": " + std::to_string(cells.size()) +
                        " fields where the header has " + std::to_string(header.size()) + " (truncated?)");
    for (size_t k = 0; k < keys.size(); ++k) {
      values[k].insert(cells[1 + k]);
      numeric[k] = numeric[k] && is_number(cells[1 + k]);
    }
    points.push_back(cells);
  }
  // The key to chart along: of the keys that vary, the numeric one with the most values (the first such in
  // key order); the other varying keys each make a line.
  json varying = json::array(), series = json::array();
  std::optional<size_t> x;
  for (size_t k = 0; k < keys.size(); ++k) {
    if (values[k].size() < 2)
      continue;
    varying.push_back(keys[k]);
    if (numeric[k] && (!x || values[k].size() > values[*x].size()))
      x = k;
  }
  for (size_t k = 0; k < keys.size(); ++k) {
    if (values[k].size() >= 2 && k != x)
      series.push_back(keys[k]);
  }
  return {
      {"kind", "sweep"},
      {"folder", dir.filename().empty() ? dir.parent_path().filename().string() : dir.filename().string()},
      {"columns", header},
      {"keys", keys},
      {"points", std::move(points)},
      {"varying", std::move(varying)},
      {"x_key", x ? json(keys[*x]) : json()},
      {"series_keys", std::move(series)}};
}

}  // namespace tn::cli
