// Where the cores of a launch meet (kernels.md §6.6-§6.7, collectives.md §2): the collectives of a
// replica-group row and the core barriers of a rank. Plain C++, shared by the functional runner and the
// SystemC layer, so both match arrivals, report mismatches and explain deadlocks the same way.
//
// Matching. The k-th collective a core's CC-core stream (by name: "cc0", "cc1") issues on replica group g
// meets the k-th collective on g of that stream of every core of every rank in the core's row of g (all
// cores of an LNC2 rank issue it: the program is SPMD). Counting per CC-core keeps collectives that two
// CC-cores run side by side paired with their own kind on every rank, whichever arrives first;
// the k-th core barrier of a core meets the k-th of its rank's other cores. Arrivals that meet must be the
// same instruction kind on the same group (and, for barriers, carry the same barrier number): anything
// else is an ExecutionError naming both sides, never a hang.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "isa/program.hpp"

namespace tn::sim {

class Rendezvous {
 public:
  // One core's arrival at a collective or a core barrier: instruction `index` of stream `stream` of
  // `program`, run by core `core` of rank `rank`.
  struct Arrival {
    uint32_t rank = 0, core = 0, stream = 0, index = 0;
    const isa::Program* program = nullptr;
    const isa::Operation& op() const { return program->streams[stream].instructions[index].op.get(); }
  };
  // A complete meeting: every arrival, ordered by row position (barriers: by core) and then core.
  struct Meeting {
    bool barrier = false;
    int32_t group = -1;        // collectives
    std::vector<int32_t> row;  // collectives: the ranks, in row order
    std::string stream;        // collectives: the CC-core stream's name
    uint64_t sequence = 0;     // which of that stream's collectives on the group (barriers: of the rank's)
    std::vector<Arrival> arrivals;
  };

  explicit Rendezvous(uint32_t cores_per_rank);

  // Registers an arrival (once per execution of the instruction). Returns the meeting when this arrival
  // completes it. Throws ExecutionError for a rank outside every row of the group or a mismatch.
  std::optional<Meeting> arrive(const Arrival& a);

  // For deadlock reports: what the core's stream waits for at its meeting ("" if it has not arrived).
  std::string waiting_for(uint32_t rank, uint32_t core, uint32_t stream) const;

  // "rank 1 core 0: cc0[3] all_gather (kernels/x.cpp:12)", or without the core for one-core ranks.
  std::string describe(const Arrival& a) const;

 private:
  // (kind, group, row index or rank, CC-core stream name, sequence number): kind 0 = collective,
  // 1 = barrier (no stream name).
  using Key = std::tuple<int, int32_t, int64_t, std::string, uint64_t>;
  struct Pending {
    std::vector<Arrival> arrivals;
    size_t expected = 0;
    std::vector<int32_t> row;
  };

  uint32_t m_cores;
  // Per (rank, core): collectives issued per group and CC-core stream, and barriers.
  std::map<std::tuple<uint32_t, uint32_t, int32_t, std::string>, uint64_t> m_collectives_issued;
  std::map<std::pair<uint32_t, uint32_t>, uint64_t> m_barriers_issued;
  std::map<Key, Pending> m_pending;
  std::map<std::tuple<uint32_t, uint32_t, uint32_t>, Key> m_waiting;  // (rank, core, stream) -> meeting
};

}  // namespace tn::sim
