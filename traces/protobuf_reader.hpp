// The decoding half of protobuf_writer.hpp: walks the fields of one serialized message. Used by the
// trace reader and by tests; throws std::runtime_error on malformed input instead of guessing.
#pragma once
#include <cstdint>
#include <string_view>

#include "traces/protobuf_writer.hpp"

namespace tn::trace {

struct ProtoField {
  uint32_t number = 0;
  WireType wire_type = WireType::kVarint;
  uint64_t int_value = 0;    // kVarint, kFixed64, kFixed32
  std::string_view bytes;    // kLengthDelimited
  double as_double() const;  // a kFixed64 field reinterpreted as IEEE-754 double
};

class ProtoReader {
 public:
  explicit ProtoReader(std::string_view message) : m_data(message) {}
  // Reads the next field into `f`; false at the end of the message.
  bool next(ProtoField& f);
  // Reads one varint at the cursor (used to walk packed repeated fields).
  uint64_t read_varint();
  bool at_end() const { return m_pos >= m_data.size(); }

 private:
  std::string_view m_data;
  size_t m_pos = 0;
};

}  // namespace tn::trace
