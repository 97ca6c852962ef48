// `trnsim run`: one run config, end to end: build and validate the kernel's programs, draw or load its
// inputs, simulate (functional, timing or both), write the outputs, check them against the float64
// reference, and write summary.json and the trace.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace tn::cli {

struct RunRequest {
  std::string config;
  std::string out_dir;        // empty: write nothing (trnsim check)
  std::string mode_override;  // "", or a RunMode name
  bool trace_json = false;    // also write trace.json
  bool progress = true;       // progress bar on stderr for long runs (when stderr is a terminal)
  // Non-zero: the timed pass runs a schedule perturbed with this seed (sc::SchedulePerturbation), and its
  // outputs must equal the functional pass's (mode both only).
  uint64_t perturb_schedule_seed = 0;
  // The memory the run may use, in bytes (--max-memory); 0: MemAvailable of /proc/meminfo. A run whose
  // estimate (tools/run_estimate.hpp) exceeds it is refused before its program is built.
  double max_memory_bytes = 0;
};

struct RunOutcome {
  nlohmann::json summary;
  bool passed = false;               // numerics passed (or were not checked), or an expected failure happened
  bool compared = false;             // numbers were compared with the reference, or the expected failure seen
  std::string not_compared;          // when !compared: why nothing was compared (for `check`'s SKIP line)
  std::string headline;              // one line for `trnsim check`
  std::vector<std::string> written;  // what the run wrote into its output folder ("inputs/" for a folder)
};

// Throws ConfigError / ValidationError / ExecutionError / ... with a message naming what went wrong.
RunOutcome run_one(const RunRequest& request);

}  // namespace tn::cli
