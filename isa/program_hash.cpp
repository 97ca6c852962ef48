#include "isa/program_hash.hpp"

#include <cstdio>

#include "isa/program_json.hpp"

namespace tn::isa {

namespace {
uint64_t fnv1a(std::string_view s, uint64_t h) {
  for (unsigned char c : s)
    h = (h ^ c) * 1099511628211ull;
  return h;
}
}  // namespace

uint64_t program_hash(const Program& p, uint64_t h) {
  // Instruction by instruction, so hashing a large program needs no more memory than one instruction.
  // Tensors by name, dtype and shape; like their kind, their scope is a property of the launch's memory
  // map rather than of the instruction streams.
  for (const auto& t : p.tensors) {
    h = fnv1a(t.name, h);
    h = fnv1a(dtype_name(t.dtype), h);
    for (int64_t e : t.shape)
      h = fnv1a(std::to_string(e), h);
  }
  // Replica groups only when there are any, so programs without collectives hash as before.
  for (const ReplicaGroup& g : p.replica_groups) {
    h = fnv1a("group", h);
    for (const auto& row : g) {
      h = fnv1a("row", h);
      for (int32_t r : row)
        h = fnv1a(std::to_string(r), h);
    }
  }
  for (const auto& s : p.streams) {
    h = fnv1a(s.name, h);
    for (const auto& in : s.instructions) {
      h = fnv1a(operation_to_json(in.op).dump(), h);
      for (const auto& w : in.waits) {
        // A plain wait hashes as before consume existed, so existing program hashes are unchanged.
        h = fnv1a(std::to_string(w.sem) + ">=" + std::to_string(w.at_least), h);
        if (w.consume) {
          // FNV-1a over consecutive pieces equals it over their concatenation "-<consume>".
          h = fnv1a(std::to_string(w.consume), fnv1a("-", h));
        }
      }
      if (!in.counts)
        h = fnv1a("uncounted", h);
    }
  }
  return h;
}

uint64_t programs_hash(const std::vector<Program>& programs) {
  uint64_t h = 1469598103934665603ull;
  for (const auto& p : programs)
    h = program_hash(p, h);
  return h;
}

std::string hash_hex(uint64_t hash) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(hash));
  return buf;
}

}  // namespace tn::isa
