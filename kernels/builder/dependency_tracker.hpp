// Finds the instructions a new instruction must wait for, from the memory it reads and writes: the last
// writer of anything it reads (RAW) or writes (WAW), and every reader since (WAR). On-chip memory is
// tracked as byte intervals per group of kPartitionGroup partitions (an access to some partitions of a
// group conservatively counts for the whole group), so that writes to disjoint partition ranges of one tile
// (gathered KV blocks of 16 rows, say) do not wait for each other; HBM as element intervals per tensor.
// A write leaves one interval where the history became uniform, so the segment lists stay small.
#pragma once
#include <array>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "isa/footprint.hpp"
#include "isa/program.hpp"

namespace tn::kernels {

// The footprints (isa/footprint.hpp) the tracker and the builder work with.
using isa::Access;
using isa::accesses_of;
using isa::append_accesses_of;
using isa::kPartitionGroup;
using isa::kPartitionGroups;
using isa::on_chip_space;

class DependencyTracker {
 public:
  // Records instruction (stream, index) doing `accesses`; appends to `deps` the (stream, index) of every
  // earlier instruction it depends on (possibly with duplicates).
  void record(int32_t stream, int32_t index, std::span<const Access> accesses,
              std::vector<isa::InstrRef>& deps);

 private:
  // The latest reader per stream since the last write, in the order the streams first read. Usually one
  // or two, so a few live inline and the rest in the tracker's overflow pool: a History is trivially
  // copyable, and a split copies its bytes (and clones an overflow list, rarely).
  struct Readers {
    static constexpr int32_t kInline = 4;
    std::array<isa::InstrRef, kInline> first{};  // entries past `count` stay default
    int32_t count = 0;                           // inline entries in use
    int32_t overflow = -1;                       // index into m_overflow, or -1
  };
  // One place's history: its last writer and every reader since.
  struct History {
    isa::InstrRef writer;  // stream -1: never written
    Readers readers;
  };
  // A space as a sorted list of segments covering [0, unbounded): segment i is [starts[i], starts[i+1])
  // with `groups` histories at histories[slot[i] * groups ...] (HBM: 1 group, on-chip: kPartitionGroups).
  // Flat arrays rather than a tree: a lookup is a binary search over contiguous starts. A segment whose
  // groups all share one history (a tile written over all 128 partitions, the usual case) is `uniform`:
  // its first history stands for every group and the others stay default, so it is read, split and
  // written as one history rather than eight.
  struct Space {
    int32_t groups = 1;
    std::vector<int64_t> starts;
    std::vector<uint32_t> slot;
    std::vector<uint8_t> uniform;
    std::vector<History> histories;
    std::vector<uint32_t> free_slots;
    size_t last_found = 0;  // the last segment found: a new access is often near the one before
  };
  // An access's space and a segment near its start: record() finds it before changing anything, and the
  // segments it splits or merges on the way move the place by a few at most.
  struct Found {
    Space* space = nullptr;
    size_t near = 0;
  };

  // The space (created on first use; space_of() of another HBM tensor may move it).
  Space& space_of(int32_t space);
  // The segment containing `at`, looked for from `hint` before a binary search.
  static size_t segment_at(Space& s, int64_t at, size_t hint);
  // Makes `at` a segment boundary; returns the index of the segment starting there.
  size_t split(Space& s, int64_t at, size_t hint);
  uint32_t new_slot(Space& s);
  // Gives every group of a uniform segment its own copy of the shared history.
  void expand(Space& s, size_t segment);
  // Gives a copied history's readers an overflow list of their own (a copy of the one they shared).
  void clone_overflow(Readers& r);
  void release_slot(Space& s, uint32_t slot);
  History* histories_of(Space& s, size_t segment) { return &s.histories[size_t(s.slot[segment]) * s.groups]; }
  // The partition groups of `s` that `a` covers (an HBM tensor has group 0 only).
  static std::pair<int32_t, int32_t> groups_of(const Space& s, const Access& a) {
    return s.groups == 1 ? std::pair<int32_t, int32_t>{0, 0} : std::pair{a.first_group, a.last_group};
  }
  // The same writer and readers, overflow lists compared by their contents.
  bool same_history(const History& a, const History& b) const;
  // The same writer, the same inline readers in the same order and the same overflow list.
  static bool same_bytes(const History& a, const History& b);
  void add_reader(Readers& r, const isa::InstrRef& reader);
  void append_readers(const Readers& r, std::vector<isa::InstrRef>& out) const;
  void clear_readers(Readers& r);

  std::vector<Space> m_hbm_spaces;
  std::array<Space, 2> m_on_chip_spaces;  // SBUF, PSUM
  std::vector<std::vector<isa::InstrRef>> m_overflow;
  std::vector<int32_t> m_free_overflow;
  std::vector<Found> m_found;  // record()'s, per access
};

}  // namespace tn::kernels
