#include "sim/sc/timed_run.hpp"

#include <atomic>
#include <stdexcept>

#include "sim/sc/run_recorder.hpp"
#include "sim/sc/timed_system.hpp"

namespace tn::sc {

TimedRunResult run_timed(const std::vector<const isa::Program*>& programs, sim::Hbm& hbm,
                         const timing::HwConfig& hw, trace::TraceSink& sink, const TimedRunOptions& options) {
  TimedLaunch one;
  one.rank_hbm = {&hbm};
  return run_timed(programs, one, hw, sink, options);
}

TimedRunResult run_timed(const std::vector<const isa::Program*>& programs, const TimedLaunch& launch,
                         const timing::HwConfig& hw, trace::TraceSink& sink, const TimedRunOptions& options) {
  static std::atomic<bool> called{false};
  if (called.exchange(true)) {
    throw std::logic_error(
        "run_timed: the SystemC kernel cannot be restarted, so run_timed may be called once per process");
  }
  if (sc_core::sc_get_status() != sc_core::SC_ELABORATION) {
    throw std::logic_error("run_timed: SystemC was already started in this process");
  }
  if (sc_core::sc_get_time_resolution() != sc_core::sc_time(1, sc_core::SC_PS)) {
    throw std::logic_error("run_timed: the SystemC time resolution must be 1 ps");
  }
  if (launch.rank_hbm.empty())
    throw std::invalid_argument("run_timed: a launch needs at least one rank");
  RunRecorder recorder(TimedSystem::instances(programs, launch), launch.rank_hbm.size() > 1, hw, sink,
                       options);
  // Never destroyed: SystemC keeps pointers to its processes and events until the process exits, and the
  // kernel cannot run again anyway.
  auto* system = new TimedSystem("trnsim", programs, launch, hw, recorder, options.execute_numerics,
                                 options.value_slice ? *options.value_slice : sim::ValueSlice{},
                                 options.max_instructions, options.perturb_schedule_seed);
  if (options.execution_log)
    system->log_executions(options.execution_log);
  try {
    sc_core::sc_start();
  } catch (const sc_core::sc_report& r) {
    if (!system->error()) {
      throw std::runtime_error(std::string("SystemC: ") + r.what());
    }
  }
  if (system->error()) {
    std::rethrow_exception(system->error());
  }
  system->check_finished();
  system->report_links(recorder);
  return recorder.finish(system->end_ps());
}

}  // namespace tn::sc
