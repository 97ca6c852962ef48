#include "isa/footprint.hpp"

#include <algorithm>
#include <limits>

#include "isa/operands.hpp"

namespace tn::isa {

namespace {
constexpr int64_t kUnbounded = std::numeric_limits<int64_t>::max() / 4;

void add_accesses(const AccessPattern& ap, bool is_write, std::vector<Access>& out) {
  const auto [lo, hi] = ap.touched_range();
  if (ap.mem == MemKind::kHbm) {
    out.push_back({ap.tensor, lo, hi, is_write});
    return;
  }
  const int32_t first = std::clamp(ap.start_partition / kPartitionGroup, 0, kPartitionGroups - 1);
  const int32_t last = std::clamp((ap.start_partition + std::max(ap.num_partitions, 1) - 1) / kPartitionGroup,
                                  0, kPartitionGroups - 1);
  out.push_back({on_chip_space(ap.mem), lo, hi, is_write, first, last});
}
}  // namespace

int32_t on_chip_space(MemKind mem) { return mem == MemKind::kSbuf ? -1 : -2; }

std::vector<Access> accesses_of(const AccessPattern& ap, bool is_write) {
  std::vector<Access> out;
  add_accesses(ap, is_write, out);
  return out;
}

void append_accesses_of(const Operation& op, std::vector<Access>& out) {
  const size_t first = out.size();
  for (const auto& o : operands_of(op))
    add_accesses(*o.ap, o.is_write, out);
  if (const auto* moved = std::get_if<DmaCopyRegOffset>(&op)) {
    // A register moves one side's window at run time: any part of that tensor may be accessed.
    const AccessPattern& side = moved->on_dst ? moved->dst : moved->src;
    for (size_t i = first; i < out.size(); ++i) {
      Access& a = out[i];
      if (a.is_write == moved->on_dst && a.space == side.tensor && side.mem == MemKind::kHbm) {
        a.lo = 0;
        a.hi = kUnbounded;
      }
    }
  }
  if (const auto* gather = std::get_if<DmaGather>(&op)) {
    // The runtime index decides which rows are read: any part of the source tensor may be.
    for (size_t i = first; i < out.size(); ++i) {
      Access& a = out[i];
      if (!a.is_write && a.space == gather->src.tensor && gather->src.mem == MemKind::kHbm) {
        a.lo = 0;
        a.hi = kUnbounded;
      }
    }
  }
  // A PSUM accumulation reads what it adds to: that is covered by its write (WAW on the last writer).
}

std::vector<Access> accesses_of(const Operation& op) {
  std::vector<Access> out;
  append_accesses_of(op, out);
  return out;
}

bool reads_after_write(const std::vector<Access>& consumer, const std::vector<Access>& producer) {
  for (const Access& r : consumer) {
    if (r.is_write)
      continue;
    for (const Access& w : producer)
      if (w.is_write && overlaps(r, w))
        return true;
  }
  return false;
}

bool overlaps(const Access& a, const Access& b) {
  return a.space == b.space && a.lo < b.hi && b.lo < a.hi && a.first_group <= b.last_group &&
         b.first_group <= a.last_group;
}

}  // namespace tn::isa
