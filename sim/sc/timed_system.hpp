// The SystemC model behind run_timed: one SC_METHOD, the scheduler, that owns every change of shared state
// and runs every stream of every core of every rank (simulator-design-notes.md §2.2, §2.5). SystemC
// activates it once per simulated time at which something is due, never per instruction.
//
// A stream is a small state machine: it starts an instruction when its semaphore conditions hold, asks the
// pure cost model and resources (PeTimeline, DmaModel) when it runs, calls the Executor at the
// instruction's start, queues the retirement and suspends until its engine is free. Within one activation
// the scheduler works in rounds, the delta cycles a model of one SystemC thread per stream would take: a
// round first retires what is due now in (time, core, stream, index) order, applies the semaphore
// updates, completes meetings, grants the DMA requests made in the round before in (core, stream) order
// and lists the streams that may go on, then resumes the streams the round before listed, in the order
// they were listed. Collectives and core barriers: a stream that reaches one reports its arrival, the
// scheduler matches arrivals (sim::Rendezvous) in (core, stream) order and, when a meeting is complete,
// moves the data (run_collective, as the functional runner does), times it (timing::CollectiveModel) and
// lists the members, whose CC-core stream is then busy until their rank's part ends. Because every
// ordering is by value, results never depend on the order of anything SystemC does.
#pragma once
#include <exception>
#include <memory>
#include <systemc>
#include <tuple>
#include <vector>

#include "sim/func/core_state.hpp"
#include "sim/func/executor.hpp"
#include "sim/func/rendezvous.hpp"
#include "sim/func/semaphores.hpp"
#include "sim/sc/four_ary_heap.hpp"
#include "sim/sc/instruction_traits.hpp"
#include "sim/sc/run_recorder.hpp"
#include "sim/sc/schedule_perturbation.hpp"
#include "sim/sc/timed_run.hpp"
#include "sim/timing/collective_model.hpp"
#include "sim/timing/cost_cache.hpp"
#include "sim/timing/dma_model.hpp"
#include "sim/timing/pe_timeline.hpp"
#include "sim/timing/shared_access_ports.hpp"

namespace tn::sc {

class TimedSystem : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(TimedSystem);
  // Binds every program's HBM tensors (before anything runs, so outputs one core writes exist for the
  // others). Throws sim::ExecutionError for bad semaphore ids.
  TimedSystem(const sc_core::sc_module_name& name, const std::vector<const isa::Program*>& programs,
              const TimedLaunch& launch, const timing::HwConfig& hw, RunRecorder& recorder,
              bool execute_numerics, sim::ValueSlice value_slice, uint64_t max_instructions,
              uint64_t perturb_schedule_seed);

  // Each instance's place: rank, core position, physical core and chip (the recorder's view too).
  static std::vector<RecordedCore> instances(const std::vector<const isa::Program*>& programs,
                                             const TimedLaunch& launch);

  // Records every instruction executed with numerics in `log` (before the run starts).
  void log_executions(sim::ExecutionLog* log);

  // The first exception a process raised; the run stops at it.
  std::exception_ptr error() const { return m_error; }
  // After sc_start() returned: throws DeadlockError if a stream did not finish.
  void check_finished() const;
  uint64_t end_ps() const { return m_end_ps; }
  // The fabric's links that carried bytes, for the summary.
  void report_links(RunRecorder& recorder) const;

