// Runs programs in simulated time (SystemC underneath, not visible here): one SystemC process that runs
// every stream of every core and is activated once per simulated time with work due, numerics from the
// functional Executor at each instruction's start (so outputs equal run_functional's bit for bit), costs from
// sim/timing, the timeline through a TraceSink, and summary statistics back.
//
// Synchronisation mirrors run_functional exactly: an instruction starts only when all its waits hold
// (sem_wait also waits for its own condition), and a consuming wait takes its count as it starts;
// streams follow their branches (the Executor decides the next instruction, in timing-only runs too);
// executed instructions retire in execution order per stream, and at retirement the stream's completion
// semaphore gains 1 and a sem_signal adds its delta.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "isa/program.hpp"
#include "sim/func/execution_log.hpp"
#include "sim/func/executor.hpp"
#include "sim/func/hbm.hpp"
#include "sim/func/value_slice.hpp"
#include "sim/timing/collective_model.hpp"
#include "sim/timing/fabric.hpp"
#include "sim/timing/hw_config.hpp"
#include "sim/timing/system_config.hpp"
#include "traces/trace_sink.hpp"

namespace tn::sc {

struct TimedRunOptions {
  // One flow per satisfied wait, from the instruction whose retirement satisfied it to the waiter.
  // Slices are then held in memory (~100 bytes per instruction) and written when the run ends,
  // because a producer's slice must carry the ids of flows only later consumers reveal.
  bool trace_flows = false;
  // False skips the Executor (timing-only runs of shapes too big to emulate, simulator-design-notes.md
  // §2.6): times are unchanged, HBM outputs are left unwritten.
  bool execute_numerics = true;
  // Without numerics: the instructions to evaluate anyway (sim/func/value_slice.hpp), so that register
  // values, loop trips and gather indices are a numerics run's. The HBM of every rank must hold data
  // for the slice's tensors, and its inputs their values.
  const sim::ValueSlice* value_slice = nullptr;
  // The most instructions all streams together may execute (loops execute instructions many times); a
  // run that exceeds it (a loop that never ends) stops with an ExecutionError naming the stream and
  // instruction it was at. Same meaning as FunctionalOptions::max_instructions.
  uint64_t max_instructions = uint64_t{1} << 31;
  // Non-zero: perturb the schedule with this seed (sim/sc/schedule_perturbation.hpp) to find missing
  // synchronisation: outputs must not change, times do.
  uint64_t perturb_schedule_seed = 0;
  // Non-null: every instruction executed with numerics is recorded there (sim/func/execution_log.hpp),
  // to be compared with another run's log (sim/func/race_report.hpp); sized for the launch's ranks.
  sim::ExecutionLog* execution_log = nullptr;
  // Called now and then with the fraction of the program's instructions retired (a loop may retire more
  // than the static count: the fraction is capped below 1 until the end), and with 1.0 at the end.
  std::function<void(double fraction)> progress;
};

struct StreamStats {
  std::string name;
  isa::Engine engine = isa::Engine::kPe;
  uint64_t busy_ps = 0;  // time at least one of its instructions is in flight (start to end)
  uint64_t instructions = 0;
  uint64_t sem_wait_ps = 0;  // time instructions waited for their semaphores
};

struct CoreStats {
  uint32_t rank = 0, core = 0, chip = 0;  // which core of which rank, on which chip
  std::vector<StreamStats> streams;       // in program order
};

// One collective as it ran (one record for all its members).
struct CollectiveRecord {
  std::string kind;       // its mnemonic
  std::string algorithm;  // "Mesh", "Ring", "RDH", "KangaRing"
  int32_t group = -1;
  std::vector<int32_t> row;           // the ranks, in row order
  std::string stream;                 // the CC-core that ran it ("cc0"), and its place in that CC-core's
  uint64_t sequence = 0;              // collectives on the group: the program's sequence-th there
  std::string source;                 // the kernel line that emitted it
  uint64_t message_bytes = 0;         // each rank's output
  uint64_t start_ps = 0, end_ps = 0;  // the last member's arrival, the last member's completion
  uint32_t steps = 0;
  double algbw_bytes_per_ns = 0, busbw_bytes_per_ns = 0;  // NCCL's definitions (collectives.md §3)
  // Per row member: the time it was in flight on that rank while no compute engine there was busy
  // (ExposureMeter: communication compute did not hide).
  std::vector<uint64_t> exposed_ps;
};

// One link of the fabric over the run.
struct LinkStats {
  std::string name;  // "chip 3 +x"
  double bytes_per_ns = 0;
  uint64_t bytes = 0, busy_ps = 0;
};

// A runtime loop (ProgramBuilder::dynamic_loop) of one core, named by the kernel source line that emitted it,
// as counted on the first stream that runs it (every stream of a loop runs the same trips).
struct LoopStats {
  uint32_t rank = 0;
  uint32_t core = 0;   // the core of its rank
  std::string source;  // "kernels/x.cpp:123"
  uint64_t entries = 0, trips = 0;
  int32_t max_trips = 0;  // the most trips of one entry
};

// When a region (isa::Region) of one core ran: from the start of its first instruction to the end of its
// last, over every stream. Regions whose instructions never ran are left out.
struct RegionTiming {
  uint32_t rank = 0, core = 0;
  std::string name;
  uint64_t start_ps = 0, end_ps = 0;
};

struct TimedRunResult {
  std::vector<RegionTiming> regions;          // by core, then in program order
  std::vector<LoopStats> loops;               // in order of first entry
  std::vector<CollectiveRecord> collectives;  // in order of completion
  std::vector<LinkStats> links;               // the fabric's links that carried bytes
  uint64_t total_ps = 0;                      // the last retirement
  std::vector<CoreStats> cores;
  std::map<std::string, uint64_t> opcode_counts;  // by mnemonic
  // Summed start-to-end time of each opcode's instructions (the profiler's OpcodeSummary time; a DMA's
  // counts from issue to completion, so overlapping transfers add up past the wall time).
  std::map<std::string, uint64_t> opcode_busy_ps;
  double matmul_flops = 0, transpose_flops = 0;
  uint64_t hbm_read_bytes = 0, hbm_write_bytes = 0;
  uint64_t dma_bytes = 0;  // bytes moved by the DMA engines
  uint64_t instructions = 0;
};

// Where the ranks of a run are and how their chips are joined. One rank needs nothing but its HBM.
struct TimedLaunch {
  std::vector<sim::Hbm*> rank_hbm;  // one per rank; rank r's programs bind rank_hbm[r]
  // The system the ranks run on: needed by collectives (CC-core constants, links) and several ranks.
  const timing::SystemConfig* system = nullptr;
  // Each rank's chip and physical cores (timing::place_ranks); empty for one rank: core c is physical c.
  timing::Placement placement;
  std::optional<timing::CollectiveAlgorithm> algorithm;  // forced; else Neuron's thresholds
  std::vector<uint32_t> traced_ranks;                    // the ranks written to the trace; empty: all
};

// No stream can progress and some have not finished. The message lists every blocked instruction and
// the semaphores it waits for, with their values.
class DeadlockError : public sim::ExecutionError {
 public:
  using sim::ExecutionError::ExecutionError;
};

// Program i runs on core i with its own CoreState, Semaphores and Executor; all share `hbm`, which must
// hold every input tensor. Time is integer picoseconds; trace timestamps are floor(ps / 1000) ns.
// run_timed does not call sink.finish(): the sink's owner does.
//
// Callable ONCE per process: the SystemC kernel cannot be restarted (simulator-design-notes.md §2.7).
// A second call, or a call after anything else started SystemC, throws std::logic_error. Errors from
// the Executor propagate as the Executor's exceptions (prefixed "core <i>: " with several cores);
// deadlocks throw DeadlockError.
TimedRunResult run_timed(const std::vector<const isa::Program*>& programs, sim::Hbm& hbm,
                         const timing::HwConfig& hw, trace::TraceSink& sink, const TimedRunOptions& options);

// SPMD over ranks: every rank runs `programs` (one per core position, held once) on its own HBM. Errors
// name the rank ("rank <r> core <c>: ..."); a collective some member never reaches is a DeadlockError
// naming every rank's blocked instruction.
TimedRunResult run_timed(const std::vector<const isa::Program*>& programs, const TimedLaunch& launch,
                         const timing::HwConfig& hw, trace::TraceSink& sink, const TimedRunOptions& options);

}  // namespace tn::sc
