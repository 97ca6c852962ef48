// Runs configs in child processes, a few at once: SystemC cannot be restarted within a process
// (simulator-design-notes.md §2.7), so each timed run gets a fresh one, which reports its verdict through a
// pipe. `trnsim check` and `trnsim sweep` share it.
#pragma once
#include <functional>
#include <optional>
#include <string>

#include "tools/junit_report.hpp"

namespace tn::cli {

struct ChildJob {
  std::string config;   // the run config's path
  std::string out_dir;  // "" : the run writes nothing
};

// Runs jobs 0 .. count-1 (job(i) says what each runs), at most `parallel` at once, calling done(i, result)
// in this process as each ends, in any order. A child still running after timeout_s (0: no limit) is killed
// and reported as an ERROR, as is one that crashes or exits without a report. A config that runs gets PASS
// (numbers compared and within tolerance), FAIL, SKIP (nothing compared) or ERROR (refused, or failed).
void run_in_children(size_t count, int parallel, double timeout_s, const std::function<ChildJob(size_t)>& job,
                     const std::function<void(size_t, CheckResult)>& done);

const char* verdict_name(CheckVerdict v);
std::optional<CheckVerdict> verdict_named(const std::string& name);  // nullopt for an unknown name

// The one-line report `check` and `sweep` print: the verdict padded to 6, `label`, the result's line on
// one line, and its wall time with `note` ("  [1.23 s]", "  [1.23 s, done before]").
std::string result_line(const std::string& label, const CheckResult& r, const std::string& note = "");

// How many results passed, failed (errors included) and compared nothing.
struct VerdictCounts {
  size_t passed = 0, failed = 0, skipped = 0;
  void add(CheckVerdict v) {
    passed += v == CheckVerdict::kPass;
    failed += v == CheckVerdict::kFail || v == CheckVerdict::kError;
    skipped += v == CheckVerdict::kSkip;
  }
};

}  // namespace tn::cli