 private:
  static constexpr uint64_t kNoRetire = ~uint64_t{0};
  // Work the scheduler must do at a time: retire a stream's oldest queued instruction, or wake a stream
  // whose engine is free. kCollective: the collective run `id` of m_runs has rounds due.
  enum class Kind : uint8_t { kRetire, kCollective, kWake };
  // Ordered by (time, kind, core, stream or collective id), packed into two words: kind in the top two
  // bits of `who`, core below, stream (or id) in the low 32. A stream has at most one kRetire entry, for
  // the head of its retirement queue (retirements of a stream come in execution order and never earlier
  // than the one before), so the heap holds a few entries per stream, not one per instruction in flight,
  // and retires in (time, core, stream, execution) order.
  struct Due {
    Due(uint64_t time, Kind kind, uint32_t core, uint32_t stream_or_id)
        : time_ps(time), who(uint64_t(kind) << 62 | uint64_t(core) << 32 | stream_or_id) {}
    uint64_t time_ps;
    uint64_t who;
    Kind kind() const { return Kind(who >> 62); }
    uint32_t core() const { return uint32_t(who >> 32) & 0x3FFFFFFF; }
    uint32_t stream() const { return uint32_t(who); }
    uint32_t collective() const { return uint32_t(who); }
    // (time, who) as one 128-bit number: one compare without a branch between the two words.
    unsigned __int128 key() const { return (unsigned __int128)time_ps << 64 | who; }
    bool operator<(const Due& o) const { return key() < o.key(); }
  };
  // An executed instruction waiting to retire.
  struct Retirement {
    uint64_t time_ps;
    uint64_t seq;  // its execution's sequence number in the stream
    uint32_t index;
  };
  // A stream's retirements in execution order: a vector read from `head`, compacted as it drains.
  struct RetireQueue {
    std::vector<Retirement> items;
    size_t head = 0;
    bool empty() const { return head == items.size(); }
    const Retirement& front() const { return items[head]; }
    void push(const Retirement& r) { items.push_back(r); }
    void pop() {
      if (++head == items.size()) {
        items.clear();
        head = 0;
      } else if (head >= 64 && head * 2 >= items.size()) {
        items.erase(items.begin(), items.begin() + std::ptrdiff_t(head));
        head = 0;
      }
    }
  };
  // Where a stream is suspended (or what it does when resumed).
  enum class Phase : uint8_t {
    kIssue,       // about to start instruction `at`
    kBlocked,     // waiting for the scheduler to grant its semaphore conditions
    kMeeting,     // waiting for its collective or barrier to complete
    kDma,         // waiting for the scheduler to time its transfer
    kPeStart,     // waiting for the PE array to reach the instruction's start
    kEngineBusy,  // waiting for its engine to free
    kYield,       // a long run of zero-time sequencer instructions let the scheduler catch up
    kDelayed,     // a perturbed schedule holds back the issue of `at` (SchedulePerturbation)
    kFinished,    // ran past its last instruction
  };
  struct Stream {
    uint32_t at = 0;        // the instruction it is on (its program counter)
    uint64_t executed = 0;  // instructions started so far: each one's sequence number in the stream
    uint64_t retired = 0;
    uint64_t last_retire_ps = 0;
    Phase phase = Phase::kIssue;
    bool listed = false;       // in the next round's resume list, for a wake-up
    uint32_t control_run = 0;  // zero-time sequencer instructions run since it last yielded
    bool granted = false;      // the scheduler found the conditions true (and took any consume) for `at`
    bool met =
        false;  // the collective or barrier at `at` is complete: it ran from met_start_ps to met_end_ps
    uint64_t met_start_ps = 0, met_end_ps = 0;
    const CollectiveRecord* collective = nullptr;
    uint64_t wake_with_retire = kNoRetire;  // the execution whose retirement wakes the stream
    // Blocked: the unsatisfied condition it watches (sem -1: none), see Core::sem_waiters.
    int32_t watch_sem = -1;
    int64_t watch_at_least = 0;
    RetireQueue retiring;
    timing::DmaTiming grant;
    // The instruction in flight across suspensions.
    uint64_t ready_ps = 0;  // it reached `at` (semaphore waits count from here)
    uint64_t seq = 0;
    const timing::InstructionCost* cost = nullptr;
    InstructionTiming timing;
    bool occupies_engine = false;
    uint64_t delayed_seq = ~uint64_t{0};  // the execution whose issue a perturbed schedule delayed
    // The last instruction whose output commits after it ends (InstructionCost::commit_latency_ps): when
    // it commits, and whether a branch was taken since (its kReadsLastWriter marks assume program order).
    uint64_t commit_ps = 0;
    uint32_t last_writer = 0;
    bool jumped_since_writer = false;
  };
  struct Core {
    Core(const isa::Program& p, sim::Hbm& hbm, bool holds_data, const timing::HwConfig& hw,
         timing::BandwidthServer& hbm_stack, const RecordedCore& place);
    const isa::Program& program;
    const ProgramTraits* traits = nullptr;  // in m_traits, shared by the cores that run one program
    RecordedCore place;
    timing::BandwidthServer& hbm_stack;
    sim::CoreState state;
    sim::Semaphores sems;
    sim::Executor exec;
    timing::PeTimeline pe;
    timing::SharedAccessPorts ports;  // SBUF/PSUM ports shared between engines (NeuronCore-v2)
    timing::DmaModel dma;
    std::vector<Stream> streams;  // built once: references stay valid
    // Bit s set while stream s is blocked.
    std::vector<uint64_t> blocked_streams;
    uint32_t gpsimd_stream = UINT32_MAX;  // the GpSimd engine's stream (software DGE shares the engine)
    // Per semaphore (words of stream bits): the blocked streams watching it. A blocked stream watches one
    // of its conditions that does not hold; it cannot start before that one holds, so the scheduler
    // re-checks just the `candidates` whose watched condition a semaphore increase made true (and streams
    // that arrive with a consuming wait), in stream order, and a stream that still cannot start watches
    // a condition that does not hold. Semaphores that many streams wait on grow by one per retirement:
    // re-checking every waiter on every increase would cost more than the instructions themselves.
    size_t stream_words = 0;
    std::vector<uint64_t> sem_waiters;  // [semaphore * stream_words + word]
    std::vector<uint64_t> candidates;
  };
  struct DmaRequest {
    uint32_t core, stream;
    const timing::InstructionCost* cost;  // in m_costs
  };
  struct Arrival {
    uint32_t core, stream;
  };

