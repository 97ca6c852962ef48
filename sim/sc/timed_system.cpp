#include "sim/sc/timed_system.hpp"

#include <algorithm>
#include <bit>
#include <string>

#include "isa/footprint.hpp"
#include "isa/operands.hpp"
#include "isa/validator.hpp"
#include "sim/func/collectives.hpp"
#include "sim/func/semaphore_ids.hpp"
#include "sim/sc/sync_conditions.hpp"

namespace tn::sc {

namespace {

sc_core::sc_time ps(uint64_t v) { return sc_core::sc_time::from_value(v); }

constexpr uint32_t kControlRunBeforeYield = 1024;

}  // namespace

TimedSystem::Core::Core(const isa::Program& p, sim::Hbm& hbm, bool holds_data, const timing::HwConfig& hw,
                        timing::BandwidthServer& stack, const RecordedCore& place_)
    : program(p),
      place(place_),
      hbm_stack(stack),
      state(hw.memory_limits(), holds_data),  // no SBUF/PSUM image where no data is kept
      sems(p),
      exec(p, state, hbm, place_.rank),
      dma(hw, stack),
      ports(hw) {
  for (size_t s = 0; s < p.streams.size(); ++s) {
    streams.emplace_back();
  }
  if (const int32_t pool = p.find_engine_stream(isa::Engine::kPool); pool >= 0)
    gpsimd_stream = uint32_t(pool);
  stream_words = (p.streams.size() + 63) / 64;
  blocked_streams.assign(stream_words, 0);
  candidates.assign(stream_words, 0);
  sem_waiters.assign(p.semaphores.size() * stream_words, 0);
}

std::vector<RecordedCore> TimedSystem::instances(const std::vector<const isa::Program*>& programs,
                                                 const TimedLaunch& launch) {
  std::vector<RecordedCore> out;
  const timing::Placement& pl = launch.placement;
  for (uint32_t r = 0; r < launch.rank_hbm.size(); ++r) {
    const bool traced =
        launch.traced_ranks.empty() ||
        std::find(launch.traced_ranks.begin(), launch.traced_ranks.end(), r) != launch.traced_ranks.end();
    for (uint32_t c = 0; c < programs.size(); ++c) {
      RecordedCore rc;
      rc.program = programs[c];
      rc.rank = r;
      rc.core = c;
      rc.physical =
          r < pl.cores_of_rank.size() && c < pl.cores_of_rank[r].size() ? pl.cores_of_rank[r][c] : c;
      rc.chip = r < pl.chip_of_rank.size() ? pl.chip_of_rank[r] : 0;
      rc.traced = traced;
      out.push_back(rc);
    }
  }
  return out;
}

TimedSystem::TimedSystem(const sc_core::sc_module_name& name,
                         const std::vector<const isa::Program*>& programs, const TimedLaunch& launch,
                         const timing::HwConfig& hw, RunRecorder& recorder, bool execute_numerics,
                         sim::ValueSlice value_slice, uint64_t max_instructions,
                         uint64_t perturb_schedule_seed)
    : sc_core::sc_module(name),
      m_hw(hw),
      m_costs(hw),
      m_num_cores(programs.size() * launch.rank_hbm.size()),
      m_cores_per_rank(uint32_t(programs.size())),
      m_multi_rank(launch.rank_hbm.size() > 1),
      m_recorder(recorder),
      m_execute_numerics(execute_numerics),
      m_value_slice(std::move(value_slice)),
      m_max_instructions(max_instructions),
      m_perturbation(perturb_schedule_seed),
      m_hbm_stacks(hw),
      m_meetings(uint32_t(programs.size())),
      m_core_touched(m_num_cores) {
  for (const sim::Hbm* h : launch.rank_hbm) {
    if (execute_numerics && !h->holds_data())
      throw std::logic_error("a timed run with numerics needs memory that holds data");
  }
  for (uint32_t c = 0; c < programs.size(); ++c) {
    sim::check_semaphore_ids(*programs[c], programs.size() > 1 ? "core " + std::to_string(c) + ": " : "");
  }
  if (launch.system) {
    m_fabric = std::make_unique<timing::Fabric>(*launch.system);
    m_collectives = std::make_unique<timing::CollectiveModel>(*launch.system, *m_fabric, launch.algorithm);
    m_collectives->set_link_observer([this](uint32_t link, timing::TimeInterval iv, uint64_t bytes) {
      m_recorder.on_link(link, m_fabric->link_name(link), iv, bytes);
    });
  }
  for (const isa::Program* p : programs)
    m_traits.push_back(std::make_unique<ProgramTraits>(*p));
  for (const RecordedCore& rc : instances(programs, launch)) {
    // Without numerics a core keeps SBUF/PSUM images only for a value slice to evaluate.
    m_cores.push_back(std::make_unique<Core>(*rc.program, *launch.rank_hbm[rc.rank],
                                             execute_numerics || m_value_slice.reads_runtime_values(), hw,
                                             m_hbm_stacks.stack_of(rc.physical), rc));
    m_cores.back()->traits = m_traits[rc.core].get();
  }
  // Initialised: the first activation, at time 0, starts every stream.
  SC_METHOD(activate);
  sensitive << m_due_event;
}

std::string TimedSystem::core_prefix(uint32_t core) const {
  const RecordedCore& p = m_cores[core]->place;
  if (m_multi_rank)
    return "rank " + std::to_string(p.rank) +
           (m_cores_per_rank > 1 ? " core " + std::to_string(p.core) : "") + ": ";
  return m_num_cores > 1 ? "core " + std::to_string(core) + ": " : "";
}

void TimedSystem::fail(std::exception_ptr e) {
  // Keep the first error; no stream resumes after it and the activation re-arms nothing, so sc_start returns.
  if (!m_error) {
    m_error = e;
  }
}

bool TimedSystem::can_start(const Core& c, const isa::Instruction& in) const {
  bool ok = true;
  for_each_condition(in, [&](const isa::SemCondition& cond) { ok = ok && c.sems.satisfied(cond); });
  return ok;
}

void TimedSystem::watch(Core& c, uint32_t stream, const isa::Instruction& in) {
  Stream& s = c.streams[stream];
  bool found = false;
  for_each_condition(in, [&](const isa::SemCondition& cond) {
    if (found || c.sems.satisfied(cond))
      return;
    found = true;
    s.watch_sem = cond.sem;
    s.watch_at_least = cond.at_least;
    c.sem_waiters[size_t(cond.sem) * c.stream_words + stream / 64] |= uint64_t{1} << (stream % 64);
  });
}

void TimedSystem::unwatch(Core& c, uint32_t stream) {
  Stream& s = c.streams[stream];
  if (s.watch_sem < 0)
    return;
  c.sem_waiters[size_t(s.watch_sem) * c.stream_words + stream / 64] &= ~(uint64_t{1} << (stream % 64));
  s.watch_sem = -1;
}

void TimedSystem::touch(uint32_t core) {
  if (!m_core_touched[core]) {
    m_core_touched[core] = 1;
    m_touched_cores.push_back(core);
  }
}

void TimedSystem::post(const Due& d) {
  m_due.push(d);
  if (d.time_ps <= m_now_ps)
    schedule_now();  // later times: activate() re-arms for the earliest when the activation ends
}

void TimedSystem::wake(uint32_t core, uint32_t stream) {
  Stream& s = m_cores[core]->streams[stream];
  if (!s.listed) {
    s.listed = true;
    m_next_round.push_back({core, stream, false});
  }
}

void TimedSystem::sleep_until(uint32_t core, uint32_t stream, uint64_t time_ps) {
  post(Due{time_ps, Kind::kWake, core, stream});
}

void TimedSystem::activate() {
  if (m_error) {
    return;
  }
  m_now_ps = sc_core::sc_time_stamp().value();  // run_timed checks the 1 ps resolution
  if (!m_started) {
    m_started = true;
    // Listed last to first, so they start in (core, stream) order (SystemC initialised the threads of
    // the thread-per-stream design in creation order, and traces stay byte-identical to it).
    for (uint32_t c = uint32_t(m_cores.size()); c-- > 0;) {
      for (uint32_t s = uint32_t(m_cores[c]->streams.size()); s-- > 0;)
        m_next_round.push_back({c, s, true});
    }
  } else {
    m_schedule_pending = true;  // woken for what is due now
  }
  while ((m_schedule_pending || !m_next_round.empty()) && !m_error) {
    m_this_round.swap(m_next_round);
    m_next_round.clear();
    for (const Resume& r : m_this_round) {
      if (!r.yield)
        m_cores[r.core]->streams[r.stream].listed = false;  // a wake-up now lists it for the round after
    }
    if (m_schedule_pending) {
      m_schedule_pending = false;
      schedule();
    }
    if (m_perturbation.enabled())
      m_perturbation.shuffle(m_this_round);
    // Last listed first: the order SystemC's delta-notify phase triggers a round's events in (it walks
    // its list of notified events from the end), kept so traces stay byte-identical to that design's.
    for (auto it = m_this_round.rbegin(); it != m_this_round.rend(); ++it) {
      const Resume& r = *it;
      if (m_error)
        break;
      Stream& s = m_cores[r.core]->streams[r.stream];
      // A yielding stream waits for its turn, not for a wake-up: one meant for it is lost, as it is for a
      // thread that waits on something else.
      if (r.yield != (s.phase == Phase::kYield || s.phase == Phase::kIssue))
        continue;
      try {
        resume(r.core, r.stream);
      } catch (...) {
        fail(std::current_exception());
      }
    }
  }
  if (!m_error && !m_due.empty()) {
    m_due_event.notify(ps(m_due.top().time_ps - m_now_ps));  // after now: what was due ran above
  }
}

void TimedSystem::resume(uint32_t core, uint32_t stream) {
  Stream& s = m_cores[core]->streams[stream];
  const size_t n = m_cores[core]->program.streams[stream].instructions.size();
  while (!m_error) {
    switch (s.phase) {
      case Phase::kIssue:
        if (s.at >= n) {
          s.phase = Phase::kFinished;
          return;
        }
        if (!issue(core, stream))
          return;
        break;
      case Phase::kBlocked:
        if (!s.granted)
          return;  // woken for something else: still blocked
        if (!start(core, stream))
          return;
        break;
      case Phase::kMeeting:
        if (!s.met)
          return;
        s.timing.start_ps = s.met_start_ps;
        s.timing.end_ps = s.met_end_ps;
        s.timing.collective = s.collective;
        s.occupies_engine = true;
        if (!finish_instruction(core, stream))
          return;
        break;
      case Phase::kDma:
        s.timing.start_ps = s.grant.issue_ps;
        s.timing.descriptors = s.grant.descriptors;
        s.timing.data_start_ps = s.grant.data_start_ps;
        s.timing.data_end_ps = s.grant.data_end_ps;
        s.timing.end_ps = s.grant.complete_ps;
        if (!finish_instruction(core, stream))
          return;
        break;
      case Phase::kPeStart:
        if (!finish_instruction(core, stream))
          return;
        break;
      case Phase::kEngineBusy:
      case Phase::kYield:
      case Phase::kDelayed:
        s.phase = Phase::kIssue;
        break;
      case Phase::kFinished:
        return;
    }
  }
}

bool TimedSystem::issue(uint32_t core, uint32_t stream) {
  Core& c = *m_cores[core];
  Stream& s = c.streams[stream];
  const isa::Instruction& in = c.program.streams[stream].instructions[s.at];
  if (m_executed >= m_max_instructions) {
    throw sim::ExecutionError(core_prefix(core) + isa::describe_instruction(c.program, stream, s.at) +
                              ": instruction budget exhausted: " + std::to_string(m_max_instructions) +
                              " instructions executed (a loop that never ends?)");
  }
  if (m_perturbation.enabled() && s.delayed_seq != s.executed) {
    s.delayed_seq = s.executed;
    if (const uint64_t delay = m_perturbation.issue_delay_ps(core, stream, s.executed); delay > 0) {
      s.phase = Phase::kDelayed;
      sleep_until(core, stream, m_now_ps + delay);
      return false;
    }
  }
  if (s.commit_ps > m_now_ps && reads_last_writer(c, stream)) {
    // A RAW dependency on this engine's previous writer: it starts once that output is committed.
    s.phase = Phase::kDelayed;
    sleep_until(core, stream, s.commit_ps);
    return false;
  }
  if (c.gpsimd_stream == stream && c.dma.gpsimd_free_ps() > m_now_ps &&
      !(c.traits->of(stream, s.at) & kSequencerControl)) {
    // GpSimd is building a software-DGE queue's descriptors (sim/timing/dma_model.hpp).
    s.phase = Phase::kDelayed;
    sleep_until(core, stream, c.dma.gpsimd_free_ps());
    return false;
  }
  if (c.ports.shared() && !(c.traits->of(stream, s.at) & kSequencerControl)) {
    // NeuronCore-v2: the SBUF or PSUM port this instruction needs is another engine's until then.
    const isa::Stream& st = c.program.streams[stream];
    const uint64_t free_ps = c.ports.earliest_start(st.engine, m_costs.get(in.op, st.engine));
    if (free_ps > m_now_ps) {
      s.phase = Phase::kDelayed;
      sleep_until(core, stream, free_ps);
      return false;
    }
  }
  s.ready_ps = m_now_ps;
  // A consuming wait changes a semaphore, so which of several waiting streams gets a count must not
  // depend on the order streams run in: those instructions always start through the scheduler, which
  // grants in (core, stream) order. Other instructions start at once when their conditions hold
  // (semaphores change only in the scheduler, so that check is order-independent too).
  const uint16_t traits = c.traits->of(stream, s.at);
  const bool consumes = traits & kConsumes;
  if (!consumes && (!(traits & kHasConditions) || can_start(c, in)))
    return start(core, stream);
  s.granted = false;
  s.phase = Phase::kBlocked;  // the scheduler grants and wakes us once the conditions hold
  const uint64_t bit = uint64_t{1} << (stream % 64);
  c.blocked_streams[stream / 64] |= bit;
  watch(c, stream, in);
  if (consumes) {
    c.candidates[stream / 64] |= bit;
    touch(core);
    schedule_now();
  }
  return false;
}

bool TimedSystem::reads_last_writer(const Core& c, uint32_t stream) const {
  const Stream& s = c.streams[stream];
  if (!s.jumped_since_writer)
    return c.traits->of(stream, s.at) & kReadsLastWriter;
  // After a branch the writer need not be the instruction's predecessor in program order.
  const auto& instructions = c.program.streams[stream].instructions;
  return isa::reads_after_write(isa::accesses_of(instructions[s.at].op.get()),
                                isa::accesses_of(instructions[s.last_writer].op.get()));
}

bool TimedSystem::start(uint32_t core, uint32_t stream) {
  Core& c = *m_cores[core];
  Stream& s = c.streams[stream];
  const isa::Stream& st = c.program.streams[stream];
  const isa::Instruction& in = st.instructions[s.at];
  ++m_executed;
  s.seq = s.executed++;
  const uint64_t issue = m_now_ps;
  s.cost = &m_costs.get(in.op, st.engine);
  s.timing = InstructionTiming{};
  s.timing.sem_wait_ps = issue - s.ready_ps;
  s.occupies_engine = false;
  const uint16_t traits = c.traits->of(stream, s.at);
  if (traits & kMeeting) {
    // The scheduler matches the arrival, completes the meeting once every member arrived (moving the
    // data and timing it) and wakes us; the stream is then busy until our rank's part ends.
    s.met = false;
    m_arrivals.push_back(Arrival{core, stream});
    schedule_now();
    s.phase = Phase::kMeeting;
    return false;
  }
  if (traits & kDmaTransfer) {
    // Pipelined: the queue issues and moves on; the scheduler times the transfer against the shared
    // DMA engines and HBM stack in a deterministic order.
    m_dma_requests.push_back(DmaRequest{core, stream, s.cost});
    schedule_now();
    s.phase = Phase::kDma;
    return false;
  }
  if (traits & kPeArray) {
    // LoadStationary overlaps the previous multiply (PeTimeline); the sequencer moves on at the start.
    const timing::TimeInterval iv = (traits & kLoadStationary)
                                        ? c.pe.load_stationary(issue, s.cost->duration_ps)
                                        : c.pe.multiply(issue, s.cost->duration_ps);
    s.timing.start_ps = iv.start_ps;
    s.timing.end_ps = iv.end_ps;
    if (iv.start_ps > issue) {
      sleep_until(core, stream, iv.start_ps);
      s.phase = Phase::kPeStart;
      return false;
    }
  } else {
    s.timing.start_ps = issue;
    s.timing.end_ps = issue + s.cost->duration_ps;
    s.occupies_engine = true;
    if (c.gpsimd_stream == stream)
      c.dma.gpsimd_busy_until(s.timing.end_ps);
    c.ports.occupy(st.engine, *s.cost, s.timing.end_ps);
  }
  return finish_instruction(core, stream);
}

void TimedSystem::log_executions(sim::ExecutionLog* log) {
  for (auto& c : m_cores)
    c->exec.log_to(log, c->place.core);
}

bool TimedSystem::finish_instruction(uint32_t core, uint32_t stream) {
  Core& c = *m_cores[core];
  Stream& s = c.streams[stream];
  const uint32_t index = s.at;
  InstructionTiming& t = s.timing;
  // Numerics at the start; without them only the sequencer instructions run, so branches are followed,
  // and gathers read their indices (the Executor does nothing else then, so nothing else calls it). A
  // meeting's data moved when it completed.
  const uint16_t traits = c.traits->of(stream, index);
  uint32_t next = index + 1;
  try {
    if (!(traits & kMeeting)) {
      const bool numerics = m_execute_numerics || m_value_slice.contains(c.place.core, stream, index);
      if (numerics || (traits & (kSequencerControl | kGather)))
        next = uint32_t(c.exec.execute(stream, index, numerics));
    }
  } catch (const sim::ExecutionError& e) {
    throw sim::ExecutionError(core_prefix(core) + e.what());
  }
  if ((traits & kGather) && c.state.sbuf.holds_data()) {
    t.indices = c.exec.last_gather_indices();
  }
  if (traits & kLoopRegLoad) {
    t.loop_trips = c.exec.register_value(stream, isa::kLoopRegister);
  }
  m_recorder.on_start(core, stream, index, t, *s.cost, c.traits->opcode(stream, index),
                      traits & kDmaTransfer);
  // Retirement is in execution order, and no earlier than the output's commit.
  const uint64_t committed = t.end_ps + s.cost->commit_latency_ps;
  s.last_retire_ps = std::max(s.last_retire_ps, committed);
  queue_retirement(core, stream, Retirement{s.last_retire_ps, s.seq, index});
  if (s.cost->commit_latency_ps > 0) {
    s.commit_ps = committed;
    s.last_writer = index;
    s.jumped_since_writer = false;
  }
  s.jumped_since_writer = s.jumped_since_writer || next != index + 1;
  s.at = next;
  if (s.occupies_engine && t.end_ps > m_now_ps) {
    s.control_run = 0;
    s.phase = Phase::kEngineBusy;
    // The engine frees at the end; a next instruction that reads this output waits for the commit.
    const bool next_waits_for_commit = s.last_retire_ps == committed && committed > t.end_ps &&
                                       next < c.program.streams[stream].instructions.size() &&
                                       reads_last_writer(c, stream);
    if (s.last_retire_ps == t.end_ps || next_waits_for_commit) {
      // The engine frees when this instruction retires: that retirement wakes the stream (one event less
      // per instruction; the wake keeps its place among the round's wakes).
      s.wake_with_retire = s.seq;
    } else {
      sleep_until(core, stream, t.end_ps);
    }
    return false;
  }
  if ((traits & kSequencerControl) && ++s.control_run >= kControlRunBeforeYield) {
    // A loop of zero-time sequencer instructions never waits: yield now and then so the scheduler
    // retires what it queued (memory stays bounded) while the instruction budget counts on.
    s.control_run = 0;
    s.phase = Phase::kYield;
    m_next_round.push_back({core, stream, true});
    return false;
  }
  s.phase = Phase::kIssue;
  return true;
}

void TimedSystem::complete(const sim::Rendezvous::Meeting& m, uint64_t now) {
  if (m.barrier) {
    for (const sim::Rendezvous::Arrival& a : m.arrivals) {
      Core& c = instance(a.rank, a.core);
      Stream& s = c.streams[a.stream];
      const isa::Stream& st = c.program.streams[a.stream];
      s.met_start_ps = now;
      s.met_end_ps = now + m_costs.get(st.instructions[a.index].op, st.engine).duration_ps;
      s.collective = nullptr;
      s.met = true;
      wake(instance_index(a.rank, a.core), a.stream);
    }
    return;
  }
  const sim::Rendezvous::Arrival& first = m.arrivals.front();
  if (!m_collectives) {
    throw sim::ExecutionError(m_meetings.describe(first) +
                              ": a collective needs the system its ranks run on (a launch with a system)");
  }
  // One member per rank (its core 0's view of memory), in row order; every core of an LNC2 rank issues
  // the collective, so its tensors must be the rank's shared HBM.
  std::vector<sim::CollectiveMember> members;
  std::vector<timing::CollectiveRank> ranks;
  for (const sim::Rendezvous::Arrival& a : m.arrivals) {
    if (m_cores_per_rank > 1)
      sim::check_collective_shared(a, m_meetings);
    if (a.core != 0)
      continue;
    members.push_back({a.rank, &instance(a.rank, 0).exec, &a.op()});
    timing::CollectiveRank r;
    for (uint32_t c = 0; c < m_cores_per_rank; ++c) {
      Core& core = instance(a.rank, c);
      r.chip = core.place.chip;
      r.dma.push_back(&core.dma);
      r.hbm.push_back(&core.hbm_stack);
    }
    ranks.push_back(std::move(r));
  }
  if (m_execute_numerics || m_value_slice.contains(first.core, first.stream, first.index)) {
    try {
      sim::run_collective(members);
    } catch (const sim::InstructionFault& e) {
      throw sim::ExecutionError(m_meetings.describe(first) + ": " + e.what());
    }
  }
  const isa::Operation& op = first.op();
  const timing::CollectiveKind kind =
      std::holds_alternative<isa::AllGather>(op)  ? timing::CollectiveKind::kAllGather
      : std::holds_alternative<isa::AllToAll>(op) ? timing::CollectiveKind::kAllToAll
                                                  : timing::CollectiveKind::kPermute;
  const uint64_t src_bytes = uint64_t(isa::operands_of(op)[1].ap->bytes());  // (dst, src, ...)
  // Its rounds run as the scheduler reaches their times, so compute DMAs issued meanwhile share the engines.
  const uint64_t id = m_runs.size();
  m_runs.push_back({m_collectives->start(kind, src_bytes, std::move(ranks), now), m, kind, now});
  m_recorder.on_collective_start(id, m.row, now);
  post(Due{m_runs.back().run->next_ps(), Kind::kCollective, 0, uint32_t(id)});
}

void TimedSystem::advance_collective(uint64_t id, uint64_t now) {
  ActiveCollective& c = m_runs[id];
  c.run->advance(now);
  if (!c.run->done()) {
    post(Due{c.run->next_ps(), Kind::kCollective, 0, uint32_t(id)});
    return;
  }
  const timing::CollectiveTiming& t = c.run->timing();
  const sim::Rendezvous::Meeting& m = c.meeting;
  CollectiveRecord rec;
  rec.kind = std::string(isa::mnemonic(m.arrivals.front().op()));
  rec.algorithm = std::string(timing::algorithm_name(t.algorithm));
  rec.group = m.group;
  rec.row = m.row;
  rec.stream = m.stream;
  rec.sequence = m.sequence;
  const sim::Rendezvous::Arrival& first = m.arrivals.front();
  const isa::SourceLocation& loc = first.program->streams[first.stream].instructions[first.index].loc;
  rec.source = loc.file + ":" + std::to_string(loc.line);
  rec.message_bytes = t.message_bytes;
  rec.start_ps = t.start_ps;
  rec.end_ps = t.end();
  rec.steps = t.steps;
  rec.algbw_bytes_per_ns = t.algbw_bytes_per_ns();
  rec.busbw_bytes_per_ns = t.busbw_bytes_per_ns(c.kind, m.row.size());
  const CollectiveRecord& kept = m_recorder.on_collective(id, std::move(rec), now);
  // Every member's instruction ends with its part (its last arrival), and no earlier than now: a member
  // learns that the collective is over when the scheduler gets here.
  for (const sim::Rendezvous::Arrival& a : m.arrivals) {
    Stream& s = instance(a.rank, a.core).streams[a.stream];
    const size_t pos = size_t(std::find(m.row.begin(), m.row.end(), int32_t(a.rank)) - m.row.begin());
    s.met_start_ps = t.start_ps;
    s.met_end_ps = std::max(t.end_ps[pos], now);
    s.collective = &kept;
    s.met = true;
    wake(instance_index(a.rank, a.core), a.stream);
  }
  c.run.reset();
}

void TimedSystem::grant(uint32_t core, uint32_t stream) {
  Core& c = *m_cores[core];
  Stream& s = c.streams[stream];
  const isa::Instruction& in = c.program.streams[stream].instructions[s.at];
  const isa::InstrRef who{int32_t(stream), int32_t(s.at)};
  c.sems.consume(in.waits, [&](int32_t sem) {
    if (m_recorder.tracks_semaphores()) {
      m_recorder.on_semaphore(core, sem, c.sems.value(sem), who, s.executed);
    }
  });
  c.blocked_streams[stream / 64] &= ~(uint64_t{1} << (stream % 64));
  unwatch(c, stream);
  s.granted = true;
  wake(core, stream);
}

void TimedSystem::queue_retirement(uint32_t core, uint32_t stream, const Retirement& r) {
  RetireQueue& q = m_cores[core]->streams[stream].retiring;
  if (q.empty())
    post(Due{r.time_ps, Kind::kRetire, core, stream});
  q.push(r);
}

void TimedSystem::retire(uint32_t core, uint32_t stream, const Retirement& d) {
  const uint64_t now = m_now_ps;
  Core& c = *m_cores[core];
  const isa::Stream& st = c.program.streams[stream];
  const isa::Instruction& in = st.instructions[d.index];
  const isa::InstrRef who{int32_t(stream), int32_t(d.index)};
  const auto add = [&](int32_t sem, int64_t delta) {
    c.sems.add(sem, delta);
    if (delta > 0) {
      // The watchers whose condition now holds become candidates (and watch nothing until re-checked).
      const int64_t value = c.sems.value(sem);
      for (size_t w = 0; w < c.stream_words; ++w) {
        uint64_t& watchers = c.sem_waiters[size_t(sem) * c.stream_words + w];
        for (uint64_t bits = watchers; bits != 0; bits &= bits - 1) {
          const int b = std::countr_zero(bits);
          Stream& waiter = c.streams[w * 64 + size_t(b)];
          if (value >= waiter.watch_at_least) {
            waiter.watch_sem = -1;
            watchers &= ~(uint64_t{1} << b);
            c.candidates[w] |= uint64_t{1} << b;
          }
        }
      }
    }
    if (m_recorder.tracks_semaphores()) {
      m_recorder.on_semaphore(core, sem, c.sems.value(sem), who, d.seq);
    }
  };
  if (st.completion_sem >= 0 && in.counts) {
    add(st.completion_sem, 1);
  }
  if (c.traits->of(stream, d.index) & kSignal) {
    const auto& sig = std::get<isa::SemSignal>(in.op.get());
    add(sig.sem, sig.delta);
  }
  Stream& s = c.streams[stream];
  ++s.retired;
  if (s.wake_with_retire == d.seq) {
    s.wake_with_retire = kNoRetire;
    m_wakes.push_back({core, stream});
  }
  m_end_ps = std::max(m_end_ps, now);
  touch(core);
  m_recorder.on_retire(core, stream, d.index, now);
}

void TimedSystem::schedule() {
  try {
    const uint64_t now = m_now_ps;
    while (!m_due.empty() && m_due.top().time_ps <= now) {
      const Due d = m_due.top();
      if (d.kind() == Kind::kRetire) {
        RetireQueue& q = m_cores[d.core()]->streams[d.stream()].retiring;
        const Retirement r = q.front();
        q.pop();
        if (q.empty())
          m_due.pop();
        else  // the stream's next retirement, not before now: this loop takes it if it is due now
          m_due.replace_top(Due{q.front().time_ps, Kind::kRetire, d.core(), d.stream()});
        retire(d.core(), d.stream(), r);
      } else {
        m_due.pop();
        if (d.kind() == Kind::kCollective)
          advance_collective(d.collective(), now);
        else
          m_wakes.push_back({d.core(), d.stream()});
      }
    }
    // Wakes in (core, stream) order, after the retirements and collectives due now: the order a kWake Due
    // per stream would give them, including the streams their own retirement wakes.
    std::sort(m_wakes.begin(), m_wakes.end(), [](const Arrival& a, const Arrival& b) {
      return std::tie(a.core, a.stream) < std::tie(b.core, b.stream);
    });
    for (const Arrival& w : m_wakes)
      wake(w.core, w.stream);
    m_wakes.clear();
    if (!m_arrivals.empty()) {
      // Matched in (core, stream) order, whatever order the streams arrived in.
      std::sort(m_arrivals.begin(), m_arrivals.end(), [](const Arrival& a, const Arrival& b) {
        return std::tie(a.core, a.stream) < std::tie(b.core, b.stream);
      });
      std::vector<Arrival> arrivals;
      arrivals.swap(m_arrivals);
      for (const Arrival& a : arrivals) {
        Core& c = *m_cores[a.core];
        const sim::Rendezvous::Arrival arrival{c.place.rank, c.place.core, a.stream, c.streams[a.stream].at,
                                               &c.program};
        if (const auto m = m_meetings.arrive(arrival))
          complete(*m, now);
      }
    }
    if (!m_dma_requests.empty()) {
      std::sort(m_dma_requests.begin(), m_dma_requests.end(), [](const DmaRequest& a, const DmaRequest& b) {
        return std::tie(a.core, a.stream) < std::tie(b.core, b.stream);
      });
      if (m_perturbation.enabled())
        m_perturbation.shuffle(m_dma_requests);
      for (const DmaRequest& r : m_dma_requests) {
        Stream& s = m_cores[r.core]->streams[r.stream];
        const isa::Stream& queue = m_cores[r.core]->program.streams[r.stream];
        s.grant = m_cores[r.core]->dma.issue(now, *r.cost, queue.dge, queue.dge_trigger);
        wake(r.core, r.stream);
      }
      m_dma_requests.clear();
    }
    // In core order, as a scan over every core would visit them.
    std::sort(m_touched_cores.begin(), m_touched_cores.end());
    for (const uint32_t ci : m_touched_cores) {
      m_core_touched[ci] = 0;
      Core& c = *m_cores[ci];
      // In (core, stream) order: with consuming waits, the first waiter takes the count.
      for (size_t w = 0; w < c.candidates.size(); ++w) {
        const uint64_t candidates = c.candidates[w] & c.blocked_streams[w];
        c.candidates[w] = 0;
        for (uint64_t bits = candidates; bits != 0; bits &= bits - 1) {
          const uint32_t si = uint32_t(w * 64 + size_t(std::countr_zero(bits)));
          const isa::Instruction& in = c.program.streams[si].instructions[c.streams[si].at];
          if (can_start(c, in)) {
            grant(ci, si);
          } else if (c.streams[si].watch_sem < 0) {
            watch(c, si, in);
          }
        }
      }
    }
    m_touched_cores.clear();
    m_recorder.advance(now);
  } catch (...) {
    fail(std::current_exception());
  }
}

void TimedSystem::report_links(RunRecorder& recorder) const {
  if (!m_fabric)
    return;
  std::vector<LinkStats> links;
  for (uint32_t id : m_fabric->link_ids()) {
    const timing::BandwidthServer& l = m_fabric->link(id);
    if (l.bytes() > 0)
      links.push_back({m_fabric->link_name(id), l.bytes_per_ns(), l.bytes(), l.busy_ps()});
  }
  recorder.set_links(std::move(links));
}

void TimedSystem::check_finished() const {
  std::string blocked;
  for (uint32_t ci = 0; ci < m_cores.size(); ++ci) {
    const Core& c = *m_cores[ci];
    for (uint32_t si = 0; si < c.streams.size(); ++si) {
      const Stream& s = c.streams[si];
      const isa::Stream& st = c.program.streams[si];
      if (s.phase == Phase::kFinished && s.retired == s.executed) {
        continue;
      }
      blocked += "\n  " + core_prefix(ci) + isa::describe_instruction(c.program, si, s.at) + ":";
      const isa::Instruction& in = st.instructions[s.at];
      if (const std::string w = m_meetings.waiting_for(c.place.rank, c.place.core, si); !w.empty()) {
        blocked += " " + w;
        continue;
      }
      const char* sep = " ";
      for_each_condition(in, [&](const isa::SemCondition& w) {
        if (c.sems.satisfied(w)) {
          return;
        }
        blocked += std::string(sep) + "waits for semaphore '" + c.program.semaphores[w.sem].name + "' (" +
                   std::to_string(w.sem) + ") is " + std::to_string(c.sems.value(w.sem)) +
                   ", needs >= " + std::to_string(w.at_least);
        sep = "; ";
      });
    }
  }
  if (blocked.empty()) {
    return;
  }
  // Ranks with nothing left to run (a collective's missing member may simply have ended).
  if (m_multi_rank) {
    std::string done;
    for (size_t first = 0; first < m_cores.size(); first += m_cores_per_rank) {
      bool all = true;
      for (size_t ci = first; ci < first + m_cores_per_rank; ++ci) {
        for (const auto& s : m_cores[ci]->streams)
          all = all && s.phase == Phase::kFinished && s.retired == s.executed;
      }
      if (all)
        done += (done.empty() ? "" : ", ") + std::to_string(m_cores[first]->place.rank);
    }
    if (!done.empty())
      blocked += "\n  finished: rank " + done;
  }
  throw DeadlockError("deadlock at " + std::to_string(m_end_ps / 1000) +
                      " ns: no stream can progress; blocked:" + blocked);
}

}  // namespace tn::sc
