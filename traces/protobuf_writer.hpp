// A tiny protobuf wire-format encoder: just enough to write Perfetto TracePackets by hand without
// libprotobuf or Perfetto's .proto files (the "hand-written encoder" option of
// peers-perfetto-profiler.md §2(c)). Nested messages are built in a stack of scratch buffers that are
// reused from message to message, so steady-state encoding does not allocate.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tn::trace {

// Protobuf wire types (protobuf encoding spec): only the ones our messages use.
enum class WireType : uint8_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

// Appends the base-128 varint encoding of `v` to `out`.
void append_varint(std::string& out, uint64_t v);
// Appends `v` as 8 little-endian bytes.
void append_fixed64(std::string& out, uint64_t v);

class ProtoWriter {
 public:
  ProtoWriter();

  // Unsigned and signed integer fields (uint32/uint64/int32/int64/enum/bool). Negative int32/int64
  // values are sign-extended to 64 bits, as protobuf requires (10 bytes on the wire).
  void varint(uint32_t field, uint64_t v);
  void int64(uint32_t field, int64_t v) { varint(field, static_cast<uint64_t>(v)); }
  void fixed64(uint32_t field, uint64_t v);
  void double_(uint32_t field, double v);
  void bytes(uint32_t field, std::string_view v);  // string or bytes

  // Opens a length-delimited sub-message on `field`; every field written until the matching
  // end_nested() goes inside it.
  void begin_nested(uint32_t field);
  void end_nested();
  int depth() const { return m_depth; }

  // The finished top-level bytes (only meaningful at depth 0).
  std::string_view data() const { return m_stack[0]; }
  size_t size() const { return m_stack[0].size(); }
  // Drops the top-level bytes; keeps the capacity of every scratch buffer.
  void clear();

 private:
  std::string& top() { return m_stack[static_cast<size_t>(m_depth)]; }
  void tag(uint32_t field, WireType wt);

  // m_stack[0] is the top-level message; m_stack[d] the message open at nesting depth d. Buffers are
  // never freed, so after the first few packets nothing allocates.
  std::vector<std::string> m_stack;
  std::vector<uint32_t> m_fields;  // m_fields[d]: field number of the message open at depth d
  int m_depth = 0;
};

}  // namespace tn::trace