  // SystemC's one process: the rounds of one simulated time, then re-armed for the next due time.
  void activate();
  // The scheduler's part of a round (see the file comment).
  void schedule();
  // Runs a stream until it suspends or finishes.
  void resume(uint32_t core, uint32_t stream);
  // The steps of an instruction; each returns false when the stream suspends.
  bool issue(uint32_t core, uint32_t stream);
  // The instruction at the stream's `at` reads what its last writer wrote.
  bool reads_last_writer(const Core& c, uint32_t stream) const;
  bool start(uint32_t core, uint32_t stream);
  bool finish_instruction(uint32_t core, uint32_t stream);
  // Lists a stream to resume next round (a wake-up; listing it twice in a round is listing it once).
  void wake(uint32_t core, uint32_t stream);
  // The scheduler lets a blocked stream start: takes its consuming waits' counts, wakes it.
  void grant(uint32_t core, uint32_t stream);
  void sleep_until(uint32_t core, uint32_t stream, uint64_t time_ps);
  void retire(uint32_t core, uint32_t stream, const Retirement& r);
  // Queues an executed instruction's retirement.
  void queue_retirement(uint32_t core, uint32_t stream, const Retirement& r);
  void post(const Due& d);
  // Runs the scheduler next round (a request it must answer at the current time).
  void schedule_now() { m_schedule_pending = true; }
  // Marks `core` for the scheduler to re-check its blocked streams this step.
  void touch(uint32_t core);
  bool can_start(const Core& c, const isa::Instruction& in) const;
  // A blocked stream watches the first of its conditions that does not hold (or none, if all hold).
  void watch(Core& c, uint32_t stream, const isa::Instruction& in);
  void unwatch(Core& c, uint32_t stream);
  // Completes a meeting at `now`: moves a collective's data and times it, then wakes every member.
  void complete(const sim::Rendezvous::Meeting& m, uint64_t now);
  // The index in m_cores of `core` of `rank`.
  uint32_t instance_index(uint32_t rank, uint32_t core) const { return rank * m_cores_per_rank + core; }
  Core& instance(uint32_t rank, uint32_t core) { return *m_cores[instance_index(rank, core)]; }
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
  SchedulePerturbation m_perturbation;
  uint64_t m_executed = 0;  // instructions started, all cores and streams
  timing::HbmStacks m_hbm_stacks;
  std::vector<std::unique_ptr<ProgramTraits>> m_traits;  // by core position (programs[c])
  std::vector<std::unique_ptr<Core>> m_cores;
  FourAryHeap<Due> m_due;
  std::vector<DmaRequest> m_dma_requests;
  std::vector<Arrival> m_arrivals;
  std::vector<Arrival> m_wakes;  // step()'s: the streams to wake now
  sim::Rendezvous m_meetings;
  std::unique_ptr<timing::Fabric> m_fabric;
  std::unique_ptr<timing::CollectiveModel> m_collectives;
  std::vector<ActiveCollective> m_runs;   // by id (finished ones keep an empty slot)
  std::vector<uint8_t> m_core_touched;    // by core: re-check its blocked streams this step
  std::vector<uint32_t> m_touched_cores;  // the cores m_core_touched marks, in the order marked
  // A stream to resume next round: woken, or back from a yield (a wake-up does not end a yield).
  struct Resume {
    uint32_t core, stream;
    bool yield;
  };
  std::vector<Resume> m_next_round, m_this_round;
  bool m_schedule_pending = false;
  bool m_started = false;  // the first activation resumes every stream, in (core, stream) order
  sc_core::sc_event m_due_event;
  uint64_t m_now_ps = 0;  // the simulated time of the current activation
  std::exception_ptr m_error;
  uint64_t m_end_ps = 0;
};

}  // namespace tn::sc
