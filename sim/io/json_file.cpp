#include "sim/io/json_file.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace tn::io {

using nlohmann::json;

namespace {

constexpr size_t kMaxDescribed = 60;

std::string line_and_column(const std::string& text, size_t byte) {
  const size_t at = std::min(byte == 0 ? 0 : byte - 1, text.size());
  size_t line = 1, col = 1;
  for (size_t i = 0; i < at; ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return std::to_string(line) + ":" + std::to_string(col);
}

// The parser's messages quote the offending token, which may be a whole file's worth of digits.
// The first `max` bytes of text or fewer, never splitting a UTF-8 sequence.
std::string cut_utf8(const std::string& text, size_t max) {
  if (text.size() <= max)
    return text;
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
    --cut;
  return text.substr(0, cut);
}

std::string shortened(const std::string& message) {
  constexpr size_t kMax = 200;
  return message.size() <= kMax ? message : cut_utf8(message, kMax) + "...";
}

// Thrown from the parser callback, which knows no position: parse_json adds it from the byte count.
struct TooDeep {};

}  // namespace

json parse_json(const std::string& text, const std::string& label) {
  // The callback sees each value's depth as the parser opens it (the top level is depth 0).
  const json::parser_callback_t limit_depth = [](int depth, json::parse_event_t event, json&) {
    if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) &&
        depth >= kMaxJsonDepth) {
      throw TooDeep{};
    }
    return true;
  };
  try {
    return json::parse(text, limit_depth);
  } catch (const TooDeep&) {
    // The parser's own depth count has no byte offset; find the first bracket past the limit.
    int depth = 0;
    bool in_string = false, escaped = false;
    size_t at = 0;
    for (; at < text.size(); ++at) {
      const char c = text[at];
      if (in_string) {
        if (escaped)
          escaped = false;
        else if (c == '\\')
          escaped = true;
        else if (c == '"')
          in_string = false;
        continue;
      }
      if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        if (++depth > kMaxJsonDepth)
          break;
      } else if (c == '}' || c == ']') {
        --depth;
      }
    }
    throw JsonSyntaxError(label + ":" + line_and_column(text, at + 1) + ": JSON nested deeper than " +
                          std::to_string(kMaxJsonDepth) + " levels");
  } catch (const json::parse_error& e) {
    throw JsonSyntaxError(label + ":" + line_and_column(text, e.byte) + ": malformed JSON (" +
                          shortened(e.what()) + ")");
  } catch (const json::exception& e) {
    // out_of_range.406: a number beyond the double range ("1e400"); the message quotes it.
    throw JsonSyntaxError(label + ": malformed JSON (" + shortened(e.what()) + ")");
  }
}

json read_json(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw JsonSyntaxError(path + ": is a folder, not a JSON file");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw JsonSyntaxError(path + ": cannot open");
  std::stringstream buf;
  buf << in.rdbuf();
  if (in.bad())
    throw JsonSyntaxError(path + ": cannot read");
  return parse_json(buf.str(), path);
}

std::string describe_json_value(const json& value) {
  if (value.is_array())
    return "an array of " + std::to_string(value.size()) + " value" + (value.size() == 1 ? "" : "s");
  if (value.is_object())
    return "an object with " + std::to_string(value.size()) + " key" + (value.size() == 1 ? "" : "s");
  const std::string text = value.dump();
  if (text.size() <= kMaxDescribed)
    return text;
  return cut_utf8(text, kMaxDescribed) + "... (" + std::to_string(text.size()) + " characters)";
}

}  // namespace tn::io
