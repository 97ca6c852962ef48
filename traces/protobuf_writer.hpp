// A tiny protobuf wire-format encoder: just enough to write Perfetto TracePackets by hand without
// libprotobuf or Perfetto's .proto files (the "hand-written encoder" option of
// peers-perfetto-profiler.md §2(c)). Everything is encoded into one contiguous buffer: a nested message
// is written in place behind a one-byte length placeholder, and only a message that turns out longer than
// 127 bytes has its content shifted to make room for a longer length. The output is the canonical
// encoding (shortest varints), and after the first packets nothing allocates.
#pragma once
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tn::trace {

// Protobuf wire types (protobuf encoding spec): only the ones our messages use.
enum class WireType : uint8_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

// The number of bytes of the base-128 varint encoding of `v` (1..10).
inline size_t varint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}
// Writes the varint encoding of `v` at `p` (room for 10 bytes) and returns the end.
inline char* put_varint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

// Appends the base-128 varint encoding of `v` to `out`.
void append_varint(std::string& out, uint64_t v);
// Appends `v` as 8 little-endian bytes.
void append_fixed64(std::string& out, uint64_t v);

class ProtoWriter {
 public:
  ProtoWriter() = default;

  // Unsigned and signed integer fields (uint32/uint64/int32/int64/enum/bool). Negative int32/int64
  // values are sign-extended to 64 bits, as protobuf requires (10 bytes on the wire).
  void varint(uint32_t field, uint64_t v) {
    char* p = room(20);
    p = put_varint(p, (uint64_t(field) << 3) | uint64_t(WireType::kVarint));
    m_size = size_t(put_varint(p, v) - m_data.get());
  }
  void int64(uint32_t field, int64_t v) { varint(field, static_cast<uint64_t>(v)); }
  void fixed64(uint32_t field, uint64_t v) {
    char* p = room(18);
    p = put_varint(p, (uint64_t(field) << 3) | uint64_t(WireType::kFixed64));
    for (int i = 0; i < 8; ++i) {
      *p++ = static_cast<char>((v >> (8 * i)) & 0xFF);
    }
    m_size = size_t(p - m_data.get());
  }
  void double_(uint32_t field, double v);
  void bytes(uint32_t field, std::string_view v) {  // string or bytes
    char* p = room(20 + v.size());
    p = put_varint(p, (uint64_t(field) << 3) | uint64_t(WireType::kLengthDelimited));
    p = put_varint(p, v.size());
    if (!v.empty()) {
      std::memcpy(p, v.data(), v.size());
    }
    m_size = size_t(p + v.size() - m_data.get());
  }

  // A sub-message on `field` of two fields, a varint and then a varint (`second_fixed64` false) or a
  // fixed64, written in one pass: its length is known before its fields (Perfetto's debug annotations,
  // a dozen per slice, are all this shape). The same bytes as begin_nested, the fields, end_nested.
  void pair_message(uint32_t field, uint32_t f1, uint64_t v1, uint32_t f2, uint64_t v2, bool second_fixed64) {
    const uint64_t t1 = (uint64_t(f1) << 3) | uint64_t(WireType::kVarint);
    const uint64_t t2 =
        (uint64_t(f2) << 3) | uint64_t(second_fixed64 ? WireType::kFixed64 : WireType::kVarint);
    const size_t length =
        varint_size(t1) + varint_size(v1) + varint_size(t2) + (second_fixed64 ? 8 : varint_size(v2));
    char* p = room(50);
    p = put_varint(p, (uint64_t(field) << 3) | uint64_t(WireType::kLengthDelimited));
    p = put_varint(p, length);
    p = put_varint(p, t1);
    p = put_varint(p, v1);
    p = put_varint(p, t2);
    if (second_fixed64) {
      for (int i = 0; i < 8; ++i)
        *p++ = static_cast<char>((v2 >> (8 * i)) & 0xFF);
    } else {
      p = put_varint(p, v2);
    }
    m_size = size_t(p - m_data.get());
  }

  // Bytes already encoded (a field kept from an earlier message), appended as they are.
  void raw(std::string_view encoded) {
    char* p = room(encoded.size());
    if (!encoded.empty())
      std::memcpy(p, encoded.data(), encoded.size());
    m_size += encoded.size();
  }

  // Opens a length-delimited sub-message on `field`; every field written until the matching
  // end_nested() goes inside it.
  void begin_nested(uint32_t field) {
    char* p = room(11);
    p = put_varint(p, (uint64_t(field) << 3) | uint64_t(WireType::kLengthDelimited));
    m_open.push_back(size_t(p - m_data.get()));
    m_size = m_open.back() + 1;  // the length placeholder, right for contents up to 127 bytes
  }
  void end_nested();
  int depth() const { return static_cast<int>(m_open.size()); }

  // The finished top-level bytes (only meaningful at depth 0).
  std::string_view data() const { return {m_data.get(), m_size}; }
  size_t size() const { return m_size; }
  // Drops the top-level bytes; keeps the buffer's capacity.
  void clear();

 private:
  // Makes room for `n` more bytes and returns where they go.
  char* room(size_t n) {
    if (m_size + n > m_capacity) {
      grow(n);
    }
    return m_data.get() + m_size;
  }
  void grow(size_t n);

  std::unique_ptr<char[]> m_data;
  size_t m_size = 0, m_capacity = 0;
  std::vector<size_t> m_open;  // per open message: the offset of its length placeholder
};

}  // namespace tn::trace
