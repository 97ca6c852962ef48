#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include "sim/io/json_file.hpp"

#include <doctest/doctest.h>

#include <string>

namespace tn::io {
namespace {

std::string nested(int depth, const std::string& inner = "1") {
  return std::string(static_cast<size_t>(depth), '[') + inner + std::string(static_cast<size_t>(depth), ']');
}

std::string error_of(const std::string& text) {
  try {
    parse_json(text, "c.json");
  } catch (const JsonSyntaxError& e) {
    return e.what();
  }
  return "";
}

TEST_CASE("parse_json accepts nesting up to the limit") {
  CHECK(parse_json(nested(kMaxJsonDepth), "c.json").is_array());
  CHECK(parse_json(R"({"a": {"b": [1, {"c": "]]]]"}]}})", "c.json")["a"]["b"][1]["c"] == "]]]]");
}

TEST_CASE("parse_json refuses deeper nesting, naming where it starts, without overflowing the stack") {
  // Defects issue item 3: ~80,000 levels at a typed key crashed the error message's dump.
  const std::string deep =
      R"({"kernel": "floor_nisa_kernel", "params": {"p_size": 1, "f_size": )" + nested(80000) + "}}";
  const std::string e = error_of(deep);
  CHECK(e.find("JSON nested deeper than 64 levels") != std::string::npos);
  CHECK(e.rfind("c.json:1:", 0) == 0);
  // The position is the first bracket past the limit: the 65th, at column 65.
  CHECK(error_of(nested(kMaxJsonDepth + 1)) == "c.json:1:65: JSON nested deeper than 64 levels");
  // Brackets inside strings do not count.
  CHECK(error_of(R"({"s": ")" + std::string(100, '[') + R"("})").empty());
}

TEST_CASE("parse_json names line and column of a syntax error, and numbers past the double range") {
  CHECK(error_of("{\n  \"a\": ,\n}").rfind("c.json:2:8: malformed JSON", 0) == 0);
  CHECK(error_of(R"({"scale": 1e400})").find("c.json: $.scale: malformed JSON") == 0);
  CHECK(error_of(R"({"scale": 1e400})").find("1e400") != std::string::npos);
  CHECK(error_of(R"({"a": [1, 2, {"b": [3, -1e999]}]})").find("c.json: $.a[2].b[1]: malformed JSON") == 0);
  CHECK(error_of("1e400").find("c.json: $: malformed JSON") == 0);
}

TEST_CASE("parse_json refuses content after the document") {
  CHECK(error_of(R"({"a": 1} trailing)").rfind("c.json:1:", 0) == 0);
  CHECK(error_of(R"({"a": 1} {"a": 2})").find("malformed JSON") != std::string::npos);
  CHECK(error_of("{\"a\": 1}\n\n").empty());  // trailing white space is fine
}

TEST_CASE("parse_json refuses a repeated key, naming its path") {
  // Issue 13: {"kernel": "a", "kernel": "b"} ran kernel b.
  CHECK(error_of(R"({"kernel":"a","kernel":"b"})") ==
        "c.json: $.kernel: duplicate key \"kernel\" (an object may give each key once)");
  CHECK(error_of(R"({"hardware": {"overrides": {"dma": {"engines": 2, "engines": 4}}}})")
            .rfind("c.json: $.hardware.overrides.dma.engines: duplicate key", 0) == 0);
  CHECK(error_of(R"({"a": [{"x": 1}, {"y": 1, "y": 2}]})").rfind("c.json: $.a[1].y: duplicate key", 0) == 0);
  // The same key in different objects, or after a closed one, is no repeat.
  CHECK(error_of(R"({"a": {"x": 1}, "b": {"x": 2}, "c": [{"x": 3}, {"x": 4}]})").empty());
  CHECK(error_of(R"({"a": {"a": {"a": 1}}})").empty());
}

TEST_CASE("keys and paths from a file are printed with their control characters escaped") {
  // Issue 13: a NUL inside a key ended the message there.
  CHECK(printable(std::string("q\0x\x1f\x7f\xc3\xa9", 7)) == "q\\u0000x\\u001f\\u007f\xc3\xa9");
  CHECK(json_path_child("$.inputs", std::string("a\nb")) == "$.inputs.a\\u000ab");
  CHECK(error_of(R"({"k\u0000": 1, "k\u0000": 2})") ==
        "c.json: $.k\\u0000: duplicate key \"k\\u0000\" (an object may give each key once)");
}

TEST_CASE("read_json names a missing file and a folder") {
  CHECK_THROWS_WITH_AS(read_json("/nonexistent/c.json"), "/nonexistent/c.json: cannot open", JsonSyntaxError);
  CHECK_THROWS_WITH_AS(read_json("/tmp"), "/tmp: is a folder, not a JSON file", JsonSyntaxError);
}

TEST_CASE("read_json refuses devices, which would be read forever") {
  // Issue 13: a config naming /dev/zero or /dev/urandom hung.
  for (const char* device : {"/dev/zero", "/dev/urandom", "/dev/null"}) {
    CHECK_THROWS_WITH_AS(read_json(device),
                         (std::string(device) +
                          ": is not a regular file (a device, FIFO or socket cannot hold a JSON document)")
                             .c_str(),
                         JsonSyntaxError);
  }
}

TEST_CASE("describe_json_value stays short whatever the value") {
  CHECK(describe_json_value(nlohmann::json(3)) == "3");
  CHECK(describe_json_value(nlohmann::json("one")) == "\"one\"");
  CHECK(describe_json_value(nlohmann::json::array({1, 2, 3})) == "an array of 3 values");
  CHECK(describe_json_value(nlohmann::json::object({{"a", 1}})) == "an object with 1 key");
  const std::string d = describe_json_value(nlohmann::json(std::string(100000, 'x')));
  CHECK(d.size() < 100);
  CHECK(d.find("(100002 characters)") != std::string::npos);
  // A cut never splits a UTF-8 sequence: "é" is two bytes.
  std::string accents;
  for (int i = 0; i < 50; ++i)
    accents += "\xc3\xa9";
  const std::string a = describe_json_value(nlohmann::json(accents));
  CHECK(nlohmann::json(a).dump().size() > 0);  // dump throws on invalid UTF-8
}

}  // namespace
}  // namespace tn::io
