// Timing of collectives (collectives.md §1, §3; hardware.md §2 "CC-cores and collective algorithms").
//
// A collective starts when its last member arrives: a CC-core of every member then starts its DMA rings
// (cc.trigger_latency_ns) and runs the algorithm's steps. Each step is a set of transfers; a transfer from
// rank a to rank b moves its bytes in packets over a's DMA engines (shared with compute DMAs), reads a's
// HBM stacks, crosses the links of the route between their chips (contended bandwidth servers) and writes
// b's stacks, all from the moment a's previous step finished; it arrives after the slowest of those plus
// cc.hop_latency_ns per link crossed (one hop's worth between ranks on one chip, none for a rank's copy of
// its own chunk). A rank's next step waits for every
// transfer of its current step that it sends or receives. Pure C++: `now` in, times out.
//
// Algorithms, as Neuron picks them by each rank's output size (collectives.md §1: Mesh below
// algorithms.mesh_max_bytes, RDH up to algorithms.rdh_max_bytes, KangaRing above, Ring as the fallback),
// unless a run forces one:
//   all_gather  Mesh: every rank sends its chunk to every other at once. Ring: G-1 steps to the successor.
//               RDH: recursive doubling, log2(G) steps exchanging 2^k chunks with rank XOR 2^k (G a power
//               of two, else Ring). KangaRing: the ring both ways at once, ceil((G-1)/2) steps.
//   all_to_all  Mesh: every chunk straight to its rank. Ring: pairwise exchange, step s to rank + s.
//               RDH: Bruck-style, log2(G) steps each exchanging half the buffer with rank XOR 2^k (G a
//               power of two, else Ring). KangaRing has no all-to-all form: Ring.
//   permute     one step to the successor (reported as Ring).
// A rank's own chunk (all_gather, all_to_all) is a local copy in the first step.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "sim/timing/dma_model.hpp"
#include "sim/timing/fabric.hpp"
#include "sim/timing/system_config.hpp"

namespace tn::timing {

enum class CollectiveKind : uint8_t { kAllGather, kAllToAll, kPermute };
enum class CollectiveAlgorithm : uint8_t { kMesh, kRing, kRdh, kKangaRing };

std::string_view algorithm_name(CollectiveAlgorithm a);  // "Mesh", "Ring", "RDH", "KangaRing"
// From a run config's "mesh", "ring", "rdh", "kangaring".
std::optional<CollectiveAlgorithm> algorithm_from_name(std::string_view name);

// One rank of a collective as the timing model sees it: its chip, and its cores' DMA engines and HBM
// stacks (the traffic is split evenly over the cores of an LNC2 rank).
struct CollectiveRank {
  uint32_t chip = 0;
  std::vector<DmaModel*> dma;
  std::vector<BandwidthServer*> hbm;
};

struct CollectiveTiming {
  CollectiveAlgorithm algorithm = CollectiveAlgorithm::kRing;
  uint64_t message_bytes = 0;    // each rank's output: what the algorithm is chosen by
  uint64_t start_ps = 0;         // when the last member arrived
  std::vector<uint64_t> end_ps;  // per member, in row order
  uint32_t steps = 0;
  uint64_t link_bytes = 0;  // bytes times links crossed, over all transfers
  uint64_t end() const;
  // NCCL's figures (collectives.md §3): algorithm bandwidth = message bytes / time, bus bandwidth =
  // algorithm bandwidth x (G-1)/G for all_gather and all_to_all, x 1 for a permute. In B/ns (= GB/s).
  double algbw_bytes_per_ns() const;
  double busbw_bytes_per_ns(CollectiveKind kind, size_t group) const;
};

class CollectiveModel {
 public:
  CollectiveModel(const SystemConfig& system, Fabric& fabric, std::optional<CollectiveAlgorithm> forced = {});

  // The algorithm for a collective of `kind` over `group` ranks whose output per rank is `message_bytes`.
  CollectiveAlgorithm choose(CollectiveKind kind, uint64_t message_bytes, size_t group) const;

  // Times one collective whose members (in row order) each contribute `src_bytes`, the last arriving at
  // `now_ps`. Reservations are made in a fixed order, so calls must come in a deterministic order.
  CollectiveTiming run(CollectiveKind kind, uint64_t src_bytes, const std::vector<CollectiveRank>& members,
                       uint64_t now_ps);

  // Told of every link reservation (link id, its interval, bytes): for bandwidth counters.
  using LinkObserver = std::function<void(uint32_t link, TimeInterval interval, uint64_t bytes)>;
  void set_link_observer(LinkObserver observer) { m_observer = std::move(observer); }

 private:
  struct Transfer {
    uint32_t from, to;
    uint64_t bytes;
  };
  std::vector<std::vector<Transfer>> steps_of(CollectiveKind kind, CollectiveAlgorithm a, uint64_t src_bytes,
                                              uint32_t g) const;
  // One transfer from `ready_ps`; returns its arrival time and adds to `link_bytes`.
  uint64_t transfer(const CollectiveRank& a, const CollectiveRank& b, uint64_t bytes, uint64_t ready_ps,
                    uint64_t& link_bytes);

  const SystemConfig& m_system;
  Fabric& m_fabric;
  std::optional<CollectiveAlgorithm> m_forced;
  uint64_t m_trigger_ps, m_hop_ps;
  LinkObserver m_observer;
};

}  // namespace tn::timing
