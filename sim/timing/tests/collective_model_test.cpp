// The collective model against closed-form arithmetic (trn2 figures, configs/systems/trn2.48xlarge.json):
// link-bound permutes and rings, HBM-bound transfers between ranks on one chip, the algorithm thresholds
// and step counts, and bus bandwidth approaching the link bandwidth for large messages.
#include "sim/timing/collective_model.hpp"

#include <doctest/doctest.h>

#include <deque>
#include <memory>

#include "sim/timing/hw_config.hpp"

using namespace tn::timing;

namespace {

// Ranks on the chips of trn2.48xlarge, each with one NeuronCore's DMA engines and HBM stack.
struct Bench {
  SystemConfig system = load_system_config("trn2.48xlarge");
  HwConfig hw = load_hw_config("trn2");
  std::unique_ptr<HbmStacks> stacks;
  std::unique_ptr<Fabric> fabric;
  std::deque<DmaModel> dma;
  std::vector<CollectiveRank> ranks;

  // Rank r on physical core cores[r] (chip = core / 8).
  void place(const std::vector<uint32_t>& cores) {
    stacks = std::make_unique<HbmStacks>(hw);
    fabric = std::make_unique<Fabric>(system);
    for (uint32_t core : cores) {
      BandwidthServer& stack = stacks->stack_of(core);
      dma.emplace_back(hw, stack);
      ranks.push_back({core / 8, {&dma.back()}, {&stack}});
    }
  }
  CollectiveTiming run(CollectiveKind kind, uint64_t bytes, std::optional<CollectiveAlgorithm> a = {}) {
    CollectiveModel model(system, *fabric, a);
    return model.run(kind, bytes, ranks, 0);
  }
};

constexpr uint64_t kMiB = 1 << 20;

}  // namespace

