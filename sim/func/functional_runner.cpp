#include "sim/func/functional_runner.hpp"

#include <algorithm>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <variant>

#include "isa/operands.hpp"
#include "sim/func/collectives.hpp"
#include "sim/func/executor.hpp"
#include "sim/func/rendezvous.hpp"
#include "sim/func/semaphore_ids.hpp"
#include "sim/func/semaphores.hpp"

namespace tn::sim {

namespace {

// One NeuronCore of one rank: its memory, semaphores, executor and each stream's next instruction. Held by
// pointer because the executor refers to `state`.
struct Core {
  Core(const isa::Program& p, Hbm& hbm, const isa::MemoryLimits& limits, uint32_t rank_, uint32_t core_)
      : program(p),
        rank(rank_),
        core(core_),
        state(limits),
        sems(p),
        exec(p, state, hbm, rank_),
        next(p.streams.size(), 0),
        arrived(p.streams.size(), 0) {}
  const isa::Program& program;
  uint32_t rank, core;
  CoreState state;
  Semaphores sems;
  Executor exec;
  std::vector<size_t> next;
  std::vector<uint8_t> arrived;  // the stream's next instruction waits at a collective or core barrier
};

struct StreamRef {
  size_t core;
  size_t stream;
};

// "rank 2 core 1: " with several ranks (the core only at LNC2), "core 1: " with several cores of one rank.
struct Naming {
  size_t ranks, cores;
  std::string prefix(const Core& c) const {
    if (ranks > 1)
      return "rank " + std::to_string(c.rank) + (cores > 1 ? " core " + std::to_string(c.core) : "") + ": ";
    return cores > 1 ? "core " + std::to_string(c.core) + ": " : "";
  }
};

std::string core_prefix(size_t cores, size_t core) {
  return cores > 1 ? "core " + std::to_string(core) + ": " : "";
}

// The instruction's own condition, for sem_wait; the runner treats it like one more wait.
const isa::SemWait* sem_wait_of(const isa::Instruction& in) {
  return std::get_if<isa::SemWait>(&in.op.get());
}

bool ready(const Core& c, const isa::Instruction& in) {
  if (!c.sems.all_satisfied(in.waits)) {
    return false;
  }
  const isa::SemWait* w = sem_wait_of(in);
  return !w || c.sems.value(w->sem) >= w->at_least;
}

// Whether the stream has run past its last instruction.
bool finished(const Core& c, size_t stream) {
  return c.next[stream] >= c.program.streams[stream].instructions.size();
}

// Retirement (isa/program.hpp): the stream's completion semaphore counts the instruction (unless it is
// marked not to, inside a runtime loop); sem_signal
// also adds its delta.
void retire(Core& c, const isa::Stream& st, const isa::Instruction& in) {
  if (st.completion_sem >= 0 && in.counts) {
    c.sems.add(st.completion_sem, 1);
  }
  if (const auto* sig = std::get_if<isa::SemSignal>(&in.op.get())) {
    c.sems.add(sig->sem, sig->delta);
  }
}

std::string unmet(const Core& c, int32_t sem, int64_t at_least) {
  return "semaphore '" + c.program.semaphores[sem].name + "' (" + std::to_string(sem) + ") is " +
         std::to_string(c.sems.value(sem)) + ", needs >= " + std::to_string(at_least);
}

// Lists every blocked stream in program order, whatever order the schedule visited them in.
[[noreturn]] void report_deadlock(const std::vector<std::unique_ptr<Core>>& cores, const Naming& naming,
                                  const Rendezvous& meetings) {
  std::string msg = "deadlock: no stream can progress; blocked:";
  for (const auto& cp : cores) {
    const Core& c = *cp;
    for (size_t s = 0; s < c.program.streams.size(); ++s) {
      const isa::Stream& st = c.program.streams[s];
      const size_t i = c.next[s];
      if (i >= st.instructions.size()) {
        continue;
      }
      const isa::Instruction& in = st.instructions[i];
      msg += "\n  " + naming.prefix(c) + isa::describe_instruction(c.program, s, i) + ":";
      if (c.arrived[s]) {
        msg += " " + meetings.waiting_for(c.rank, c.core, uint32_t(s));
        continue;
      }
      const char* sep = " ";
      for (const auto& w : in.waits) {
        if (!c.sems.satisfied(w)) {
          msg += sep + ("waits for " + unmet(c, w.sem, w.at_least));
          sep = "; ";
        }
      }
      if (const isa::SemWait* w = sem_wait_of(in); w && c.sems.value(w->sem) < w->at_least) {
        msg += sep + ("sem_wait on " + unmet(c, w->sem, w->at_least));
      }
    }
  }
  // Ranks with nothing left to run (a collective's missing member may simply have ended).
  if (naming.ranks > 1) {
    std::string done;
    for (size_t r = 0; r < naming.ranks; ++r) {
      bool all = true;
      for (size_t c = 0; c < naming.cores; ++c) {
        const Core& core = *cores[r * naming.cores + c];
        for (size_t s = 0; s < core.program.streams.size(); ++s)
          all = all && finished(core, s);
      }
      if (all)
        done += (done.empty() ? "" : ", ") + std::to_string(r);
    }
    if (!done.empty())
      msg += "\n  finished: rank " + done;
  }
  throw ExecutionError(msg);
}

bool meets(const isa::Operation& op) {
  return is_collective(op) || std::holds_alternative<isa::CoreBarrier>(op);
}

// Moves a complete meeting's data (collectives) and retires every member's instruction.
void complete_meeting(const Rendezvous::Meeting& m, std::vector<std::unique_ptr<Core>>& cores,
                      size_t cores_per_rank, const Rendezvous& meetings, uint64_t& executed) {
  const auto instance = [&](const Rendezvous::Arrival& a) -> Core& {
    return *cores[a.rank * cores_per_rank + a.core];
  };
  if (!m.barrier) {
    std::vector<CollectiveMember> members;
    for (const Rendezvous::Arrival& a : m.arrivals) {
      if (cores_per_rank > 1)
        check_collective_shared(a, meetings);
      if (a.core == 0)
        members.push_back({a.rank, &instance(a).exec, &a.op()});
    }
    try {
      run_collective(members);
    } catch (const InstructionFault& e) {
      throw ExecutionError(meetings.describe(m.arrivals.front()) + ": " + e.what());
    }
  }
  for (const Rendezvous::Arrival& a : m.arrivals) {
    Core& c = instance(a);
    retire(c, c.program.streams[a.stream], c.program.streams[a.stream].instructions[a.index]);
    c.next[a.stream] = a.index + 1;
    c.arrived[a.stream] = 0;
    ++executed;
  }
}

}  // namespace

FunctionalResult run_functional(const std::vector<const isa::Program*>& programs, Hbm& hbm,
                                const isa::MemoryLimits& limits) {
  return run_functional(programs, hbm, limits, FunctionalOptions{});
}

FunctionalResult run_functional(const std::vector<const isa::Program*>& programs, Hbm& hbm,
                                const isa::MemoryLimits& limits, const FunctionalOptions& options) {
  return run_functional_ranks(programs, {&hbm}, limits, options);
}

FunctionalResult run_functional_ranks(const std::vector<const isa::Program*>& programs,
                                      const std::vector<Hbm*>& rank_hbm, const isa::MemoryLimits& limits,
                                      const FunctionalOptions& options) {
  const Naming naming{rank_hbm.size(), programs.size()};
  std::vector<std::unique_ptr<Core>> cores;
  std::vector<StreamRef> streams;
  for (size_t c = 0; c < programs.size(); ++c) {
    check_semaphore_ids(*programs[c], core_prefix(programs.size(), c));
  }
  // Every program binds its tensors before any runs, so outputs one core writes exist for the others.
  for (uint32_t r = 0; r < rank_hbm.size(); ++r) {
    for (uint32_t c = 0; c < programs.size(); ++c) {
      cores.push_back(std::make_unique<Core>(*programs[c], *rank_hbm[r], limits, r, c));
      if (options.execution_log)
        cores.back()->exec.log_to(options.execution_log, c);
      for (size_t s = 0; s < programs[c]->streams.size(); ++s) {
        streams.push_back({cores.size() - 1, s});
      }
    }
  }
  Rendezvous meetings(uint32_t(programs.size()));
  const auto all_finished = [&] {
    for (const StreamRef& r : streams) {
      if (!finished(*cores[r.core], r.stream)) {
        return false;
      }
    }
    return true;
  };

  std::mt19937_64 rng(options.schedule_seed);
  const bool shuffled = options.schedule_seed != 0;
  FunctionalResult result;
  uint64_t total = 0, next_progress = 0;
  for (const auto& core : cores)
    total += core->program.num_instructions();
  while (!all_finished()) {
    if (options.progress && result.instructions_executed >= next_progress) {
      options.progress(
          std::min(0.999, double(result.instructions_executed) / double(std::max<uint64_t>(total, 1))));
      next_progress = result.instructions_executed + std::max<uint64_t>(total / 100, 1);
    }
    if (shuffled) {
      std::shuffle(streams.begin(), streams.end(), rng);
    }
    uint64_t progressed = 0;
    for (const StreamRef& r : streams) {
      Core& c = *cores[r.core];
      const isa::Stream& st = c.program.streams[r.stream];
      size_t& next = c.next[r.stream];
      uint64_t budget = shuffled ? 1 + rng() % 4 : std::numeric_limits<uint64_t>::max();
      for (; budget > 0 && next < st.instructions.size() && !c.arrived[r.stream]; --budget) {
        const isa::Instruction& in = st.instructions[next];
        if (!ready(c, in)) {
          break;
        }
        if (result.instructions_executed + progressed >= options.max_instructions) {
          throw ExecutionError(naming.prefix(c) + isa::describe_instruction(c.program, r.stream, next) +
                               ": instruction budget exhausted: " + std::to_string(options.max_instructions) +
                               " instructions executed (a loop that never ends?)");
        }
        c.sems.consume(in.waits);
        if (meets(in.op.get())) {
          // Waits here until every member arrived; the last arrival moves the data and retires them all.
          c.arrived[r.stream] = 1;
          const Rendezvous::Arrival a{c.rank, c.core, uint32_t(r.stream), uint32_t(next), &c.program};
          if (const auto m = meetings.arrive(a)) {
            uint64_t retired = 0;
            complete_meeting(*m, cores, programs.size(), meetings, retired);
            progressed += retired;
          } else {
            ++progressed;  // an arrival is progress: the meeting's state changed
          }
          continue;
        }
        size_t after = 0;
        try {
          after = c.exec.execute(r.stream, next);
        } catch (const ExecutionError& e) {
          throw ExecutionError(naming.prefix(c) + e.what());
        }
        retire(c, st, in);
        next = after;
        ++progressed;
      }
    }
    if (progressed == 0) {
      report_deadlock(cores, naming, meetings);
    }
    result.instructions_executed += progressed;
  }
  if (options.progress)
    options.progress(1.0);
  return result;
}

}  // namespace tn::sim
