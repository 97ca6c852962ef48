// Timing of collectives (collectives.md §1, §3; hardware.md §2 "CC-cores and collective algorithms").
//
// A collective starts when its last member arrives: a CC-core of every member then starts its DMA rings
// (cc.trigger_latency_ns) and runs the algorithm's steps. Each step is a set of transfers; a transfer from
// rank a to rank b moves its bytes in rounds of one packet (cc.packet_bytes) per DMA engine of a's cores:
// each round reserves a's DMA engines (shared with compute DMAs), a's HBM stacks (read), the links of the
// route between their chips and b's stacks (write), all from the moment the previous round ended, so a
// compute DMA issued meanwhile takes its turn on the engines, stacks and links between rounds (the hardware
// arbitrates its DMA rings at packet boundaries). A transfer arrives cc.hop_latency_ns per link crossed after
// its last round (one hop's worth between ranks on one chip, none for a rank's copy of its own chunk). A
// rank's next step waits for every transfer of its current step that it sends or receives. Pure C++: a
// CollectiveRun advances when the caller says `now` has come, and tells when it next needs to.
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
#include <memory>
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

class CollectiveRun;

class CollectiveModel {
 public:
  CollectiveModel(const SystemConfig& system, Fabric& fabric, std::optional<CollectiveAlgorithm> forced = {});

  // The algorithm for a collective of `kind` over `group` ranks whose output per rank is `message_bytes`.
  CollectiveAlgorithm choose(CollectiveKind kind, uint64_t message_bytes, size_t group) const;

  // Starts one collective whose members (in row order) each contribute `src_bytes`, the last arriving at
  // `now_ps`. The members' DMA models and stacks and the fabric must outlive the run.
  std::unique_ptr<CollectiveRun> start(CollectiveKind kind, uint64_t src_bytes,
                                       std::vector<CollectiveRank> members, uint64_t now_ps);
  // Starts one and advances it to its end with nothing else competing (closed-form tests, benchmarks).
  CollectiveTiming run(CollectiveKind kind, uint64_t src_bytes, const std::vector<CollectiveRank>& members,
                       uint64_t now_ps);

  // Told of every link reservation (link id, its interval, bytes): for bandwidth counters.
  using LinkObserver = std::function<void(uint32_t link, TimeInterval interval, uint64_t bytes)>;
  void set_link_observer(LinkObserver observer) { m_observer = std::move(observer); }

 private:
  friend class CollectiveRun;
  struct Transfer {
    uint32_t from, to;
    uint64_t bytes;
  };
  std::vector<std::vector<Transfer>> steps_of(CollectiveKind kind, CollectiveAlgorithm a, uint64_t src_bytes,
                                              uint32_t g) const;
  // One round of `bytes` from `ready_ps` over a's engines and stacks, `route` and b's stacks; returns its
  // end.
  uint64_t round(const CollectiveRank& a, const CollectiveRank& b, const std::vector<uint32_t>& route,
                 uint64_t bytes, uint64_t ready_ps);

  const SystemConfig& m_system;
  Fabric& m_fabric;
  std::optional<CollectiveAlgorithm> m_forced;
  uint64_t m_trigger_ps, m_hop_ps;
  LinkObserver m_observer;
};

// One collective in flight.
class CollectiveRun {
 public:
  // When the run next needs advance(), or UINT64_MAX once done().
  uint64_t next_ps() const;
  // Reserves the rounds due at or before `now_ps` (calls must come in time order).
  void advance(uint64_t now_ps);
  bool done() const { return m_remaining == 0; }
  // Complete once done(): end_ps[i] is member i's last arrival.
  const CollectiveTiming& timing() const { return m_timing; }

 private:
  friend class CollectiveModel;
  struct Flow {
    uint32_t step, from, to;
    uint64_t left;                   // bytes still to move
    uint64_t ready_ps = UINT64_MAX;  // when its next round may start (UINT64_MAX: its step has not begun)
    std::vector<uint32_t> route;
    bool done = false;
  };
  CollectiveRun(CollectiveModel& model, CollectiveTiming timing, std::vector<CollectiveRank> members,
                std::vector<std::vector<CollectiveModel::Transfer>> steps);
  void begin_step(uint32_t member, uint32_t step, uint64_t at_ps);

  CollectiveModel& m_model;
  CollectiveTiming m_timing;
  std::vector<CollectiveRank> m_members;
  std::vector<Flow> m_flows;
  std::vector<std::vector<uint32_t>> m_open;     // [step][member]: its flows of the step not yet arrived
  std::vector<std::vector<uint64_t>> m_arrived;  // [step][member]: when its last flow of the step arrived
  std::vector<uint32_t> m_step_of;               // each member's current step
  uint64_t m_round_bytes;
  size_t m_remaining;  // flows not done
};

}  // namespace tn::timing
