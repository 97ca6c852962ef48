// The SystemC model behind run_timed: one SC_THREAD per stream of every core of every rank, and one
// SC_METHOD, the scheduler, that owns every change of shared state (simulator-design-notes.md §2.2, §2.5).
// Collectives and core barriers: a stream that reaches one reports its arrival to the scheduler, which
// matches arrivals (sim::Rendezvous) in (core, stream) order; when a meeting is complete it moves the
// data (run_collective, as the functional runner does), times it (timing::CollectiveModel) and wakes
// the members, whose CC-core stream is then busy until their rank's part ends.
//
// A stream thread waits only on its own event. It starts an instruction when its semaphore conditions
// hold, asks the pure cost model and resources (PeTimeline, DmaModel) when it runs, waits once, calls
// the Executor at the instruction's start, and queues the retirement. The scheduler, re-armed to the
// earliest queued time (an sc_event keeps only its earliest pending notification, which is exactly the
// heap's top), then at each time step: retires instructions in (time, core, stream, index) order and
// applies their semaphore updates, grants the DMA requests made since its last run in (core, stream)
// order, and wakes the streams that may go on. Because every wake-up and every shared reservation goes
// through it, results do not depend on the order SystemC happens to run simultaneous processes in.
#pragma once
#ifndef SC_INCLUDE_DYNAMIC_PROCESSES
#define SC_INCLUDE_DYNAMIC_PROCESSES  // sc_spawn, for one thread per stream
#endif
#include <exception>
#include <memory>
#include <queue>
#include <systemc>
#include <tuple>
#include <vector>

#include "sim/func/core_state.hpp"
#include "sim/func/executor.hpp"
#include "sim/func/rendezvous.hpp"
#include "sim/func/semaphores.hpp"
#include "sim/sc/run_recorder.hpp"
#include "sim/sc/timed_run.hpp"
#include "sim/timing/collective_model.hpp"
#include "sim/timing/cost_cache.hpp"
#include "sim/timing/dma_model.hpp"
#include "sim/timing/pe_timeline.hpp"

namespace tn::sc {

class TimedSystem : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(TimedSystem);
  // Binds every program's HBM tensors (before anything runs, so outputs one core writes exist for the
  // others) and spawns the stream threads. Throws sim::ExecutionError for bad semaphore ids.
  TimedSystem(const sc_core::sc_module_name& name, const std::vector<const isa::Program*>& programs,
              const TimedLaunch& launch, const timing::HwConfig& hw, RunRecorder& recorder,
              bool execute_numerics, sim::ValueSlice value_slice, uint64_t max_instructions);

  // Each instance's place: rank, core position, physical core and chip (the recorder's view too).
  static std::vector<RecordedCore> instances(const std::vector<const isa::Program*>& programs,
                                             const TimedLaunch& launch);

  // The first exception a process raised; the run stops at it.
  std::exception_ptr error() const { return m_error; }
  // After sc_start() returned: throws DeadlockError if a stream did not finish.
  void check_finished() const;
  uint64_t end_ps() const { return m_end_ps; }
  // The fabric's links that carried bytes, for the summary.
  void report_links(RunRecorder& recorder) const;

 private:
  static constexpr uint64_t kNoRetire = ~uint64_t{0};
  struct Stream {
    uint32_t at = 0;        // the instruction the thread is on (its program counter)
    uint64_t executed = 0;  // instructions started so far: each one's sequence number in the stream
    uint64_t retired = 0;
    uint64_t last_retire_ps = 0;
    bool finished = false;     // ran past its last instruction
    bool blocked = false;      // waiting for semaphore conditions; the scheduler re-checks it
    uint32_t control_run = 0;  // zero-time sequencer instructions run since the thread last yielded
    bool granted = false;      // the scheduler found the conditions true (and took any consume) for `at`
    bool met =
        false;  // the collective or barrier at `at` is complete: it ran from met_start_ps to met_end_ps
    uint64_t met_start_ps = 0, met_end_ps = 0;
    const CollectiveRecord* collective = nullptr;
    uint64_t wake_with_retire = kNoRetire;  // the execution whose retirement wakes the stream
    timing::DmaTiming grant;
    sc_core::sc_event wake;
  };
  struct Core {
    Core(const isa::Program& p, sim::Hbm& hbm, bool holds_data, const timing::HwConfig& hw,
         timing::BandwidthServer& hbm_stack, const RecordedCore& place);
    const isa::Program& program;
    RecordedCore place;
    timing::BandwidthServer& hbm_stack;
    sim::CoreState state;
    sim::Semaphores sems;
    sim::Executor exec;
    timing::PeTimeline pe;
    timing::DmaModel dma;
    std::vector<std::unique_ptr<Stream>> streams;
    // Bit s set while stream s is blocked.
    std::vector<uint64_t> blocked_streams;
    // Per semaphore (words of stream bits): the blocked streams with a condition on it. A blocked stream
    // can start only once one of its semaphores has grown, so the scheduler re-checks just the
    // `candidates` those changes name (and streams that arrive with a consuming wait), in stream order.
    size_t stream_words = 0;
    std::vector<uint64_t> sem_waiters;  // [semaphore * stream_words + word]
    std::vector<uint64_t> candidates;
  };
  // Work the scheduler must do at a time: retire an instruction, or wake a stream whose engine is free.
  // kCollective: the collective run `seq` of m_runs has rounds due.
  enum class Kind : uint8_t { kRetire, kCollective, kWake };
  // `seq` orders retirements of one stream in execution order (an instruction in a loop has one index
  // but many executions).
  // Ordered by (time, kind, core, stream, seq); kind, core and stream share one word (kind in the top two
  // bits, core below, stream in the low 32), so the heap compares three integers.
  struct Due {
    Due(uint64_t time, Kind kind, uint32_t core, uint32_t stream, uint64_t seq_, uint32_t index_)
        : time_ps(time),
          who(uint64_t(kind) << 62 | uint64_t(core) << 32 | stream),
          seq(seq_),
          index(index_) {}
    uint64_t time_ps;
    uint64_t who;
    uint64_t seq;
    uint32_t index;
    Kind kind() const { return Kind(who >> 62); }
    uint32_t core() const { return uint32_t(who >> 32) & 0x3FFFFFFF; }
    uint32_t stream() const { return uint32_t(who); }
    bool operator>(const Due& o) const {
      if (time_ps != o.time_ps)
        return time_ps > o.time_ps;
      if (who != o.who)
        return who > o.who;
      return seq > o.seq;
    }
  };
  struct DmaRequest {
    uint32_t core, stream;
    const timing::InstructionCost* cost;  // in m_costs
  };
  struct Arrival {
    uint32_t core, stream;
  };

