// Runs configs in child processes, a few at once (tools/child_pool.hpp): each child reports its verdict
// through a pipe. `trnsim check` and a local `trnsim sweep` run their configs in forks of themselves; the
// MPI sweep's ranks spawn `trnsim _point` children, which run the same report.
#pragma once
#include <functional>
#include <string>

#include "tools/child_pool.hpp"

namespace tn::cli {

// Runs jobs 0 .. count-1 (job(i) says what each runs), at most `parallel` at once, calling done(i, result)
// in this process as each ends, in any order. A child still running after timeout_s (0: no limit) is killed
// and reported as an ERROR, as is one that crashes or exits without a report. A config that runs gets PASS
// (numbers compared and within tolerance), FAIL, SKIP (nothing compared) or ERROR (refused, or failed).
void run_in_children(size_t count, int parallel, double timeout_s, const std::function<ChildJob(size_t)>& job,
                     const std::function<void(size_t, CheckResult)>& done);

// What one config's child reports on its pipe, as JSON text: {"verdict", "line", "message"}. Runs the
// config in this process (so at most once per process: SystemC).
std::string run_report(const std::string& config, const std::string& out_dir, double max_memory_bytes = 0);

}  // namespace tn::cli
