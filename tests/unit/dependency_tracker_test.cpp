// The builder's dependency tracker: RAW, WAW and WAR dependencies from byte/element intervals, checked
// against hand-worked cases and against a brute-force per-byte model.
#include "kernels/builder/dependency_tracker.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <vector>

namespace {

using namespace tn;
using namespace tn::kernels;
using isa::InstrRef;

constexpr int32_t kSbuf = 0, kPsum = 1;

Access rd(int32_t space, int64_t lo, int64_t hi) { return {space, lo, hi, false}; }
Access wr(int32_t space, int64_t lo, int64_t hi) { return {space, lo, hi, true}; }

// Records an instruction and returns its dependencies, sorted and without duplicates.
std::vector<std::pair<int32_t, int32_t>> deps_of(DependencyTracker& t, int32_t stream, int32_t index,
                                                 const std::vector<Access>& accesses) {
  std::vector<InstrRef> deps;
  t.record(stream, index, accesses, deps);
  std::set<std::pair<int32_t, int32_t>> unique;
  for (const auto& d : deps)
    unique.insert({d.stream, d.index});
  return {unique.begin(), unique.end()};
}

using Deps = std::vector<std::pair<int32_t, int32_t>>;

}  // namespace

TEST_CASE("read after write depends on the writer only where the intervals overlap") {
  DependencyTracker t;
  CHECK(deps_of(t, 0, 0, {wr(kSbuf, 0, 100)}) == Deps{});
  CHECK(deps_of(t, 1, 0, {rd(kSbuf, 50, 60)}) == Deps{{0, 0}});
  CHECK(deps_of(t, 1, 1, {rd(kSbuf, 100, 200)}) == Deps{});
  CHECK(deps_of(t, 1, 2, {rd(kSbuf, 99, 100)}) == Deps{{0, 0}});
}

TEST_CASE("write after write depends on the previous writer") {
  DependencyTracker t;
  deps_of(t, 0, 0, {wr(kSbuf, 0, 100)});
  CHECK(deps_of(t, 1, 0, {wr(kSbuf, 90, 110)}) == Deps{{0, 0}});
  CHECK(deps_of(t, 2, 0, {wr(kSbuf, 110, 120)}) == Deps{});
  CHECK(deps_of(t, 2, 1, {wr(kSbuf, 0, 50)}) == Deps{{0, 0}});
  // [90, 110) now belongs to (1, 0) alone.
  CHECK(deps_of(t, 3, 0, {rd(kSbuf, 95, 105)}) == Deps{{1, 0}});
}

TEST_CASE("write after read depends on every reader since the last write") {
  DependencyTracker t;
  deps_of(t, 0, 0, {wr(kSbuf, 0, 100)});
  deps_of(t, 1, 0, {rd(kSbuf, 0, 10)});
  deps_of(t, 2, 0, {rd(kSbuf, 20, 30)});
  deps_of(t, 3, 0, {rd(kSbuf, 200, 300)});
  CHECK(deps_of(t, 4, 0, {wr(kSbuf, 5, 25)}) == Deps{{0, 0}, {1, 0}, {2, 0}});
  // Readers before that write no longer matter for [5, 25); the reader of [0, 5) still does.
  CHECK(deps_of(t, 5, 0, {wr(kSbuf, 0, 25)}) == Deps{{0, 0}, {1, 0}, {4, 0}});
}

TEST_CASE("only the latest reader of each stream is kept, as streams retire in order") {
  DependencyTracker t;
  deps_of(t, 1, 0, {rd(kSbuf, 0, 10)});
  deps_of(t, 1, 1, {rd(kSbuf, 0, 10)});
  deps_of(t, 2, 0, {rd(kSbuf, 0, 10)});
  CHECK(deps_of(t, 0, 0, {wr(kSbuf, 0, 10)}) == Deps{{1, 1}, {2, 0}});
}

TEST_CASE("a reader of part of a range is remembered for that part only") {
  DependencyTracker t;
  deps_of(t, 1, 0, {rd(kSbuf, 40, 60)});
  CHECK(deps_of(t, 0, 0, {wr(kSbuf, 0, 40)}) == Deps{});
  CHECK(deps_of(t, 0, 1, {wr(kSbuf, 59, 100)}) == Deps{{1, 0}});
}

