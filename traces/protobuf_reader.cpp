#include "traces/protobuf_reader.hpp"

#include <bit>
#include <stdexcept>
#include <string>

namespace tn::trace {

double ProtoField::as_double() const { return std::bit_cast<double>(int_value); }

uint64_t ProtoReader::read_varint() {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (m_pos >= m_data.size()) {
      throw std::runtime_error("protobuf: truncated varint");
    }
    const auto b = static_cast<uint8_t>(m_data[m_pos++]);
    v |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) {
      return v;
    }
  }
  throw std::runtime_error("protobuf: varint longer than 10 bytes");
}

bool ProtoReader::next(ProtoField& f) {
  if (at_end()) {
    return false;
  }
  const uint64_t key = read_varint();
  f.number = static_cast<uint32_t>(key >> 3);
  if (f.number == 0) {
    throw std::runtime_error("protobuf: field number 0");
  }
  f.bytes = {};
  f.int_value = 0;
  auto need = [&](uint64_t n) {
    if (n > m_data.size() - m_pos) {
      throw std::runtime_error("protobuf: field " + std::to_string(f.number) + " runs past the message end");
    }
  };
  switch (key & 7) {
    case 0:
      f.wire_type = WireType::kVarint;
      f.int_value = read_varint();
      return true;
    case 1:
    case 5: {
      const size_t n = (key & 7) == 1 ? 8 : 4;
      need(n);
      f.wire_type = n == 8 ? WireType::kFixed64 : WireType::kFixed32;
      for (size_t i = 0; i < n; ++i) {
        f.int_value |= static_cast<uint64_t>(static_cast<uint8_t>(m_data[m_pos + i])) << (8 * i);
      }
      m_pos += n;
      return true;
    }
    case 2: {
      const uint64_t n = read_varint();
      need(n);
      f.wire_type = WireType::kLengthDelimited;
      f.bytes = m_data.substr(m_pos, n);
      m_pos += n;
      return true;
    }
    default:
      throw std::runtime_error("protobuf: unsupported wire type " + std::to_string(key & 7) + " on field " +
                               std::to_string(f.number));
  }
}

}  // namespace tn::trace
