#include "sim/func/race_report.hpp"

#include <algorithm>
#include <limits>
#include <optional>

#include "isa/footprint.hpp"
#include "isa/validator.hpp"

namespace tn::sim {

namespace {

// One execution of an instruction, the same in both runs (the k-th execution of its stream).
struct Execution {
  uint32_t rank = 0, core = 0, stream = 0;
  size_t k = 0;
  uint32_t index = 0;
  uint64_t expected_order = 0, observed_order = 0;
};

class RaceFinder {
 public:
  RaceFinder(const std::vector<const isa::Program*>& programs, const ExecutionLog& expected,
             const ExecutionLog& observed)
      : m_programs(programs), m_expected(expected), m_observed(observed) {}

  // The execution with the smallest observed order that read other data (or ran another instruction).
  std::optional<Execution> first_differing_read() const {
    std::optional<Execution> first;
    for_each_stream([&](uint32_t r, uint32_t c, uint32_t s) {
      const auto& a = m_expected.of(r, c, s);
      const auto& b = m_observed.of(r, c, s);
      for (size_t k = 0; k < std::min(a.size(), b.size()); ++k) {
        if (a[k].index == b[k].index && a[k].read_digest == b[k].read_digest)
          continue;
        if (!first || b[k].order < first->observed_order)
          first = Execution{r, c, s, k, b[k].index, a[k].order, b[k].order};
        break;
      }
    });
    return first;
  }

  // The writer of memory `victim` reads whose order relative to it differs between the runs; of several,
  // the one that ran closest to it in the observed run.
  std::optional<Execution> racing_writer(const Execution& victim) const {
    std::vector<isa::Access> reads;
    for (const isa::Access& a : isa::accesses_of(instruction(victim.core, victim.stream, victim.index)))
      if (!a.is_write)
        reads.push_back(a);
    std::optional<Execution> best;
    uint64_t best_distance = std::numeric_limits<uint64_t>::max();
    for_each_stream([&](uint32_t r, uint32_t c, uint32_t s) {
      if (r != victim.rank || (c == victim.core && s == victim.stream))
        return;
      const auto& a = m_expected.of(r, c, s);
      const auto& b = m_observed.of(r, c, s);
      std::vector<int8_t> writes_read(m_programs[c]->streams[s].instructions.size(),
                                      -1);  // -1: not known yet
      for (size_t k = 0; k < std::min(a.size(), b.size()); ++k) {
        const bool before_expected = a[k].order < victim.expected_order;
        const bool before_observed = b[k].order < victim.observed_order;
        if (before_expected == before_observed || a[k].index != b[k].index)
          continue;
        int8_t& w = writes_read[b[k].index];
        if (w < 0)
          w = writes_any(c, s, b[k].index, victim.core, reads);
        const uint64_t distance =
            before_observed ? victim.observed_order - b[k].order : b[k].order - victim.observed_order;
        if (w && distance < best_distance) {
          best_distance = distance;
          best = Execution{r, c, s, k, b[k].index, a[k].order, b[k].order};
        }
      }
    });
    return best;
  }

  // The last execution in each run that wrote `element` of the named tensor.
  std::pair<std::optional<Execution>, std::optional<Execution>> last_writers(
      const DifferingElement& d) const {
    std::optional<Execution> last_expected, last_observed;
    for_each_stream([&](uint32_t r, uint32_t c, uint32_t s) {
      const int32_t t = m_programs[c]->find_tensor(d.tensor);
      if (r != d.rank || t < 0)
        return;
      const isa::Access target{t, d.element, d.element + 1, false};
      // Per instruction of the stream, once: -1 not known yet, else whether it writes the element.
      std::vector<int8_t> writes(m_programs[c]->streams[s].instructions.size(), -1);
      const auto writes_target = [&](uint32_t index) {
        int8_t& w = writes[index];
        if (w < 0) {
          w = 0;
          for (const isa::Access& a : isa::accesses_of(instruction(c, s, index)))
            w = w || (a.is_write && isa::overlaps(a, target));
        }
        return w == 1;
      };
      const auto keep_last = [&](const std::vector<ExecutedInstruction>& log, bool expected_log,
                                 std::optional<Execution>& last) {
        for (size_t k = 0; k < log.size(); ++k) {
          const uint64_t order = log[k].order;
          const uint64_t last_order = last ? (expected_log ? last->expected_order : last->observed_order) : 0;
          if ((!last || order > last_order) && writes_target(log[k].index)) {
            last = Execution{r, c, s, k, log[k].index, expected_log ? order : 0, expected_log ? 0 : order};
          }
        }
      };
      keep_last(m_expected.of(r, c, s), true, last_expected);
      keep_last(m_observed.of(r, c, s), false, last_observed);
    });
    return {last_expected, last_observed};
  }

