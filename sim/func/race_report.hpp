// Names the race behind two runs of the same programs on the same inputs giving different outputs, from
// their execution logs (sim/func/execution_log.hpp): `expected` (the functional pass) and `observed` (the
// timed pass, on a perturbed schedule or not).
//
// Every instruction computes from what it reads, so the first instruction (in the observed run's order)
// that read other data than in the expected run is where the runs part; everything it read was written
// by instructions that, up to then, computed the same values. It read other data because a writer of
// memory it reads ran on the other side of it in the other run: a writer whose order relative to it
// differs between the runs, which no semaphore can have ordered. When every read agreed, the outputs
// differ through two writes of the same output element in different orders: the last writer of the first
// differing element differs between the runs.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "isa/program.hpp"
#include "sim/func/execution_log.hpp"

namespace tn::sim {

// The first differing element of an output: HBM tensor `tensor` (by name) of rank `rank`.
struct DifferingElement {
  uint32_t rank = 0;
  std::string tensor;
  int64_t element = 0;
};

// A sentence naming the two instructions (stream[index] mnemonic (kernel line), with "rank r core c: "
// when the run has several cores), or an empty string if the logs show no difference.
std::string describe_race(const std::vector<const isa::Program*>& programs, const ExecutionLog& expected,
                          const ExecutionLog& observed, const DifferingElement& differing);

}  // namespace tn::sim
