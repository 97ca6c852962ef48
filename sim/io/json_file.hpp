// Reading JSON a user wrote (run configs, hardware presets and overrides): bounded nesting, errors with
// line and column, and values described in messages without dumping them whole.
#pragma once
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tn::io {

// Configs nest a few levels (a run config's deepest key is $.hardware.overrides.GROUP.KEY). The limit
// keeps a hostile document from overflowing the stack of any recursive walk over it (dump, compare).
inline constexpr int kMaxJsonDepth = 64;

class JsonSyntaxError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses `text` (read from `label`, which starts every message). Malformed JSON and nesting deeper than
// kMaxJsonDepth throw JsonSyntaxError "label:LINE:COL: ..."; a number outside the double range and an
// object that repeats a key (nlohmann::json would keep the last silently) "label: $.JSON.PATH: ...".
nlohmann::json parse_json(const std::string& text, const std::string& label);

// Reads and parses a file; a missing or unreadable file, a folder or anything but a regular file (a device
// such as /dev/zero would be read forever) is a JsonSyntaxError naming it.
nlohmann::json read_json(const std::string& path);

// Text from a user's file (a key, a path) made safe to print: control characters (NUL above all, which
// cuts a message short) become \u00XX, as JSON writes them; everything else is kept as it is.
std::string printable(std::string_view text);
// The JSON path of `key` inside the object at `path`: path + "." + printable(key).
std::string json_path_child(const std::string& path, std::string_view key);

// A short description of a value for error messages: scalars as written (long strings cut), arrays and
// objects by their size ("an array of 3 values"), never more than about 80 characters.
std::string describe_json_value(const nlohmann::json& value);

}  // namespace tn::io