  void run_stream(uint32_t core, uint32_t stream);
  // Runs instruction `index` and returns the stream's next instruction index.
  uint32_t run_instruction(uint32_t core, uint32_t stream, uint32_t index);
  // The scheduler lets a blocked stream start: takes its consuming waits' counts, wakes it.
  void grant(uint32_t core, uint32_t stream);
  void sleep_until(uint32_t core, uint32_t stream, uint64_t time_ps);
  void step();
  void retire(const Due& d, uint64_t now_ps);
  void post(const Due& d);
  // Runs the scheduler in the next delta cycle (a request it must answer at the current time).
  void step_now();
  // Marks `core` for the scheduler to re-check its blocked streams this step.
  void touch(uint32_t core);
  bool can_start(const Core& c, const isa::Instruction& in) const;
  // Completes a meeting at `now`: moves a collective's data and times it, then wakes every member.
  void complete(const sim::Rendezvous::Meeting& m, uint64_t now);
  Core& instance(uint32_t rank, uint32_t core) { return *m_cores[rank * m_cores_per_rank + core]; }
  // A collective in flight: its run, and the meeting whose members it wakes when it ends.
  struct ActiveCollective {
    std::unique_ptr<timing::CollectiveRun> run;
    sim::Rendezvous::Meeting meeting;
    timing::CollectiveKind kind;
    uint64_t start_ps;
  };
  void advance_collective(uint64_t id, uint64_t now);
  void fail(std::exception_ptr e);
  std::string core_prefix(uint32_t core) const;

  const timing::HwConfig& m_hw;
  timing::CostCache m_costs;
  const size_t m_num_cores;
  const uint32_t m_cores_per_rank;
  const bool m_multi_rank;
  RunRecorder& m_recorder;
  bool m_execute_numerics;
  sim::ValueSlice m_value_slice;  // evaluated without numerics too
  uint64_t m_max_instructions;
  uint64_t m_executed = 0;  // instructions started, all cores and streams
  timing::HbmStacks m_hbm_stacks;
  std::vector<std::unique_ptr<Core>> m_cores;
  std::priority_queue<Due, std::vector<Due>, std::greater<Due>> m_due;
  std::vector<DmaRequest> m_dma_requests;
  std::vector<Arrival> m_arrivals;
  std::vector<Arrival> m_wakes;  // step()'s: the streams to wake now
  sim::Rendezvous m_meetings;
  std::unique_ptr<timing::Fabric> m_fabric;
  std::unique_ptr<timing::CollectiveModel> m_collectives;
  std::vector<ActiveCollective> m_runs;   // by id (finished ones keep an empty slot)
  std::vector<uint8_t> m_core_touched;    // by core: re-check its blocked streams this step
  std::vector<uint32_t> m_touched_cores;  // the cores m_core_touched marks, in the order marked
  sc_core::sc_event m_step_event;
  // The time m_step_event is notified for, or kNotArmed: post() notifies only earlier times.
  static constexpr uint64_t kNotArmed = ~uint64_t{0};
  uint64_t m_step_armed_ps = kNotArmed;
  std::exception_ptr m_error;
  uint64_t m_end_ps = 0;
};

}  // namespace tn::sc
