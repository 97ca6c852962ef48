#include "tools/report_command.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <stdexcept>

#include "tools/json_reader.hpp"
#include "tools/report_data.hpp"
#include "tools/report_page.hpp"
#include "tools/report_sweep.hpp"

namespace tn::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string html_escaped(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// JSON that can sit inside a <script> element: '<' only occurs inside JSON strings, where \u003c means the
// same, so no "</script>" or "<!--" in a kernel name or source path can end the element early.
std::string script_safe_json(const json& data) {
  const std::string text = data.dump(-1, ' ', false, json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '<')
      out += "\\u003c";
    else
      out += c;
  }
  return out;
}

std::string size_text(uintmax_t bytes) {
  char text[32];
  if (bytes >= (1u << 20))
    std::snprintf(text, sizeof text, "%.1f MiB", double(bytes) / 1048576.0);
  else
    std::snprintf(text, sizeof text, "%.0f KiB", double(bytes) / 1024.0);
  return text;
}

}  // namespace

std::string report_page(const json& data, const std::string& title) {
  const std::map<std::string, std::string> values = {{"TITLE", html_escaped(title)},
                                                     {"STYLE", kReportPageCss},
                                                     {"SCRIPT", kReportPageJs},
                                                     {"DATA", script_safe_json(data)}};
  // Placeholders are found in the template only: nothing inserted is scanned again.
  const std::string page = kReportPageHtml;
  std::string out;
  size_t at = 0;
  for (size_t open; (open = page.find("{{", at)) != std::string::npos;) {
    const size_t close = page.find("}}", open);
    const auto it =
        close == std::string::npos ? values.end() : values.find(page.substr(open + 2, close - open - 2));
    if (it == values.end())
      throw std::logic_error("report page template: unknown placeholder at " + std::to_string(open));
    out.append(page, at, open - at);
    out += it->second;
    at = close + 2;
  }
  out.append(page, at);
  return out;
}

int write_report_page(const ReportOptions& options) {
  const fs::path dir = options.dir;
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw ConfigError(dir.string() + (fs::exists(dir, ec) ? ": not a folder" : ": no such folder") +
                      " (give a run folder, with summary.json, or a sweep folder, with results.csv)");
  json data;
  std::string title, what;
  if (fs::exists(dir / "summary.json", ec)) {
    data = run_report_data(dir, options.limits);
    const json& s = data["summary"];
    title = "trnsim report: " + s["kernel"].get<std::string>() + " on " +
            s["hardware"]["name"].get<std::string>();
    what = "run " + s["kernel"].get<std::string>() + ", mode " + s["mode"].get<std::string>();
    if (data.contains("timeline")) {
      const json& t = data["timeline"];
      what += ": timeline of " + std::to_string(t["slices"].get<size_t>()) + " slices" +
              (t["aggregated"].get<bool>()
                   ? " (aggregated into " + std::to_string(t["bucket_ns"].get<uint64_t>()) +
                         " ns buckets on " + std::to_string(t["aggregated_rows"].get<size_t>()) + " rows)"
                   : " (exact)");
    } else {
      what += ": no timeline";
    }
  } else if (fs::exists(dir / "results.csv", ec)) {
    data = sweep_report_data(dir);
    title = "trnsim report: sweep " + data["folder"].get<std::string>();
    what = "sweep of " + std::to_string(data["points"].size()) + " points";
  } else {
    throw ConfigError(dir.string() +
                      ": holds neither summary.json (a run folder) nor results.csv (a sweep folder)");
  }
  const fs::path out = options.out.empty() ? dir / "report.html" : fs::path(options.out);
  const std::string page = report_page(data, title);
  {
    std::ofstream file(out, std::ios::binary | std::ios::trunc);
    file << page;
    if (!file)
      throw ConfigError(out.string() + ": cannot write the report");
  }
  std::cout << "trnsim report: " << what << "\n  wrote        " << out.string() << " ("
            << size_text(page.size()) << ")\n";
  return 0;
}

}  // namespace tn::cli
