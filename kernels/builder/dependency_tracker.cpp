#include "kernels/builder/dependency_tracker.hpp"

#include <algorithm>
#include <limits>
#include <memory>

#include "isa/operands.hpp"

namespace tn::kernels {

namespace {
constexpr int64_t kUnbounded = std::numeric_limits<int64_t>::max() / 4;

constexpr int32_t kGroups = 128 / kPartitionGroup;

void add_accesses(const isa::AccessPattern& ap, bool is_write, std::vector<Access>& out) {
  const auto [lo, hi] = ap.touched_range();
  if (ap.mem == isa::MemKind::kHbm) {
    out.push_back({ap.tensor, lo, hi, is_write});
    return;
  }
  const int32_t first = std::clamp(ap.start_partition / kPartitionGroup, 0, kGroups - 1);
  const int32_t last =
      std::clamp((ap.start_partition + std::max(ap.num_partitions, 1) - 1) / kPartitionGroup, 0, kGroups - 1);
  for (int32_t g = first; g <= last; ++g)
    out.push_back({on_chip_space(ap.mem, g), lo, hi, is_write});
}
}  // namespace

int32_t on_chip_space(isa::MemKind mem, int32_t group) {
  return -1 - (mem == isa::MemKind::kSbuf ? 0 : kGroups) - group;
}

std::vector<Access> accesses_of(const isa::AccessPattern& ap, bool is_write) {
  std::vector<Access> out;
  add_accesses(ap, is_write, out);
  return out;
}

void append_accesses_of(const isa::Operation& op, std::vector<Access>& out) {
  const size_t first = out.size();
  for (const auto& o : isa::operands_of(op))
    add_accesses(*o.ap, o.is_write, out);
  if (const auto* moved = std::get_if<isa::DmaCopyRegOffset>(&op)) {
    // A register moves one side's window at run time: any part of that tensor may be accessed.
    const isa::AccessPattern& side = moved->on_dst ? moved->dst : moved->src;
    for (size_t i = first; i < out.size(); ++i) {
      Access& a = out[i];
      if (a.is_write == moved->on_dst && a.space == side.tensor && side.mem == isa::MemKind::kHbm) {
        a.lo = 0;
        a.hi = kUnbounded;
      }
    }
  }
  if (const auto* gather = std::get_if<isa::DmaGather>(&op)) {
    // The runtime index decides which rows are read: any part of the source tensor may be.
    for (size_t i = first; i < out.size(); ++i) {
      Access& a = out[i];
      if (!a.is_write && a.space == gather->src.tensor && gather->src.mem == isa::MemKind::kHbm) {
        a.lo = 0;
        a.hi = kUnbounded;
      }
    }
  }
  // A PSUM accumulation reads what it adds to: that is covered by its write (WAW on the last writer).
}

std::vector<Access> accesses_of(const isa::Operation& op) {
  std::vector<Access> out;
  append_accesses_of(op, out);
  return out;
}

namespace {
template <typename Map>
Map& slot_map(std::vector<std::unique_ptr<Map>>& slots, size_t slot, int64_t unbounded) {
  if (slot >= slots.size())
    slots.resize(slot + 1);
  if (!slots[slot]) {
    slots[slot] = std::make_unique<Map>();
    slots[slot]->emplace(0, typename Map::mapped_type{unbounded, {}});
  }
  return *slots[slot];
}
}  // namespace

DependencyTracker::SpaceMap& DependencyTracker::hbm_space(int32_t tensor) {
  return slot_map(m_hbm_spaces, size_t(tensor), kUnbounded);
}

DependencyTracker::SpaceMap& DependencyTracker::on_chip_space_map(int32_t slot) {
  return slot_map(m_on_chip_spaces, size_t(slot), kUnbounded);
}

void DependencyTracker::ReaderSet::set(const isa::InstrRef& r) {
  for (uint8_t i = 0; i < m_inline; ++i) {
    if (m_first[i].stream == r.stream) {
      m_first[i] = r;
      return;
    }
  }
  for (isa::InstrRef& x : m_more) {
    if (x.stream == r.stream) {
      x = r;
      return;
    }
  }
  if (m_inline < kInline)
    m_first[m_inline++] = r;
  else
    m_more.push_back(r);
}

void DependencyTracker::ReaderSet::append_to(std::vector<isa::InstrRef>& out) const {
  const auto add = [&](const isa::InstrRef& r) {
    if (out.empty() || !(out.back() == r))
      out.push_back(r);
  };
  std::for_each(m_first.begin(), m_first.begin() + m_inline, add);
  std::for_each(m_more.begin(), m_more.end(), add);
}

bool DependencyTracker::ReaderSet::operator==(const ReaderSet& o) const {
  return m_inline == o.m_inline &&
         std::equal(m_first.begin(), m_first.begin() + m_inline, o.m_first.begin()) && m_more == o.m_more;
}

DependencyTracker::SpaceMap::iterator DependencyTracker::split(SpaceMap& m, int64_t at) {
  auto it = m.upper_bound(at);
  --it;  // the segment containing `at` (the map always covers [0, kUnbounded))
  if (it->first == at)
    return it;
  Segment tail = it->second;
  it->second.end = at;
  return m.emplace_hint(std::next(it), at, std::move(tail));
}

void DependencyTracker::record(int32_t stream, int32_t index, const std::vector<Access>& accesses,
                               std::vector<isa::InstrRef>& deps) {
  const isa::InstrRef self{stream, index};
  // Accesses to consecutive groups of one on-chip memory with the same interval (one pattern over many
  // partitions, as accesses_of emits it) become one span over those groups.
  m_spans.clear();
  for (const Access& a : accesses) {
    if (a.hi <= a.lo)
      continue;
    if (a.space >= 0) {
      m_spans.push_back({&hbm_space(a.space), 0, 0, a.lo, a.hi, a.is_write, {}, {}});
      continue;
    }
    const int32_t slot = (-1 - a.space) / kGroups, group = (-1 - a.space) % kGroups;
    SpaceMap* m = &on_chip_space_map(slot);
    if (!m_spans.empty()) {
      Span& prev = m_spans.back();
      if (prev.map == m && prev.lo == a.lo && prev.hi == a.hi && prev.is_write == a.is_write &&
          prev.last_group + 1 == group) {
        prev.last_group = group;
        continue;
      }
    }
    m_spans.push_back({m, group, group, a.lo, a.hi, a.is_write, {}, {}});
  }
  // First every dependency, against the state before this instruction: an instruction that reads and
  // writes one place (in-place ops, overlapping DMA source and destination) depends on the old writer and
  // the old readers, including an earlier reader of its own stream, and never on itself. Each span's
  // segments are split once: map iterators survive later insertions, and only the write pass erases.
  for (Span& sp : m_spans) {
    sp.first = split(*sp.map, sp.lo);
    sp.last = split(*sp.map, sp.hi);
    for (auto it = sp.first; it != sp.last; ++it) {
      for (int32_t g = sp.first_group; g <= sp.last_group; ++g) {
        const History& h = it->second.groups[g];
        // Neighbouring groups and segments mostly share a history: skip a repeat of the last entry.
        if (h.writer.stream >= 0 && (deps.empty() || !(deps.back() == h.writer)))
          deps.push_back(h.writer);
        if (sp.is_write)
          h.readers.append_to(deps);
      }
    }
  }
  // Then the new history: reads first, so that a write of the same place supersedes them.
  for (const Span& sp : m_spans) {
    if (sp.is_write)
      continue;
    for (auto it = sp.first; it != sp.last; ++it) {
      for (int32_t g = sp.first_group; g <= sp.last_group; ++g)
        it->second.groups[g].readers.set(self);
    }
  }
  // Every write of this instruction leaves the same history (written by it, no readers since), so the
  // order of the writes does not matter.
  for (size_t i = 0; i < m_spans.size(); ++i) {
    const Span& sp = m_spans[i];
    if (!sp.is_write)
      continue;
    SpaceMap& m = *sp.map;
    bool erased_here = false;
    for (size_t j = 0; j < i; ++j)
      erased_here = erased_here || (m_spans[j].is_write && m_spans[j].map == &m);
    const auto first = erased_here ? split(m, sp.lo) : sp.first;
    const auto last = erased_here ? split(m, sp.hi) : sp.last;
    bool uniform = true;  // do the other groups have one history over [lo, hi) too?
    for (auto it = first; it != last; ++it) {
      for (int32_t g = sp.first_group; g <= sp.last_group; ++g)
        it->second.groups[g] = History{self, {}};
      for (int32_t g = 0; g < kGroups && uniform && it != first; ++g) {
        if (g < sp.first_group || g > sp.last_group)
          uniform = it->second.groups[g] == first->second.groups[g];
      }
    }
    if (uniform) {
      // Everything in [lo, hi) now has the same history: one segment.
      first->second.end = sp.hi;
      m.erase(std::next(first), last);
    }
  }
}

}  // namespace tn::kernels