TEST_CASE("readers of many streams are all kept, across splits of what they read") {
  DependencyTracker t;
  for (int32_t s = 1; s <= 7; ++s)
    deps_of(t, s, 0, {rd(kSbuf, 0, 100)});
  // A write of part of the range splits it: both parts keep all seven readers.
  CHECK(deps_of(t, 0, 0, {wr(kSbuf, 0, 10)}) == Deps{{1, 0}, {2, 0}, {3, 0}, {4, 0}, {5, 0}, {6, 0}, {7, 0}});
  deps_of(t, 7, 1, {rd(kSbuf, 50, 60)});
  CHECK(deps_of(t, 0, 1, {wr(kSbuf, 90, 100)}) ==
        Deps{{1, 0}, {2, 0}, {3, 0}, {4, 0}, {5, 0}, {6, 0}, {7, 0}});
  CHECK(deps_of(t, 0, 2, {wr(kSbuf, 50, 60)}) ==
        Deps{{1, 0}, {2, 0}, {3, 0}, {4, 0}, {5, 0}, {6, 0}, {7, 1}});
  CHECK(deps_of(t, 0, 3, {wr(kSbuf, 0, 100)}) ==
        Deps{{0, 0}, {0, 1}, {0, 2}, {1, 0}, {2, 0}, {3, 0}, {4, 0}, {5, 0}, {6, 0}, {7, 0}});
  CHECK(deps_of(t, 1, 1, {rd(kSbuf, 0, 100)}) == Deps{{0, 3}});
}

TEST_CASE("partial overlaps of several writers give exactly the writers touched") {
  DependencyTracker t;
  deps_of(t, 0, 0, {wr(kSbuf, 0, 100)});
  deps_of(t, 1, 0, {wr(kSbuf, 50, 150)});
  deps_of(t, 2, 0, {wr(kSbuf, 120, 130)});
  CHECK(deps_of(t, 3, 0, {rd(kSbuf, 0, 200)}) == Deps{{0, 0}, {1, 0}, {2, 0}});
  CHECK(deps_of(t, 3, 1, {rd(kSbuf, 10, 20)}) == Deps{{0, 0}});
  CHECK(deps_of(t, 3, 2, {rd(kSbuf, 100, 120)}) == Deps{{1, 0}});
  CHECK(deps_of(t, 3, 3, {rd(kSbuf, 125, 126)}) == Deps{{2, 0}});
  CHECK(deps_of(t, 3, 4, {rd(kSbuf, 49, 51)}) == Deps{{0, 0}, {1, 0}});
  CHECK(deps_of(t, 3, 5, {rd(kSbuf, 129, 131)}) == Deps{{1, 0}, {2, 0}});
}

TEST_CASE("different memories and different HBM tensors are independent") {
  DependencyTracker t;
  deps_of(t, 0, 0, {wr(kSbuf, 0, 100)});
  deps_of(t, 1, 0, {wr(2, 0, 100)});  // HBM tensor 0
  CHECK(deps_of(t, 2, 0, {rd(kPsum, 0, 100)}) == Deps{});
  CHECK(deps_of(t, 2, 1, {rd(3, 0, 100)}) == Deps{});  // HBM tensor 1
  CHECK(deps_of(t, 2, 2, {rd(2, 50, 51)}) == Deps{{1, 0}});
  CHECK(deps_of(t, 2, 3, {wr(3, 0, 10)}) == Deps{{2, 1}});
}

TEST_CASE("empty intervals touch nothing") {
  DependencyTracker t;
  deps_of(t, 0, 0, {wr(kSbuf, 0, 100)});
  CHECK(deps_of(t, 1, 0, {rd(kSbuf, 50, 50), wr(kSbuf, 60, 60)}) == Deps{});
  CHECK(deps_of(t, 1, 1, {rd(kSbuf, 50, 51)}) == Deps{{0, 0}});
}

TEST_CASE("an in-place instruction depends on the previous writer, never on itself") {
  DependencyTracker t;
  deps_of(t, 0, 0, {wr(kSbuf, 0, 100)});
  CHECK(deps_of(t, 1, 0, {rd(kSbuf, 0, 100), wr(kSbuf, 0, 100)}) == Deps{{0, 0}});
  // Two written operands of one instruction that overlap.
  CHECK(deps_of(t, 2, 0, {wr(kSbuf, 0, 60), wr(kSbuf, 40, 100)}) == Deps{{1, 0}});
  CHECK(deps_of(t, 3, 0, {rd(kSbuf, 0, 100)}) == Deps{{2, 0}});
}

