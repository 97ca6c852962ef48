#include "traces/protobuf_writer.hpp"

#include <bit>
#include <cassert>
#include <stdexcept>

namespace tn::trace {

void append_varint(std::string& out, uint64_t v) {
  char buf[10];
  size_t n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out.append(buf, n);
}

void append_fixed64(std::string& out, uint64_t v) {
  char buf[8];
  for (int i = 0; i < 8; ++i) {
    buf[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  }
  out.append(buf, 8);
}

ProtoWriter::ProtoWriter() : m_stack(1), m_fields(1, 0) {}

void ProtoWriter::tag(uint32_t field, WireType wt) {
  append_varint(top(), (static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(wt));
}

void ProtoWriter::varint(uint32_t field, uint64_t v) {
  tag(field, WireType::kVarint);
  append_varint(top(), v);
}

void ProtoWriter::fixed64(uint32_t field, uint64_t v) {
  tag(field, WireType::kFixed64);
  append_fixed64(top(), v);
}

void ProtoWriter::double_(uint32_t field, double v) {
  // A protobuf double is the IEEE-754 bit pattern as fixed64 (wire type 1).
  fixed64(field, std::bit_cast<uint64_t>(v));
}

void ProtoWriter::bytes(uint32_t field, std::string_view v) {
  tag(field, WireType::kLengthDelimited);
  append_varint(top(), v.size());
  top().append(v);
}

void ProtoWriter::begin_nested(uint32_t field) {
  ++m_depth;
  if (static_cast<size_t>(m_depth) == m_stack.size()) {
    m_stack.emplace_back();
    m_fields.push_back(0);
  }
  m_stack[static_cast<size_t>(m_depth)].clear();
  m_fields[static_cast<size_t>(m_depth)] = field;
}

void ProtoWriter::end_nested() {
  if (m_depth == 0) {
    throw std::logic_error("ProtoWriter::end_nested without begin_nested");
  }
  const auto d = static_cast<size_t>(m_depth);
  --m_depth;
  // The child's length is only known now, so it is copied into the parent behind tag + length.
  bytes(m_fields[d], m_stack[d]);
  m_stack[d].clear();
}

void ProtoWriter::clear() {
  assert(m_depth == 0);
  m_stack[0].clear();
}

}  // namespace tn::trace
