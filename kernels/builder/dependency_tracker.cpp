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
  auto [lo, hi] = ap.free_extent();
  if (ap.mem == isa::MemKind::kHbm) {
    int64_t plo = 0, phi = ap.partition_stride * (ap.num_partitions - 1);
    if (phi < 0)
      std::swap(plo, phi);
    out.push_back({ap.tensor, ap.offset + plo + lo, ap.offset + phi + hi + 1, is_write});
    return;
  }
  const int64_t size = dtype_size(ap.dtype);
  const int32_t first = std::clamp(ap.start_partition / kPartitionGroup, 0, kGroups - 1);
  const int32_t last =
      std::clamp((ap.start_partition + std::max(ap.num_partitions, 1) - 1) / kPartitionGroup, 0, kGroups - 1);
  for (int32_t g = first; g <= last; ++g)
    out.push_back({on_chip_space(ap.mem, g), ap.offset + lo * size, ap.offset + (hi + 1) * size, is_write});
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

std::vector<Access> accesses_of(const isa::Operation& op) {
  std::vector<Access> out;
  for (const auto& o : isa::operands_of(op))
    add_accesses(*o.ap, o.is_write, out);
  if (const auto* moved = std::get_if<isa::DmaCopyRegOffset>(&op)) {
    // A register moves one side's window at run time: any part of that tensor may be accessed.
    const isa::AccessPattern& side = moved->on_dst ? moved->dst : moved->src;
    for (Access& a : out) {
      if (a.is_write == moved->on_dst && a.space == side.tensor && side.mem == isa::MemKind::kHbm) {
        a.lo = 0;
        a.hi = kUnbounded;
      }
    }
  }
  if (const auto* gather = std::get_if<isa::DmaGather>(&op)) {
    // The runtime index decides which rows are read: any part of the source tensor may be.
    for (Access& a : out) {
      if (!a.is_write && a.space == gather->src.tensor && gather->src.mem == isa::MemKind::kHbm) {
        a.lo = 0;
        a.hi = kUnbounded;
      }
    }
  }
  // A PSUM accumulation reads what it adds to: that is covered by its write (WAW on the last writer).
  return out;
}

DependencyTracker::SpaceMap& DependencyTracker::space(int32_t id) {
  // HBM tensors t >= 0, on-chip spaces -1, -2, ...: each its own slot, created covering [0, kUnbounded).
  auto& slots = id >= 0 ? m_hbm_spaces : m_on_chip_spaces;
  const size_t slot = id >= 0 ? size_t(id) : size_t(-1 - id);
  if (slot >= slots.size())
    slots.resize(slot + 1);
  if (!slots[slot]) {
    slots[slot] = std::make_unique<SpaceMap>();
    slots[slot]->emplace(0, Segment{kUnbounded, {}, {}});
  }
  return *slots[slot];
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
  // Each access's segments, split once: map iterators survive later insertions, and only the write pass
  // erases (after which a later write of the same space splits again).
  m_ranges.clear();
  // First every dependency, against the state before this instruction: an instruction that reads and
  // writes one place (in-place ops, overlapping DMA source and destination) depends on the old writer and
  // the old readers, including an earlier reader of its own stream, and never on itself.
  for (const Access& a : accesses) {
    if (a.hi <= a.lo) {
      m_ranges.push_back({});
      continue;
    }
    SpaceMap& m = space(a.space);
    const auto first = split(m, a.lo);
    const auto last = split(m, a.hi);
    m_ranges.push_back({&m, first, last});
    for (auto it = first; it != last; ++it) {
      const Segment& seg = it->second;
      if (seg.writer.stream >= 0)
        deps.push_back(seg.writer);
      if (a.is_write)
        deps.insert(deps.end(), seg.readers.begin(), seg.readers.end());
    }
  }
  // Then the new history: reads first, so that a write of the same place supersedes them.
  for (size_t i = 0; i < accesses.size(); ++i) {
    const Access& a = accesses[i];
    if (a.is_write || a.hi <= a.lo)
      continue;
    for (auto it = m_ranges[i].first; it != m_ranges[i].last; ++it) {
      auto& readers = it->second.readers;
      auto r = std::find_if(readers.begin(), readers.end(),
                            [&](const isa::InstrRef& x) { return x.stream == stream; });
      if (r == readers.end()) {
        readers.push_back(self);
      } else {
        *r = self;
      }
    }
  }
  for (size_t i = 0; i < accesses.size(); ++i) {
    const Access& a = accesses[i];
    if (!a.is_write || a.hi <= a.lo)
      continue;
    SpaceMap& m = *m_ranges[i].map;
    bool erased_here = false;
    for (size_t j = 0; j < i; ++j)
      erased_here = erased_here || (accesses[j].is_write && m_ranges[j].map == &m);
    const auto first = erased_here ? split(m, a.lo) : m_ranges[i].first;
    const auto last = erased_here ? split(m, a.hi) : m_ranges[i].last;
    // Everything in [lo, hi) now has the same history: one segment.
    first->second = Segment{a.hi, self, {}};
    m.erase(std::next(first), last);
  }
}

}  // namespace tn::kernels