TEST_CASE("an instruction overwriting what it reads depends on earlier readers of its own stream") {
  // DMA queues overlap transfers, so this WAR dependency matters even within one stream.
  DependencyTracker t;
  deps_of(t, 1, 0, {rd(kSbuf, 0, 100)});
  CHECK(deps_of(t, 1, 1, {rd(kSbuf, 0, 100), wr(kSbuf, 0, 100)}) == Deps{{1, 0}});
}

TEST_CASE("many small writes merged by one large write leave a single writer") {
  DependencyTracker t;
  Deps all;
  for (int32_t i = 0; i < 1000; ++i) {
    CHECK(deps_of(t, 0, i, {wr(kSbuf, 4 * i, 4 * i + 4)}) == Deps{});
    all.push_back({0, i});
  }
  CHECK(deps_of(t, 1, 0, {rd(kSbuf, 0, 4000)}) == all);
  // The large write follows every small writer (WAW) and the reader (WAR)...
  all.push_back({1, 0});
  CHECK(deps_of(t, 2, 0, {wr(kSbuf, 0, 4000)}) == all);
  // ...and afterwards stands alone for the whole range.
  CHECK(deps_of(t, 3, 0, {rd(kSbuf, 0, 4000)}) == Deps{{2, 0}});
  CHECK(deps_of(t, 3, 1, {rd(kSbuf, 1234, 1235)}) == Deps{{2, 0}});
  CHECK(deps_of(t, 3, 2, {rd(kSbuf, 3999, 4001)}) == Deps{{2, 0}});
  CHECK(deps_of(t, 3, 3, {rd(kSbuf, 4000, 5000)}) == Deps{});
}

TEST_CASE(
    "random accesses (HBM tensors, on-chip patterns over partition groups) give the same dependencies as a "
    "per-byte model") {
  // The reference: per byte, its last writer and the latest reader of each stream since then.
  struct ByteState {
    InstrRef writer;
    std::map<int32_t, int32_t> readers;  // stream -> index
  };
  std::mt19937 rng(12345);
  for (int round = 0; round < 40; ++round) {
    DependencyTracker t;
    std::map<std::pair<int32_t, int32_t>, std::vector<ByteState>> model;  // (space, group) -> bytes
    // Up to 9 streams: more readers of one place than the tracker keeps inline.
    const int32_t streams = round % 2 ? 4 : 9;
    std::vector<int32_t> next_index(streams, 0);
    for (int step = 0; step < 300; ++step) {
      const int32_t stream = static_cast<int32_t>(rng() % streams);
      const int32_t index = next_index[stream]++;
      std::vector<Access> accesses;
      const int n = 1 + static_cast<int>(rng() % 3);
      for (int k = 0; k < n; ++k) {
        const int64_t lo = rng() % 64, len = rng() % 20;
        const bool is_write = rng() % 2 == 0;
        const int kind = static_cast<int>(rng() % 5);
        if (kind < 3) {  // an HBM tensor
          accesses.push_back({kind, lo, std::min<int64_t>(lo + len, 64), is_write});
          continue;
        }
        // On-chip: one pattern over partition groups g0..g1 of SBUF or PSUM, or over one group.
        const auto mem = rng() % 2 ? isa::MemKind::kSbuf : isa::MemKind::kPsum;
        const int32_t g0 = static_cast<int32_t>(rng() % 8);
        const int32_t g1 = kind == 3 ? g0 + static_cast<int32_t>(rng() % (8 - g0)) : g0;
        accesses.push_back({on_chip_space(mem), lo, std::min<int64_t>(lo + len, 64), is_write, g0, g1});
      }
      // Dependencies are on the state before the instruction; then its reads and writes take effect.
      std::set<std::pair<int32_t, int32_t>> expected;
      for (const Access& a : accesses) {
        for (int32_t g = a.first_group; g <= a.last_group; ++g) {
          auto& bytes = model[{a.space, g}];
          bytes.resize(64);
          for (int64_t b = a.lo; b < a.hi; ++b) {
            if (bytes[b].writer.stream >= 0)
              expected.insert({bytes[b].writer.stream, bytes[b].writer.index});
            if (a.is_write) {
              for (auto [s, i] : bytes[b].readers)
                expected.insert({s, i});
            }
          }
        }
      }
      for (int pass = 0; pass < 2; ++pass) {
        for (const Access& a : accesses) {
          if (a.is_write != (pass == 1))
            continue;
          for (int32_t g = a.first_group; g <= a.last_group; ++g) {
            for (int64_t b = a.lo; b < a.hi; ++b) {
              ByteState& st = model[{a.space, g}][b];
              if (a.is_write) {
                st = ByteState{{stream, index}, {}};
              } else {
                st.readers[stream] = index;
              }
            }
          }
        }
      }
      CAPTURE(round);
      CAPTURE(step);
      CHECK(deps_of(t, stream, index, accesses) == Deps(expected.begin(), expected.end()));
    }
  }
}

