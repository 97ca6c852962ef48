#include "traces/string_interner.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>

namespace tn::trace {

namespace {

// A word-at-a-time hash with MurmurHash3's finaliser: the table's slot comes from its low bits. (Which
// hash it is changes no iid: iids follow the order of first use.)
uint64_t hash_text(std::string_view s) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ s.size();
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = (h ^ w) * 0xFF51AFD7ED558CCDull;
    h ^= h >> 32;
  }
  if (i < s.size()) {
    uint64_t w = 0;
    std::memcpy(&w, s.data() + i, s.size() - i);
    h = (h ^ w) * 0xC4CEB9FE1A85EC53ull;
  }
  h ^= h >> 33;
  h *= 0xFF51AFD7ED558CCDull;
  h ^= h >> 33;
  return h;
}

// intern_stable()'s slot for an address and size.
size_t address_hash(const char* data, size_t size) {
  const uint64_t h = (reinterpret_cast<uintptr_t>(data) ^ (uint64_t(size) << 48)) * 0x9E3779B97F4A7C15ull;
  return size_t(h ^ (h >> 29));
}

}  // namespace

StringInterner::StringInterner(size_t max_entries, size_t cache_lines)
    : m_max_entries(max_entries), m_slots(64), m_cache(std::bit_ceil(std::max<size_t>(cache_lines, 1))) {}

StringInterner::Result StringInterner::intern(std::string_view s) {
  CacheLine& line = line_of(s);
  if (line.iid != 0 && line.data == s.data() && line.size == s.size() && text(line.iid) == s) {
    return {line.iid, false};
  }
  bool fresh = false;
  const uint32_t iid = find_or_insert(s, fresh);
  if (iid != 0) {
    line = CacheLine{s.data(), s.size(), iid};
  }
  return {iid, fresh};
}

StringInterner::Result StringInterner::intern_stable(std::string_view s) {
  const size_t mask = m_stable.size() - 1;
  size_t i = address_hash(s.data(), s.size()) & mask;
  for (; m_stable[i].iid != 0; i = (i + 1) & mask) {
    if (m_stable[i].data == s.data() && m_stable[i].size == s.size())
      return {m_stable[i].iid, false};
  }
  bool fresh = false;
  const uint32_t iid = find_or_insert(s, fresh);
  if (iid != 0) {
    m_stable[i] = StableSlot{s.data(), s.size(), iid};
    if (++m_stable_count * 2 > m_stable.size())
      grow_stable();
  }
  return {iid, fresh};
}

void StringInterner::grow_stable() {
  std::vector<StableSlot> slots(m_stable.size() * 2);
  const size_t mask = slots.size() - 1;
  for (const StableSlot& s : m_stable) {
    if (s.iid == 0)
      continue;
    size_t i = address_hash(s.data, s.size) & mask;
    while (slots[i].iid != 0)
      i = (i + 1) & mask;
    slots[i] = s;
  }
  m_stable = std::move(slots);
}

uint32_t StringInterner::find_or_insert(std::string_view s, bool& fresh) {
  const uint64_t hash = hash_text(s);
  const size_t mask = m_slots.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    Slot& slot = m_slots[i];
    if (slot.iid == 0) {
      if (m_entries.size() >= m_max_entries || s.size() > UINT32_MAX) {
        return 0;
      }
      m_entries.push_back(Entry{m_arena.size(), static_cast<uint32_t>(s.size())});
      m_arena.append(s);
      slot = Slot{hash, static_cast<uint32_t>(m_entries.size())};
      fresh = true;
      const uint32_t iid = slot.iid;
      if (m_entries.size() * 2 > m_slots.size()) {
        rehash();
      }
      return iid;
    }
    if (slot.hash == hash && text(slot.iid) == s) {
      return slot.iid;
    }
  }
}

void StringInterner::rehash() {
  std::vector<Slot> slots(m_slots.size() * 2);
  const size_t mask = slots.size() - 1;
  for (const Slot& s : m_slots) {
    if (s.iid == 0) {
      continue;
    }
    size_t i = s.hash & mask;
    while (slots[i].iid != 0) {
      i = (i + 1) & mask;
    }
    slots[i] = s;
  }
  m_slots = std::move(slots);
}

}  // namespace tn::trace
