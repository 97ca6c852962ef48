#include "kernels/builder/dependency_tracker.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <type_traits>

#include "isa/operands.hpp"

namespace tn::kernels {

DependencyTracker::Space& DependencyTracker::space_of(int32_t space) {
  Space* s = nullptr;
  if (space >= 0) {
    if (size_t(space) >= m_hbm_spaces.size())
      m_hbm_spaces.resize(size_t(space) + 1);
    s = &m_hbm_spaces[size_t(space)];
  } else {
    s = &m_on_chip_spaces[size_t(-1 - space)];
    s->groups = kPartitionGroups;
  }
  if (s->starts.empty()) {  // first use: one segment, never written, never read
    s->starts.push_back(0);
    s->slot.push_back(new_slot(*s));
    s->uniform.push_back(1);
  }
  return *s;
}

size_t DependencyTracker::segment_at(Space& s, int64_t at, size_t hint) {
  // The hinted segment or one of the few after it (the next tile of a sequential walk, or the place
  // record() found before a split moved it on), before a search.
  const size_t n = s.starts.size();
  for (size_t i = std::min(hint, n - 1), end = std::min(hint + 4, n); i < end && s.starts[i] <= at; ++i) {
    if (i + 1 == n || at < s.starts[i + 1])
      return s.last_found = i;
  }
  return s.last_found = size_t(std::upper_bound(s.starts.begin(), s.starts.end(), at) - s.starts.begin()) - 1;
}

uint32_t DependencyTracker::new_slot(Space& s) {
  if (!s.free_slots.empty()) {
    const uint32_t slot = s.free_slots.back();
    s.free_slots.pop_back();
    std::fill_n(s.histories.begin() + ptrdiff_t(slot) * s.groups, s.groups, History{});
    return slot;
  }
  const auto slot = uint32_t(s.histories.size() / size_t(s.groups));
  s.histories.resize(s.histories.size() + size_t(s.groups));
  return slot;
}

void DependencyTracker::release_slot(Space& s, uint32_t slot) {
  History* h = &s.histories[size_t(slot) * s.groups];
  for (int32_t g = 0; g < s.groups; ++g)
    clear_readers(h[g].readers);
  s.free_slots.push_back(slot);
}

void DependencyTracker::clone_overflow(Readers& r) {
  if (r.overflow < 0)
    return;
  const std::vector<isa::InstrRef> more = m_overflow[size_t(r.overflow)];
  r.overflow = -1;
  for (const isa::InstrRef& reader : more)
    add_reader(r, reader);
}

size_t DependencyTracker::split(Space& s, int64_t at, size_t hint) {
  const size_t i = segment_at(s, at, hint);
  if (s.starts[i] == at)
    return i;
  const uint32_t copy = new_slot(s);  // may move the histories: index them only afterwards
  History* to = &s.histories[size_t(copy) * s.groups];
  const History* from = histories_of(s, i);
  const int32_t used = s.uniform[i] ? 1 : s.groups;  // a uniform segment's other groups are default
  std::copy_n(from, used, to);
  for (int32_t g = 0; g < used; ++g)
    clone_overflow(to[g].readers);  // the copy gets lists of its own
  s.starts.insert(s.starts.begin() + ptrdiff_t(i) + 1, at);
  s.slot.insert(s.slot.begin() + ptrdiff_t(i) + 1, copy);
  s.uniform.insert(s.uniform.begin() + ptrdiff_t(i) + 1, s.uniform[i]);
  return i + 1;
}

void DependencyTracker::expand(Space& s, size_t segment) {
  if (!s.uniform[segment])
    return;
  s.uniform[segment] = 0;
  History* h = histories_of(s, segment);
  for (int32_t g = 1; g < s.groups; ++g) {
    h[g] = h[0];
    clone_overflow(h[g].readers);
  }
}

void DependencyTracker::add_reader(Readers& r, const isa::InstrRef& reader) {
  for (int32_t i = 0; i < r.count; ++i) {
    if (r.first[i].stream == reader.stream) {
      r.first[i] = reader;
      return;
    }
  }
  if (r.count < Readers::kInline) {
    r.first[r.count++] = reader;
    return;
  }
  if (r.overflow < 0) {
    if (m_free_overflow.empty()) {
      r.overflow = int32_t(m_overflow.size());
      m_overflow.emplace_back();
    } else {
      r.overflow = m_free_overflow.back();
      m_free_overflow.pop_back();
    }
  }
  std::vector<isa::InstrRef>& more = m_overflow[size_t(r.overflow)];
  for (isa::InstrRef& x : more) {
    if (x.stream == reader.stream) {
      x = reader;
      return;
    }
  }
  more.push_back(reader);
}

void DependencyTracker::append_readers(const Readers& r, std::vector<isa::InstrRef>& out) const {
  const auto add = [&](const isa::InstrRef& x) {
    if (out.empty() || !(out.back() == x))
      out.push_back(x);
  };
  std::for_each(r.first.begin(), r.first.begin() + r.count, add);
  if (r.overflow >= 0) {
    const auto& more = m_overflow[size_t(r.overflow)];
    std::for_each(more.begin(), more.end(), add);
  }
}

void DependencyTracker::clear_readers(Readers& r) {
  if (r.overflow >= 0) {
    m_overflow[size_t(r.overflow)].clear();
    m_free_overflow.push_back(r.overflow);
  }
  r = Readers{};
}

bool DependencyTracker::same_bytes(const History& a, const History& b) {
  static_assert(std::has_unique_object_representations_v<History>, "History compares as bytes");
  return std::memcmp(&a, &b, sizeof(History)) == 0;
}

bool DependencyTracker::same_history(const History& a, const History& b) const {
  if (!(a.writer == b.writer) || a.readers.count != b.readers.count ||
      !std::equal(a.readers.first.begin(), a.readers.first.begin() + a.readers.count,
                  b.readers.first.begin())) {
    return false;
  }
  if (a.readers.overflow < 0 || b.readers.overflow < 0)
    return a.readers.overflow == b.readers.overflow;
  return m_overflow[size_t(a.readers.overflow)] == m_overflow[size_t(b.readers.overflow)];
}

void DependencyTracker::record(int32_t stream, int32_t index, std::span<const Access> accesses,
                               std::vector<isa::InstrRef>& deps) {
  const isa::InstrRef self{stream, index};
  const auto add_history = [&](const History& h, bool is_write) {
    if (h.writer.stream >= 0 && (deps.empty() || !(deps.back() == h.writer)))
      deps.push_back(h.writer);
    if (is_write)
      append_readers(h.readers, deps);
  };
  // Every space first (creating an HBM tensor's may move the others), then every access's place.
  m_found.assign(accesses.size(), {});
  for (const Access& a : accesses) {
    if (a.space >= 0 && size_t(a.space) >= m_hbm_spaces.size())
      m_hbm_spaces.resize(size_t(a.space) + 1);
  }
  // First every dependency, against the state before this instruction: an instruction that reads and
  // writes one place (in-place ops, overlapping DMA source and destination) depends on the old writer and
  // the old readers, including an earlier reader of its own stream, and never on itself.
  for (size_t k = 0; k < accesses.size(); ++k) {
    const Access& a = accesses[k];
    if (a.hi <= a.lo)
      continue;
    Space& s = space_of(a.space);
    const auto [g0, g1] = groups_of(s, a);
    const size_t start = segment_at(s, a.lo, s.last_found);
    m_found[k] = {&s, start};
    for (size_t i = start; i < s.starts.size() && s.starts[i] < a.hi; ++i) {
      const History* h = histories_of(s, i);
      if (s.uniform[i]) {
        add_history(h[0], a.is_write);
        continue;
      }
      for (int32_t g = g0; g <= g1; ++g) {
        // Neighbouring groups often share a history: a repeat adds nothing.
        if (g == g0 || !same_bytes(h[g], h[g - 1]))
          add_history(h[g], a.is_write);
      }
    }
  }
  // Then the new history: reads first, so that a write of the same place supersedes them.
  for (size_t k = 0; k < accesses.size(); ++k) {
    const Access& a = accesses[k];
    if (a.hi <= a.lo || a.is_write)
      continue;
    Space& s = *m_found[k].space;
    const auto [g0, g1] = groups_of(s, a);
    const bool all_groups = g0 == 0 && g1 == s.groups - 1;
    const size_t first = split(s, a.lo, m_found[k].near), last = split(s, a.hi, first);
    for (size_t i = first; i < last; ++i) {
      History* h = histories_of(s, i);
      if (s.uniform[i] && all_groups) {
        add_reader(h[0].readers, self);
        continue;
      }
      expand(s, i);
      History before;
      for (int32_t g = g0; g <= g1; ++g) {
        // A group whose history equalled its neighbour's before this read equals it after (lists in the
        // overflow pool are each group's own, so only inline ones are copied).
        if (g > g0 && h[g - 1].readers.overflow < 0 && same_bytes(h[g], before)) {
          before = h[g];
          h[g] = h[g - 1];
          continue;
        }
        before = h[g];
        add_reader(h[g].readers, self);
      }
    }
  }
  // Every write of this instruction leaves the same history (written by it, no readers since), so the
  // order of the writes does not matter.
  for (size_t k = 0; k < accesses.size(); ++k) {
    const Access& a = accesses[k];
    if (a.hi <= a.lo || !a.is_write)
      continue;
    Space& s = *m_found[k].space;
    const auto [g0, g1] = groups_of(s, a);
    const size_t first = split(s, a.lo, m_found[k].near), last = split(s, a.hi, first);
    if (g0 == 0 && g1 == s.groups - 1) {
      // Every group: one uniform segment written by this instruction.
      History* h = histories_of(s, first);
      for (int32_t g = 0; g < (s.uniform[first] ? 1 : s.groups); ++g) {
        clear_readers(h[g].readers);
        h[g] = History{};
      }
      h[0].writer = self;
      s.uniform[first] = 1;
    } else {
      bool uniform = true;  // do the other groups have one history over [lo, hi) too?
      for (size_t i = first; i < last; ++i) {
        expand(s, i);
        History* h = histories_of(s, i);
        const History* head = histories_of(s, first);
        for (int32_t g = g0; g <= g1; ++g) {
          clear_readers(h[g].readers);
          h[g] = History{self, {}};
        }
        for (int32_t g = 0; g < s.groups && uniform && i != first; ++g) {
          if (g < g0 || g > g1)
            uniform = same_history(h[g], head[g]);
        }
      }
      if (!uniform)
        continue;
    }
    if (last > first + 1) {
      // Everything in [lo, hi) now has the same history: one segment.
      for (size_t i = first + 1; i < last; ++i)
        release_slot(s, s.slot[i]);
      s.starts.erase(s.starts.begin() + ptrdiff_t(first) + 1, s.starts.begin() + ptrdiff_t(last));
      s.slot.erase(s.slot.begin() + ptrdiff_t(first) + 1, s.slot.begin() + ptrdiff_t(last));
      s.uniform.erase(s.uniform.begin() + ptrdiff_t(first) + 1, s.uniform.begin() + ptrdiff_t(last));
    }
  }
}

}  // namespace tn::kernels