  std::string name(const Execution& e) const {
    std::string out;
    if (m_expected.ranks() > 1)
      out += "rank " + std::to_string(e.rank) + " ";
    if (m_expected.ranks() > 1 || m_programs.size() > 1)
      out += "core " + std::to_string(e.core) + " ";
    return out + isa::describe_instruction(*m_programs[e.core], e.stream, e.index);
  }

 private:
  template <class Fn>
  void for_each_stream(Fn&& fn) const {
    for (uint32_t r = 0; r < m_expected.ranks(); ++r)
      for (uint32_t c = 0; c < m_expected.cores(); ++c)
        for (uint32_t s = 0; s < m_expected.streams(c); ++s)
          fn(r, c, s);
  }

  const isa::Operation& instruction(uint32_t core, uint32_t stream, uint32_t index) const {
    return m_programs[core]->streams[stream].instructions[index].op.get();
  }

  // Whether instruction `index` of (core, stream) writes memory that `reads` (of core `reader_core`) covers.
  // On-chip memory is the core's own; a shared HBM tensor is one memory for the rank's cores (by name).
  bool writes_any(uint32_t core, uint32_t stream, uint32_t index, uint32_t reader_core,
                  const std::vector<isa::Access>& reads) const {
    for (isa::Access w : isa::accesses_of(instruction(core, stream, index))) {
      if (!w.is_write)
        continue;
      if (w.space >= 0) {
        const isa::TensorDecl& t = m_programs[core]->tensors[size_t(w.space)];
        if (core != reader_core && t.scope == isa::TensorScope::kPrivate)
          continue;
        w.space = m_programs[reader_core]->find_tensor(t.name);
        if (w.space < 0)
          continue;
      } else if (core != reader_core) {
        continue;
      }
      for (const isa::Access& r : reads)
        if (isa::overlaps(w, r))
          return true;
    }
    return false;
  }

  const std::vector<const isa::Program*>& m_programs;
  const ExecutionLog& m_expected;
  const ExecutionLog& m_observed;
};

}  // namespace

std::string describe_race(const std::vector<const isa::Program*>& programs, const ExecutionLog& expected,
                          const ExecutionLog& observed, const DifferingElement& differing) {
  const RaceFinder finder(programs, expected, observed);
  if (const auto victim = finder.first_differing_read()) {
    // The first in the timed pass's order: everything it read was written by instructions that computed
    // what they did in the functional pass.
    std::string out =
        finder.name(*victim) + " is the first instruction to read other data than in the functional pass";
    if (const auto racer = finder.racing_writer(*victim)) {
      const bool racer_first_observed = racer->observed_order < victim->observed_order;
      out += ": in the timed pass it ran " + std::string(racer_first_observed ? "after " : "before ") +
             finder.name(*racer) + ", which writes memory it reads, and in the functional pass " +
             (racer_first_observed ? "before" : "after") + " it; no semaphore orders the two";
    } else {
      out +=
          ", and no writer of what it reads ran on the other side of it (the difference came through a "
          "collective or a core barrier, whose data movement is not compared)";
    }
    return out;
  }
  const auto [in_expected, in_observed] = finder.last_writers(differing);
  if (in_expected && in_observed &&
      (in_expected->core != in_observed->core || in_expected->stream != in_observed->stream ||
       in_expected->k != in_observed->k)) {
    return "every instruction read the same data in both passes, but the last write of " + differing.tensor +
           " element " + std::to_string(differing.element) + " is " + finder.name(*in_observed) +
           " in the timed pass and " + finder.name(*in_expected) +
           " in the functional pass; no semaphore orders the two";
  }
  return {};
}

}  // namespace tn::sim
