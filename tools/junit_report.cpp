#include "tools/junit_report.hpp"

#include <cstdio>
#include <fstream>
#include <stdexcept>

namespace tn::cli {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// The length of the valid UTF-8 sequence at text[i] (RFC 3629: no overlongs, no surrogates, <= U+10FFFF),
// or 0.
size_t utf8_length(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = byte(i);
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
  if (c < 0x80)
    return 1;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    lo = c == 0xE0 ? 0xA0 : 0x80;
    hi = c == 0xED ? 0x9F : 0xBF;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    lo = c == 0xF0 ? 0x90 : 0x80;
    hi = c == 0xF4 ? 0x8F : 0xBF;
  } else {
    return 0;
  }
  if (i + n > text.size() || byte(i + 1) < lo || byte(i + 1) > hi)
    return 0;
  for (size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF)
      return 0;
  }
  return n;
}

std::string seconds_text(double s) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", s);
  return text;
}

}  // namespace

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const char c = text[i];
    switch (c) {
      case '&':
        out += "&amp;";
        ++i;
        continue;
      case '<':
        out += "&lt;";
        ++i;
        continue;
      case '>':
        out += "&gt;";
        ++i;
        continue;
      case '"':
        out += "&quot;";
        ++i;
        continue;
      case '\'':
        out += "&apos;";
        ++i;
        continue;
      default:
        break;
    }
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') {
      out += kReplacement;  // XML 1.0 cannot hold it (and a CR would be normalised away)
      ++i;
      continue;
    }
    const size_t n = utf8_length(text, i);
    if (n == 0) {
      out += kReplacement;
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string junit_xml(const std::vector<CheckResult>& results, double total_seconds) {
  size_t failures = 0, errors = 0, skipped = 0;
  for (const CheckResult& r : results) {
    failures += r.verdict == CheckVerdict::kFail;
    errors += r.verdict == CheckVerdict::kError;
    skipped += r.verdict == CheckVerdict::kSkip;
  }
  const std::string counts = " tests=\"" + std::to_string(results.size()) + "\" failures=\"" +
                             std::to_string(failures) + "\" errors=\"" + std::to_string(errors) +
                             "\" skipped=\"" + std::to_string(skipped) + "\" time=\"" +
                             seconds_text(total_seconds) + "\"";
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x += "<testsuites name=\"trnsim check\"" + counts + ">\n";
  x += "  <testsuite name=\"trnsim check\"" + counts + ">\n";
  for (const CheckResult& r : results) {
    // The folder is the class, the file the test: CI views group a folder's configs together.
    const std::filesystem::path p(r.config);
    x += "    <testcase name=\"" + xml_escape(p.filename().string()) + "\" classname=\"" +
         xml_escape(p.parent_path().string()) + "\" file=\"" + xml_escape(r.config) + "\" time=\"" +
         seconds_text(r.seconds) + "\">\n";
    const std::string message = xml_escape(r.message);
    switch (r.verdict) {
      case CheckVerdict::kPass:
        break;
      case CheckVerdict::kFail:
        x += "      <failure message=\"" + message + "\" type=\"numerics\">" + message + "</failure>\n";
        break;
      case CheckVerdict::kError:
        x += "      <error message=\"" + message + "\" type=\"error\">" + message + "</error>\n";
        break;
      case CheckVerdict::kSkip:
        x += "      <skipped message=\"" + message + "\"/>\n";
        break;
    }
    x += "      <system-out>" + xml_escape(r.line) + "</system-out>\n";
    x += "    </testcase>\n";
  }
  x += "  </testsuite>\n</testsuites>\n";
  return x;
}

void write_junit(const std::filesystem::path& file, const std::vector<CheckResult>& results,
                 double total_seconds) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << junit_xml(results, total_seconds);
  out.close();
  if (!out)
    throw std::runtime_error("--junit: cannot write " + file.string());
}

}  // namespace tn::cli
