// Runs the programs of one or more NeuronCores without time: round-robin over every stream, executing an
// instruction as soon as its semaphore waits hold and retiring it at once. Reports a deadlock (no stream
// can progress before all are done) naming every blocked instruction and the semaphore it waits for.
#pragma once
#include <cstdint>
#include <vector>

#include "isa/program.hpp"
#include "sim/func/hbm.hpp"

namespace tn::sim {

struct FunctionalResult {
  uint64_t instructions_executed = 0;
};

FunctionalResult run_functional(const std::vector<const isa::Program*>& programs, Hbm& hbm,
                                const isa::MemoryLimits& limits);

}  // namespace tn::sim
