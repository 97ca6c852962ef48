// Runs the programs of one or more NeuronCores of one or more ranks without time: round-robin over every
// stream, executing an instruction as soon as its semaphore waits hold (consuming waits then take their
// count at once) and retiring it at once; a collective or core barrier retires when all its members
// arrived. Each stream follows its branches from instruction 0 to its end. Reports a deadlock (no
// stream can progress before all are done) naming every blocked instruction and the semaphore it waits for.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "isa/program.hpp"
#include "isa/validator.hpp"
#include "sim/func/execution_log.hpp"
#include "sim/func/hbm.hpp"

namespace tn::sim {

struct FunctionalResult {
  uint64_t instructions_executed = 0;
};

// How the runner interleaves streams. A correctly synchronised program gives the same result under
// every schedule; tests run several to show it.
struct FunctionalOptions {
  // 0: round-robin over programs and their streams in order, each stream running until it blocks.
  // Otherwise a pseudo-random interleaving from this seed: every pass visits the streams in a shuffled
  // order and runs each for 1-4 ready instructions.
  uint64_t schedule_seed = 0;
  // The most instructions all streams together may execute (loops execute instructions many times); a
  // run that exceeds it (a loop that never ends) stops with an ExecutionError naming the stream and
  // instruction it was at.
  uint64_t max_instructions = uint64_t{1} << 31;
  // Called now and then with the fraction of the programs' instructions executed so far (below 1 until the
  // run ends; loops can execute more instructions than the programs hold).
  std::function<void(double fraction)> progress = {};
  // Non-null: every executed instruction is recorded there (sim/func/execution_log.hpp); sized for the
  // run's ranks and programs.
  ExecutionLog* execution_log = nullptr;
};

// One rank: program i runs on core i (its own CoreState and Semaphores); all share `hbm`, which must hold
// every input tensor. Throws ExecutionError on a fault or a deadlock.
FunctionalResult run_functional(const std::vector<const isa::Program*>& programs, Hbm& hbm,
                                const isa::MemoryLimits& limits);
FunctionalResult run_functional(const std::vector<const isa::Program*>& programs, Hbm& hbm,
                                const isa::MemoryLimits& limits, const FunctionalOptions& options);

// SPMD over ranks: every rank r runs the same programs (one per core position, held once) on its own
// HBM, rank_hbm[r]. Collectives and core barriers meet through a Rendezvous; a collective or barrier that
// some member never reaches is reported with the deadlock, naming every rank's blocked instruction.
FunctionalResult run_functional_ranks(const std::vector<const isa::Program*>& programs,
                                      const std::vector<Hbm*>& rank_hbm, const isa::MemoryLimits& limits,
                                      const FunctionalOptions& options = {});

}  // namespace tn::sim
