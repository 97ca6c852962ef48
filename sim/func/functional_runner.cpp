#include "sim/func/functional_runner.hpp"

#include <algorithm>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <variant>

#include "sim/func/executor.hpp"
#include "sim/func/semaphores.hpp"

namespace tn::sim {

namespace {

// One NeuronCore: its memory, semaphores, executor and each stream's next instruction. Held by pointer
// because the executor refers to `state`.
struct Core {
  Core(const isa::Program& p, Hbm& hbm, const isa::MemoryLimits& limits)
      : program(p), state(limits), sems(p), exec(p, state, hbm), next(p.streams.size(), 0) {}
  const isa::Program& program;
  CoreState state;
  Semaphores sems;
  Executor exec;
  std::vector<size_t> next;
};

struct StreamRef {
  size_t core;
  size_t stream;
};

std::string core_prefix(size_t cores, size_t core) {
  return cores > 1 ? "core " + std::to_string(core) + ": " : "";
}

// Semaphore ids index Semaphores' vector unchecked; a bad id is reported here, before anything runs.
void check_semaphore_ids(const isa::Program& p, const std::string& prefix) {
  const auto bad = [&](int32_t sem) { return sem < 0 || sem >= static_cast<int32_t>(p.semaphores.size()); };
  for (size_t s = 0; s < p.streams.size(); ++s) {
    const isa::Stream& st = p.streams[s];
    // A stream without a completion semaphore (-1) simply signals nothing when instructions retire.
    if (st.completion_sem >= static_cast<int32_t>(p.semaphores.size())) {
      throw ExecutionError(prefix + "stream " + st.name + ": completion semaphore " +
                           std::to_string(st.completion_sem) + " does not exist");
    }
    for (size_t i = 0; i < st.instructions.size(); ++i) {
      const isa::Instruction& in = st.instructions[i];
      std::vector<int32_t> ids;
      for (const auto& w : in.waits) {
        ids.push_back(w.sem);
      }
      if (const auto* sig = std::get_if<isa::SemSignal>(&in.op)) {
        ids.push_back(sig->sem);
      }
      if (const auto* wait = std::get_if<isa::SemWait>(&in.op)) {
        ids.push_back(wait->sem);
      }
      for (int32_t id : ids) {
        if (bad(id)) {
          throw ExecutionError(prefix + isa::describe_instruction(p, s, i) + ": semaphore " +
                               std::to_string(id) + " does not exist");
        }
      }
    }
  }
}

// The instruction's own condition, for sem_wait; the runner treats it like one more wait.
const isa::SemWait* sem_wait_of(const isa::Instruction& in) { return std::get_if<isa::SemWait>(&in.op); }

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
  if (const auto* sig = std::get_if<isa::SemSignal>(&in.op)) {
    c.sems.add(sig->sem, sig->delta);
  }
}

std::string unmet(const Core& c, int32_t sem, int64_t at_least) {
  return "semaphore '" + c.program.semaphores[sem].name + "' (" + std::to_string(sem) + ") is " +
         std::to_string(c.sems.value(sem)) + ", needs >= " + std::to_string(at_least);
}

// Lists every blocked stream in program order, whatever order the schedule visited them in.
[[noreturn]] void report_deadlock(const std::vector<std::unique_ptr<Core>>& cores) {
  std::string msg = "deadlock: no stream can progress; blocked:";
  std::vector<StreamRef> streams;
  for (size_t core = 0; core < cores.size(); ++core) {
    for (size_t s = 0; s < cores[core]->program.streams.size(); ++s) {
      streams.push_back({core, s});
    }
  }
  for (const StreamRef& r : streams) {
    const Core& c = *cores[r.core];
    const isa::Stream& st = c.program.streams[r.stream];
    const size_t i = c.next[r.stream];
    if (i >= st.instructions.size()) {
      continue;
    }
    const isa::Instruction& in = st.instructions[i];
    msg +=
        "\n  " + core_prefix(cores.size(), r.core) + isa::describe_instruction(c.program, r.stream, i) + ":";
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
  throw ExecutionError(msg);
}

}  // namespace

FunctionalResult run_functional(const std::vector<const isa::Program*>& programs, Hbm& hbm,
                                const isa::MemoryLimits& limits) {
  return run_functional(programs, hbm, limits, FunctionalOptions{});
}

FunctionalResult run_functional(const std::vector<const isa::Program*>& programs, Hbm& hbm,
                                const isa::MemoryLimits& limits, const FunctionalOptions& options) {
  std::vector<std::unique_ptr<Core>> cores;
  std::vector<StreamRef> streams;
  // Every program binds its tensors before any runs, so outputs one core writes exist for the others.
  for (size_t c = 0; c < programs.size(); ++c) {
    check_semaphore_ids(*programs[c], core_prefix(programs.size(), c));
    cores.push_back(std::make_unique<Core>(*programs[c], hbm, limits));
    for (size_t s = 0; s < programs[c]->streams.size(); ++s) {
      streams.push_back({c, s});
    }
  }
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
  while (!all_finished()) {
    if (shuffled) {
      std::shuffle(streams.begin(), streams.end(), rng);
    }
    uint64_t progressed = 0;
    for (const StreamRef& r : streams) {
      Core& c = *cores[r.core];
      const isa::Stream& st = c.program.streams[r.stream];
      size_t& next = c.next[r.stream];
      uint64_t budget = shuffled ? 1 + rng() % 4 : std::numeric_limits<uint64_t>::max();
      for (; budget > 0 && next < st.instructions.size(); --budget) {
        const isa::Instruction& in = st.instructions[next];
        if (!ready(c, in)) {
          break;
        }
        if (result.instructions_executed + progressed >= options.max_instructions) {
          throw ExecutionError(core_prefix(cores.size(), r.core) +
                               isa::describe_instruction(c.program, r.stream, next) +
                               ": instruction budget exhausted: " + std::to_string(options.max_instructions) +
                               " instructions executed (a loop that never ends?)");
        }
        c.sems.consume(in.waits);
        size_t after = 0;
        try {
          after = c.exec.execute(r.stream, next);
        } catch (const ExecutionError& e) {
          throw ExecutionError(core_prefix(cores.size(), r.core) + e.what());
        }
        retire(c, st, in);
        next = after;
        ++progressed;
      }
    }
    if (progressed == 0) {
      report_deadlock(cores);
    }
    result.instructions_executed += progressed;
  }
  return result;
}

}  // namespace tn::sim
