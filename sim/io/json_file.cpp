#include "sim/io/json_file.hpp"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

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
// Thrown from the parser callback at an object's second use of a key: `path` is the key's JSON path.
struct DuplicateKey {
  std::string path, key;
};

// Where the parser is, from its callback's events: the open objects and arrays, each object's keys so
// far and each array's element count, so that an error names the JSON path of the value it stopped at.
class JsonPathTracker {
 public:
  bool on_event(int depth, json::parse_event_t event, const json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        if (depth >= kMaxJsonDepth)
          throw TooDeep{};
        element_begins();
        m_open.push_back({event == json::parse_event_t::object_start, {}, {}, 0});
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        m_open.pop_back();
        break;
      case json::parse_event_t::key: {
        Container& object = m_open.back();
        const std::string& key = parsed.get_ref<const std::string&>();
        if (!object.keys.insert(key).second)
          throw DuplicateKey{json_path_child(path(m_open.size() - 1, false), key), key};
        object.key = key;
        break;
      }
      case json::parse_event_t::value:
        element_begins();
        break;
    }
    return true;
  }

  // The path of the value being parsed, which no event announced yet: the one an error stopped at.
  std::string path() const { return path(m_open.size(), true); }

 private:
  struct Container {
    bool object;
    std::string key;             // objects: the current member's key
    std::set<std::string> keys;  // objects: the keys seen
    size_t elements;             // arrays: the elements begun
  };

  void element_begins() {
    if (!m_open.empty() && !m_open.back().object)
      ++m_open.back().elements;
  }
  // "$" then the first `levels` containers' current member or element; with `pending`, the innermost
  // array's next element (the one being parsed, not yet counted).
  std::string path(size_t levels, bool pending) const {
    std::string p = "$";
    for (size_t i = 0; i < levels; ++i) {
      const Container& c = m_open[i];
      if (c.object)
        p = c.key.empty() ? p : json_path_child(p, c.key);
      else
        p += "[" + std::to_string(pending && i + 1 == levels ? c.elements : c.elements - 1) + "]";
    }
    return p;
  }

  std::vector<Container> m_open;
};

}  // namespace

json parse_json(const std::string& text, const std::string& label) {
  // The callback sees each value's depth as the parser opens it (the top level is depth 0).
  JsonPathTracker tracker;
  const json::parser_callback_t track = [&tracker](int depth, json::parse_event_t event, json& parsed) {
    return tracker.on_event(depth, event, parsed);
  };
  try {
    return json::parse(text, track);
  } catch (const DuplicateKey& d) {
    // nlohmann::json would keep the last value silently: a repeated key is almost always an edit gone
    // wrong (two "kernel"s, an override given twice), so it is refused.
    throw JsonSyntaxError(label + ": " + d.path + ": duplicate key \"" + shortened(printable(d.key)) +
                          "\" (an object may give each key once)");
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
    // out_of_range.406: a number beyond the double range ("1e400"); the message quotes it, the tracker
    // knows where it stands.
    throw JsonSyntaxError(label + ": " + tracker.path() + ": malformed JSON (" + shortened(e.what()) + ")");
  }
}

json read_json(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (std::filesystem::is_directory(status))
    throw JsonSyntaxError(path + ": is a folder, not a JSON file");
  // A device or FIFO (/dev/zero, /dev/urandom, a pipe) would be read forever.
  if (std::filesystem::exists(status) && !std::filesystem::is_regular_file(status))
    throw JsonSyntaxError(path +
                          ": is not a regular file (a device, FIFO or socket cannot hold a JSON document)");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw JsonSyntaxError(path + ": cannot open");
  std::stringstream buf;
  buf << in.rdbuf();
  if (in.bad())
    throw JsonSyntaxError(path + ": cannot read");
  return parse_json(buf.str(), path);
}

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  return out;
}

std::string json_path_child(const std::string& path, std::string_view key) {
  return path + "." + printable(key);
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