TEST_CASE("collective model: a permute around 4 chips is link-bound") {
  Bench b;
  b.place({0, 8, 16, 24});  // chips 0-3: the x ring of the torus, one link between neighbours
  const CollectiveTiming t = b.run(CollectiveKind::kPermute, 4 * kMiB);
  // trigger 1300 ns + 4 MiB over a 256 B/ns link (4 rounds of 1 MiB, 4096 ns each) + one hop 1000 ns. The
  // other resources are faster: a round's 16 packets of 64 KiB over 16 engines at 23 B/ns take 2849.4 ns,
  // and each HBM stack (725 B/ns) serves a round's read and write, 2 x 1446.3 ns.
  CHECK(t.algorithm == CollectiveAlgorithm::kRing);
  CHECK(t.steps == 1);
  for (uint64_t e : t.end_ps)
    CHECK(e == 1'300'000 + 16'384'000 + 1'000'000);
  CHECK(t.link_bytes == 4 * 4 * kMiB);  // 4 transfers, one link each
  CHECK(t.busbw_bytes_per_ns(CollectiveKind::kPermute, 4) ==
        doctest::Approx(4.0 * kMiB / 18'684.0));  // x 1 for a permute
}

TEST_CASE("collective model: a ring all_gather is (G - 1) link-bound steps when engines and HBM are fast") {
  Bench b;
  b.hw.dma_bytes_per_ns_per_engine = 1e6;  // make the links the only bottleneck
  b.hw.hbm_chip_bandwidth_gb_per_s = 4e6;
  b.place({0, 8, 16, 24});
  const CollectiveTiming t = b.run(CollectiveKind::kAllGather, 4 * kMiB, CollectiveAlgorithm::kRing);
  CHECK(t.steps == 3);
  // trigger + 3 x (16384 ns on the link + 1000 ns hop) = 53452 ns; the fast copies hide behind the links.
  for (uint64_t e : t.end_ps)
    CHECK(e == 1'300'000 + 3 * (16'384'000 + 1'000'000));
  CHECK(t.message_bytes == 16 * kMiB);
  // algbw = 16 MiB / 53452 ns; busbw = x 3/4.
  CHECK(t.busbw_bytes_per_ns(CollectiveKind::kAllGather, 4) ==
        doctest::Approx(16.0 * kMiB / 53'452.0 * 0.75));
}

TEST_CASE("collective model: between ranks of one chip the shared HBM stack is the bottleneck") {
  Bench b;
  b.place({0, 1});  // two NeuronCores on one HBM stack, no links
  const CollectiveTiming t = b.run(CollectiveKind::kPermute, 4 * kMiB);
  // Each transfer moves 4 rounds of 1 MiB (a 64 KiB packet per engine); stack 0 serves both transfers'
  // reads and writes, 16 reservations of 1 MiB / 725 B/ns = 1446.312 ns. The engines (2849.4 ns a round)
  // are faster. Then one hop between the ranks' CC-cores.
  CHECK(t.link_bytes == 0);
  CHECK(t.end() == 1'300'000 + 16 * 1'446'312 + 1'000'000);
}

TEST_CASE("collective model: Neuron's thresholds choose the algorithm; impossible forms fall back to Ring") {
  Bench b;
  b.place({0, 8});
  CollectiveModel m(b.system, *b.fabric);
  CHECK(m.choose(CollectiveKind::kAllGather, kMiB - 1, 8) == CollectiveAlgorithm::kMesh);
  CHECK(m.choose(CollectiveKind::kAllGather, kMiB, 8) == CollectiveAlgorithm::kRdh);
  CHECK(m.choose(CollectiveKind::kAllGather, 56 * kMiB, 8) == CollectiveAlgorithm::kRdh);
  CHECK(m.choose(CollectiveKind::kAllGather, 56 * kMiB + 1, 8) == CollectiveAlgorithm::kKangaRing);
  CHECK(m.choose(CollectiveKind::kAllGather, 4 * kMiB, 6) == CollectiveAlgorithm::kRing);  // RDH needs 2^k
  CHECK(m.choose(CollectiveKind::kAllToAll, 100 * kMiB, 8) ==
        CollectiveAlgorithm::kRing);  // no KangaRing form
  CHECK(m.choose(CollectiveKind::kPermute, 1, 8) == CollectiveAlgorithm::kRing);
  CollectiveModel forced(b.system, *b.fabric, CollectiveAlgorithm::kMesh);
  CHECK(forced.choose(CollectiveKind::kAllGather, 100 * kMiB, 8) == CollectiveAlgorithm::kMesh);
}

TEST_CASE("collective model: steps per algorithm over 8 ranks") {
  const auto steps = [](CollectiveKind k, CollectiveAlgorithm a) {
    Bench b;
    b.place({0, 8, 16, 24, 32, 40, 48, 56});
    return b.run(k, 64 * 1024, a).steps;
  };
  CHECK(steps(CollectiveKind::kAllGather, CollectiveAlgorithm::kMesh) == 1);
  CHECK(steps(CollectiveKind::kAllGather, CollectiveAlgorithm::kRing) == 7);
  CHECK(steps(CollectiveKind::kAllGather, CollectiveAlgorithm::kRdh) == 3);
  CHECK(steps(CollectiveKind::kAllGather, CollectiveAlgorithm::kKangaRing) == 4);  // ceil(7 / 2)
  CHECK(steps(CollectiveKind::kAllToAll, CollectiveAlgorithm::kMesh) == 1);
  CHECK(steps(CollectiveKind::kAllToAll, CollectiveAlgorithm::kRing) == 7);
  CHECK(steps(CollectiveKind::kAllToAll, CollectiveAlgorithm::kRdh) == 3);
}

TEST_CASE("collective model: bus bandwidth approaches the link bandwidth for large messages") {
  // A ring all_gather over 4 chips of the x ring. At 256 MiB per rank the first step is HBM-bound (each
  // stack moves its own chunk's copy, a send and a receive: 4 x 256 MiB at 725 B/ns) and the two later
  // steps link-bound (256 MiB at 256 B/ns), so busbw = 3 x 256 MiB / (1/181.25 + 2/256 per byte x 256 MiB)
  // ~ 225 B/ns: 88 % of the link. Small messages are latency-bound.
  double previous = 0;
  for (uint64_t bytes : {uint64_t{64 * 1024}, kMiB, 16 * kMiB, 256 * kMiB}) {
    CAPTURE(bytes);
    Bench b;
    b.place({0, 8, 16, 24});
    const double busbw = b.run(CollectiveKind::kAllGather, bytes, CollectiveAlgorithm::kRing)
                             .busbw_bytes_per_ns(CollectiveKind::kAllGather, 4);
    CHECK(busbw > previous);
    CHECK(busbw <= 256.0);
    previous = busbw;
  }
  CHECK(previous == doctest::Approx(225.0).epsilon(0.02));
}
