// The iid table behind one of Perfetto's interned-string lists (event names, debug annotation names,
// debug annotation string values: peers-perfetto-profiler.md §2(b) "Interning"). Iids are 1, 2, 3, ... in
// order of first use, so the same calls give the same iids and the same bytes.
//
// It is on the path of every slice (a dozen lookups each), so it is built for that: the text lives in one
// arena, the table is open addressing over (hash, iid), and a small direct-mapped cache keyed by the
// caller's pointer and length answers the common case, a caller passing the same string literal or the
// same long-lived string again, without hashing it. A cache hit still compares the text, so a caller that
// reuses a buffer for different text gets the right iid.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tn::trace {

class StringInterner {
 public:
  // `max_entries`: the table stops growing there (intern() then returns 0 for new text). `cache_lines`
  // (a power of two): the pointer cache's size; a table of many long-lived texts wants one line per text.
  explicit StringInterner(size_t max_entries, size_t cache_lines = 4096);

  struct Result {
    uint64_t iid = 0;    // 0: the table is full and `s` is new; the caller writes it inline
    bool fresh = false;  // interned by this call: the caller must emit its definition
  };
  Result intern(std::string_view s);
  // As intern(), for text the caller keeps valid and unchanged while the table is in use (string
  // literals, a program's names: TraceSink's names and keys, Arg::stable_text): such text is known by its
  // address and size, in a table of its own (exact, so a repeat never hashes the text again; the pointer
  // cache's lines may point at a buffer whose text has changed since a plain intern() filled them).
  Result intern_stable(std::string_view s);
  std::string_view text(uint64_t iid) const {
    const Entry& e = m_entries[iid - 1];
    return {m_arena.data() + e.offset, e.size};
  }
  size_t size() const { return m_entries.size(); }

 private:
  struct Entry {
    size_t offset = 0;
    uint32_t size = 0;
  };
  struct Slot {
    uint64_t hash = 0;
    uint32_t iid = 0;  // 0: empty
  };
  struct CacheLine {
    const char* data = nullptr;
    size_t size = 0;
    uint32_t iid = 0;
  };
  // intern_stable()'s table: open addressing over (address, size).
  struct StableSlot {
    const char* data = nullptr;
    size_t size = 0;
    uint32_t iid = 0;  // 0: empty
  };
  void grow_stable();
  CacheLine& line_of(std::string_view s) {
    const auto key = reinterpret_cast<uintptr_t>(s.data());
    return m_cache[((key >> 3) ^ (key >> 15) ^ s.size()) & (m_cache.size() - 1)];
  }

  uint32_t find_or_insert(std::string_view s, bool& fresh);
  void rehash();

  size_t m_max_entries;
  std::string m_arena;
  std::vector<Entry> m_entries;                                    // by iid - 1
  std::vector<Slot> m_slots;                                       // power-of-two size, at most half full
  std::vector<CacheLine> m_cache;                                  // power-of-two size
  std::vector<StableSlot> m_stable = std::vector<StableSlot>(64);  // power-of-two size, at most half full
  size_t m_stable_count = 0;
};

}  // namespace tn::trace
