#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "traces/protobuf_reader.hpp"
#include "traces/protobuf_writer.hpp"

namespace tn::trace {
namespace {

std::string hex(std::string_view s) {
  static constexpr char k[] = "0123456789abcdef";
  std::string out;
  for (const char c : s) {
    const auto b = static_cast<uint8_t>(c);
    out += k[b >> 4];
    out += k[b & 0xF];
  }
  return out;
}

TEST_CASE("varint encoding matches the protobuf spec examples") {
  auto enc = [](uint64_t v) {
    std::string s;
    append_varint(s, v);
    return hex(s);
  };
  CHECK(enc(0) == "00");
  CHECK(enc(1) == "01");
  CHECK(enc(127) == "7f");
  CHECK(enc(128) == "8001");
  CHECK(enc(150) == "9601");  // the spec's example
  CHECK(enc(300) == "ac02");
  CHECK(enc(std::numeric_limits<uint64_t>::max()) == "ffffffffffffffffff01");
}

TEST_CASE("ProtoWriter: scalar fields") {
  ProtoWriter w;
  w.varint(1, 150);
  CHECK(hex(w.data()) == "089601");
  w.clear();
  w.int64(12, -1);  // negative int32/int64: sign-extended, 10 bytes
  CHECK(hex(w.data()) == "60ffffffffffffffffff01");
  w.clear();
  w.fixed64(47, 0x0102030405060708ULL);  // tag (47 << 3 | 1) = 377 = f9 02, little endian payload
  CHECK(hex(w.data()) == "f9020807060504030201");
  w.clear();
  w.double_(5, 1.0);
  CHECK(hex(w.data()) == "29000000000000f03f");
  w.clear();
  w.bytes(2, "testing");
  CHECK(hex(w.data()) == "120774657374696e67");
}

TEST_CASE("ProtoWriter: nested messages get their lengths, buffers are reused") {
  ProtoWriter w;
  for (int round = 0; round < 2; ++round) {
    w.clear();
    w.begin_nested(1);
    w.varint(8, 5);
    w.begin_nested(11);
    w.varint(9, 1);
    w.end_nested();
    w.begin_nested(12);  // empty nested message still appears (presence matters)
    w.end_nested();
    w.end_nested();
    CHECK(w.depth() == 0);
    // packet{0a 08}: timestamp{40 05} track_event{5a 02: type{48 01}} interned_data{62 00}
    CHECK(hex(w.data()) == "0a0840055a0248016200");
  }
  CHECK_THROWS_AS(w.end_nested(), std::logic_error);
}

TEST_CASE("ProtoWriter: a nested message longer than 127 bytes gets a two-byte length") {
  ProtoWriter w;
  w.begin_nested(3);
  w.bytes(1, std::string(200, 'x'));  // 1 tag + 2 length + 200 = 203
  w.end_nested();
  const std::string_view d = w.data();
  CHECK(hex(d.substr(0, 3)) == "1acb01");
  CHECK(d.size() == 3 + 203);
}

TEST_CASE("ProtoWriter: a two-field message in one pass is byte for byte the nested one") {
  const uint64_t values[] = {0, 1, 127, 128, 300, uint64_t(-1), uint64_t(-1234567), 1ull << 40};
  for (const uint64_t a : values) {
    for (const uint64_t b : values) {
      for (const bool fixed : {false, true}) {
        ProtoWriter nested, pair;
        nested.begin_nested(4);
        nested.varint(1, a);
        if (fixed)
          nested.fixed64(5, b);
        else
          nested.varint(17, b);
        nested.end_nested();
        pair.pair_message(4, 1, a, fixed ? 5 : 17, b, fixed);
        CAPTURE(a);
        CAPTURE(b);
        CHECK(hex(pair.data()) == hex(nested.data()));
      }
    }
  }
}

TEST_CASE("ProtoReader decodes what ProtoWriter encodes") {
  ProtoWriter w;
  w.varint(1, 300);
  w.fixed64(2, 0xDEADBEEFCAFEF00DULL);
  w.double_(3, -2.5);
  w.begin_nested(4);
  w.bytes(1, "inner");
  w.end_nested();
  w.int64(5, -42);
  ProtoReader r(w.data());
  ProtoField f;
  REQUIRE(r.next(f));
  CHECK(f.number == 1);
  CHECK(f.wire_type == WireType::kVarint);
  CHECK(f.int_value == 300);
  REQUIRE(r.next(f));
  CHECK(f.wire_type == WireType::kFixed64);
  CHECK(f.int_value == 0xDEADBEEFCAFEF00DULL);
  REQUIRE(r.next(f));
  CHECK(f.as_double() == -2.5);
  REQUIRE(r.next(f));
  CHECK(f.number == 4);
  CHECK(f.wire_type == WireType::kLengthDelimited);
  ProtoReader inner(f.bytes);
  ProtoField g;
  REQUIRE(inner.next(g));
  CHECK(g.bytes == "inner");
  CHECK(!inner.next(g));
  REQUIRE(r.next(f));
  CHECK(static_cast<int64_t>(f.int_value) == -42);
  CHECK(!r.next(f));
}

TEST_CASE("ProtoReader rejects malformed input") {
  ProtoField f;
  {
    ProtoReader r(
        std::string_view("\x0a\x05"
                         "ab",
                         4));  // length 5, only 2 bytes
    CHECK_THROWS_AS(r.next(f), std::runtime_error);
  }
  {
    ProtoReader r(std::string_view("\x08\x80", 2));  // truncated varint
    CHECK_THROWS_AS(r.next(f), std::runtime_error);
  }
  {
    ProtoReader r(std::string_view("\x0b", 1));  // wire type 3 (groups) is not supported
    CHECK_THROWS_AS(r.next(f), std::runtime_error);
  }
}

}  // namespace
}  // namespace tn::trace
