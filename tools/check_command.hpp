// `trnsim check`: runs many configs, each in its own process, and reports per config whether numbers were
// compared and matched (PASS), compared and did not (FAIL), could not run (ERROR) or compared nothing
// (SKIP: timing_only, or "check_numerics": false), with a closing count; optionally in parallel, as JUnit
// XML, and keeping the run folders of the configs that did not pass.
#pragma once
#include <string>
#include <vector>

namespace tn::cli {

struct CheckOptions {
  std::vector<std::string> paths;  // config files, or folders searched for *.json
  double timeout_s = 900;          // per config; 0: none
  int jobs = 1;                    // configs run at once
  std::string junit;               // "": no JUnit report
  std::string keep;                // "": keep nothing; else the folder for failing configs' run folders
  double max_memory_bytes = 0;     // each run's (RunRequest::max_memory_bytes); 0: the available memory
};

// Prints a line per config (in the order found, whatever -j) and "N passed, M failed, K skipped" (errors
// counted as failed) to stdout. Returns the exit code: 0 when nothing failed and something was compared.
int run_check(const CheckOptions& options);

}  // namespace tn::cli
