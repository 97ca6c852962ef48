#include "isa/program_hash.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string_view>
#include <type_traits>

namespace tn::isa {

namespace {

// FNV-1a 64 over 64-bit words (each word one value: a field, a length, a name's 8-byte chunk), so hashing
// costs a multiply per value rather than per byte of a text form. Values are fed in a fixed order per
// instruction kind (the ISA table's field order), with every variable-length part preceded by its length,
// so two different instructions cannot feed the same words.
class Hasher {
 public:
  explicit Hasher(uint64_t seed) : m_h(seed) {}
  uint64_t value() const { return m_h; }

  void word(uint64_t w) { m_h = (m_h ^ w) * 1099511628211ull; }
  void add(int64_t v) { word(static_cast<uint64_t>(v)); }
  void add(int32_t v) { add(int64_t{v}); }
  void add(bool v) { word(v ? 1 : 0); }
  void add(float v) {
    // Every NaN is the same value to a program.
    const float canonical = std::isnan(v) ? std::numeric_limits<float>::quiet_NaN() : v;
    uint32_t bits;
    std::memcpy(&bits, &canonical, sizeof bits);
    word(bits);
  }
  void add(std::string_view s) {
    word(s.size());
    for (size_t i = 0; i < s.size(); i += 8) {
      uint64_t chunk = 0;
      std::memcpy(&chunk, s.data() + i, std::min<size_t>(8, s.size() - i));
      word(chunk);
    }
  }
  void add(AluOp v) { add(name_of(v)); }
  void add(ActFunc v) { add(name_of(v)); }
  void add(CmpOp v) { add(name_of(v)); }
  void add(BranchCond v) { add(name_of(v)); }
  void add(const RegOrImm& v) {
    add(v.is_reg);
    add(v.value);
  }
  void add(const Steps& v) {
    for (int64_t s : v)
      add(s);
  }
  void add(const ShuffleMask& v) {
    for (uint8_t s : v)
      word(s);
  }
  void add(const AccessPattern& ap) {
    word(static_cast<uint64_t>(ap.mem));
    word(static_cast<uint64_t>(ap.dtype));
    add(ap.offset);
    word(ap.ndim);
    for (int i = 0; i < ap.ndim; ++i) {
      add(ap.dims[i].stride);
      add(ap.dims[i].count);
    }
    if (ap.mem == MemKind::kHbm) {
      add(ap.tensor);
      add(ap.partition_stride);
    } else {
      add(ap.start_partition);
    }
    add(ap.num_partitions);
  }
  void add(const OptionalAp& v) {
    add(v.present);
    if (v.present)
      add(v.ap);
  }
  void add(const ScalarOperand& v) {
    add(v.is_ap);
    if (v.is_ap)
      add(v.ap);
    else
      add(v.imm);
  }
  void add(const Operation& op) {
    std::visit(
        [this](const auto& o) {
          using Op = std::decay_t<decltype(o)>;
          add(std::string_view(Op::kMnemonic));
          Op::for_each_field(o, [this](const char*, const auto& v) { add(v); });
        },
        op);
  }

 private:
  uint64_t m_h;
};

}  // namespace

uint64_t program_hash(const Program& p, uint64_t seed) {
  Hasher h(seed);
  // Tensors by name, dtype and shape; like their kind, their scope is a property of the launch's memory
  // map rather than of the instruction streams.
  h.word(p.tensors.size());
  for (const auto& t : p.tensors) {
    h.add(t.name);
    h.word(static_cast<uint64_t>(t.dtype));
    h.word(t.shape.size());
    for (int64_t e : t.shape)
      h.add(e);
  }
  h.word(p.replica_groups.size());
  for (const ReplicaGroup& g : p.replica_groups) {
    h.word(g.size());
    for (const auto& row : g) {
      h.word(row.size());
      for (int32_t r : row)
        h.add(r);
    }
  }
  h.word(p.streams.size());
  for (const auto& s : p.streams) {
    h.add(s.name);
    if (s.dge != DgeMode::kNone) {  // absent before DGE modes existed: older programs keep their hashes
      h.word(uint64_t(s.dge));
      h.word(uint64_t(s.dge_trigger));
    }
    h.word(s.instructions.size());
    for (const auto& in : s.instructions) {
      h.add(in.op.get());
      h.word(in.waits.size());
      for (const auto& w : in.waits) {
        h.add(w.sem);
        h.add(w.at_least);
        h.add(w.consume);
      }
      h.add(in.counts);
    }
  }
  return h.value();
}

uint64_t programs_hash(const std::vector<Program>& programs) {
  uint64_t h = 1469598103934665603ull;
  for (const auto& p : programs)
    h = program_hash(p, h);
  return h;
}

uint64_t operation_hash(const Operation& op) {
  Hasher h(1469598103934665603ull);
  h.add(op);
  return h.value();
}

std::string hash_hex(uint64_t hash) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(hash));
  return buf;
}

}  // namespace tn::isa
