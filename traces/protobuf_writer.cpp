#include "traces/protobuf_writer.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <stdexcept>

namespace tn::trace {

void append_varint(std::string& out, uint64_t v) {
  char buf[10];
  out.append(buf, size_t(put_varint(buf, v) - buf));
}

void append_fixed64(std::string& out, uint64_t v) {
  char buf[8];
  for (int i = 0; i < 8; ++i) {
    buf[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  }
  out.append(buf, 8);
}

void ProtoWriter::double_(uint32_t field, double v) {
  // A protobuf double is the IEEE-754 bit pattern as fixed64 (wire type 1).
  fixed64(field, std::bit_cast<uint64_t>(v));
}

void ProtoWriter::grow(size_t n) {
  const size_t capacity = std::max({m_capacity * 2, m_size + n, size_t(4096)});
  auto data = std::make_unique<char[]>(capacity);
  if (m_size > 0) {
    std::memcpy(data.get(), m_data.get(), m_size);
  }
  m_data = std::move(data);
  m_capacity = capacity;
}

void ProtoWriter::end_nested() {
  if (m_open.empty()) {
    throw std::logic_error("ProtoWriter::end_nested without begin_nested");
  }
  const size_t at = m_open.back();
  m_open.pop_back();
  const size_t length = m_size - at - 1;
  const size_t extra = varint_size(length) - 1;
  if (extra > 0) {
    // Longer than 127 bytes: shift the content right to fit the longer length.
    room(extra);
    std::memmove(m_data.get() + at + 1 + extra, m_data.get() + at + 1, length);
    m_size += extra;
  }
  put_varint(m_data.get() + at, length);
}

void ProtoWriter::clear() {
  assert(m_open.empty());
  m_size = 0;
}

}  // namespace tn::trace
