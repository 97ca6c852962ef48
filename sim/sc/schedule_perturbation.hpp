// A seeded perturbation of the timed run's schedule, for finding missing synchronisation: it changes the
// order in which the streams ready at one simulated time are resumed and DMA requests of one round are
// granted, and delays each instruction's issue by a pseudo-random time. None of this may change what a
// correctly synchronised program computes (every ordering that matters is a semaphore's), so outputs must
// equal the unperturbed run's bit for bit; an instruction that reads memory another engine writes without
// waiting for it sees other data under some seed. Times and traces of a perturbed run are not the
// hardware's and are not meant to be compared.
#pragma once
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace tn::sc {

class SchedulePerturbation {
 public:
  // The largest issue delay: long enough to move an instruction past a typical neighbour's on another
  // engine (tens of ns to a few us, hardware.md's instruction costs), short enough that a run stays
  // within a small factor of its unperturbed time.
  static constexpr uint64_t kMaxIssueDelayPs = 2'000'000;

  explicit SchedulePerturbation(uint64_t seed) : m_seed(seed), m_state(seed) {}
  bool enabled() const { return m_seed != 0; }

  // The delay before a stream issues its seq-th instruction: a pure function of (seed, core, stream,
  // seq), 0 for a quarter of them so that back-to-back issue still happens.
  uint64_t issue_delay_ps(uint32_t core, uint32_t stream, uint64_t seq) const {
    const uint64_t h = mix(m_seed ^ mix(uint64_t(core) << 32 | stream) ^ mix(seq + 0x9e3779b97f4a7c15ull));
    return (h & 3) == 0 ? 0 : (h >> 2) % (kMaxIssueDelayPs + 1);
  }

  // A seeded Fisher-Yates shuffle. The sequence of calls is itself deterministic (the simulation is), so a
  // seed names one perturbed schedule.
  template <typename T>
  void shuffle(std::vector<T>& items) {
    for (std::size_t i = items.size(); i > 1; --i)
      std::swap(items[i - 1], items[next() % i]);
  }

 private:
  // SplitMix64's finaliser (Steele, Lea, Flood: "Fast splittable pseudorandom number generators", 2014).
  static uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint64_t next() { return mix(m_state += 0x9e3779b97f4a7c15ull); }

  uint64_t m_seed;
  uint64_t m_state;
};

}  // namespace tn::sc