TEST_CASE("on-chip accesses become byte intervals per group of 16 partitions") {
  const isa::AccessPattern ap = isa::sbuf_ap(DType::kBFloat16, 0x100, 32, 32, {{16, 4}, {1, 8}});
  const auto acc = accesses_of(isa::TensorCopy{isa::psum_ap(DType::kFloat32, 64, 0, 1, {{-1, 4}}), ap});
  REQUIRE(acc.size() == 2);
  // dst (partition 0, group 0) walks backwards from byte 64: fp32 elements at 52..64.
  CHECK(acc[0].space == on_chip_space(isa::MemKind::kPsum));
  CHECK(acc[0].first_group == 0);
  CHECK(acc[0].last_group == 0);
  CHECK(acc[0].lo == 52);
  CHECK(acc[0].hi == 68);
  CHECK(acc[0].is_write);
  // src (partitions 32..63: groups 2 and 3) spans elements 0 .. 3*16+7 = 55, i.e. bytes 0x100 .. 0x100 + 112.
  CHECK(acc[1].space == on_chip_space(isa::MemKind::kSbuf));
  CHECK(acc[1].first_group == 2);
  CHECK(acc[1].last_group == 3);
  CHECK(acc[1].lo == 0x100);
  CHECK(acc[1].hi == 0x100 + 112);
  CHECK(!acc[1].is_write);
  // An access inside one group counts for that group only; SBUF and PSUM are distinct spaces.
  const auto one = accesses_of(isa::Memset{isa::sbuf_ap(DType::kFloat32, 0, 20, 8, {{1, 4}}), 0.0f});
  REQUIRE(one.size() == 1);
  CHECK(one[0].space == on_chip_space(isa::MemKind::kSbuf));
  CHECK(one[0].first_group == 1);
  CHECK(one[0].last_group == 1);
  CHECK(on_chip_space(isa::MemKind::kSbuf) != on_chip_space(isa::MemKind::kPsum));
}

TEST_CASE("writes to disjoint partition groups of one tile do not wait for each other") {
  // Two 16-row gathers into one [128, 64] tile (KV blocks of 16 keys), then a reader of all rows.
  auto rows = [](int32_t first) { return isa::sbuf_ap(DType::kBFloat16, 0, first, 16, {{1, 64}}); };
  DependencyTracker t;
  std::vector<InstrRef> deps;
  t.record(5, 0, accesses_of(isa::Memset{rows(0), 0.0f}), deps);
  CHECK(deps.empty());
  t.record(6, 0, accesses_of(isa::Memset{rows(16), 0.0f}), deps);
  CHECK(deps.empty());
  t.record(2, 0,
           accesses_of(isa::TensorCopy{isa::sbuf_ap(DType::kBFloat16, 4096, 0, 32, {{1, 64}}),
                                       isa::sbuf_ap(DType::kBFloat16, 0, 0, 32, {{1, 64}})}),
           deps);
  std::set<std::pair<int32_t, int32_t>> got;
  for (const auto& d : deps)
    got.insert({d.stream, d.index});
  CHECK(got == std::set<std::pair<int32_t, int32_t>>{{5, 0}, {6, 0}});
}

TEST_CASE("HBM accesses become element intervals of their tensor, including the partition dimension") {
  const auto fwd = accesses_of(isa::DmaCopy{isa::sbuf_ap(DType::kBFloat16, 0, 0, 4, {{1, 8}}),
                                            isa::hbm_ap(3, DType::kBFloat16, 100, {64, 4}, {{1, 8}})});
  REQUIRE(fwd.size() == 2);
  CHECK(fwd[1].space == 3);
  CHECK(fwd[1].lo == 100);
  CHECK(fwd[1].hi == 100 + 3 * 64 + 8);
  const auto back = accesses_of(isa::DmaCopy{isa::hbm_ap(0, DType::kFloat32, 1000, {-64, 4}, {{-1, 8}}),
                                             isa::sbuf_ap(DType::kFloat32, 0, 0, 4, {{1, 8}})});
  CHECK(back[0].space == 0);
  CHECK(back[0].lo == 1000 - 3 * 64 - 7);
  CHECK(back[0].hi == 1001);
  CHECK(back[0].is_write);
}
