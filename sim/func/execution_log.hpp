// What every instruction of a run read, in the order the run executed them. Two runs of one program that
// must agree (the functional pass and a timed pass on a perturbed schedule) are compared instruction by
// instruction to name the first that read other data and the unsynchronised writer it raced
// (sim/func/race_report.hpp). Off by default: a run that keeps a log hashes every value it reads.
#pragma once
#include <cstdint>
#include <vector>

#include "isa/program.hpp"

namespace tn::sim {

struct ExecutedInstruction {
  uint64_t order = 0;        // its place in the run's execution order, over every rank and core
  uint64_t read_digest = 0;  // digest_bytes (access_walker.hpp) of every value it read, in read order
  uint32_t index = 0;        // the instruction of its stream (loops execute one many times)
};

class ExecutionLog {
 public:
  // One list per stream of every core position (programs[c]) of every rank.
  ExecutionLog(uint32_t ranks, const std::vector<const isa::Program*>& programs);

  void record(uint32_t rank, uint32_t core, uint32_t stream, uint32_t index, uint64_t read_digest) {
    stream_list(rank, core, stream).push_back({m_next_order++, read_digest, index});
  }
  // The stream's executions in the order it executed them.
  const std::vector<ExecutedInstruction>& of(uint32_t rank, uint32_t core, uint32_t stream) const {
    return m_streams[(size_t(rank) * m_stream_base.back()) + m_stream_base[core] + stream];
  }
  uint32_t ranks() const { return m_ranks; }
  uint32_t cores() const { return uint32_t(m_stream_base.size() - 1); }
  uint32_t streams(uint32_t core) const { return uint32_t(m_stream_base[core + 1] - m_stream_base[core]); }

 private:
  std::vector<ExecutedInstruction>& stream_list(uint32_t rank, uint32_t core, uint32_t stream) {
    return m_streams[(size_t(rank) * m_stream_base.back()) + m_stream_base[core] + stream];
  }
  uint32_t m_ranks = 0;
  std::vector<size_t> m_stream_base;  // core c's first stream among a rank's; the last entry is their count
  std::vector<std::vector<ExecutedInstruction>> m_streams;
  uint64_t m_next_order = 0;
};

}  // namespace tn::sim
