// A pool of child processes, each running one config and reporting its verdict as JSON
// ({"verdict", "line", "message"}) through a pipe: SystemC cannot be restarted within a process
// (simulator-design-notes.md §2.7), so every timed run gets a fresh one. A child is either a fork of this
// process that runs the config in place (what `trnsim check` and a local `trnsim sweep` do: no exec, no
// start-up cost), or a fresh `trnsim _point` exec'd with posix_spawn, for a process that must not do
// work in a fork of itself (an MPI rank: see tools/sweep_mpi_main.cpp). Holds no simulation code, so the
// MPI helper links it without SystemC.
#pragma once
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tools/junit_report.hpp"

namespace tn::cli {

struct ChildJob {
  std::string config;   // the run config's path
  std::string out_dir;  // "" : the run writes nothing
  // RunRequest::max_memory_bytes (0: the machine's available memory). Forked children only: a spawned
  // `trnsim _point` child (the MPI sweep) judges by its own machine's.
  double max_memory_bytes = 0;
};

// The internal command a spawned child runs, `trnsim _point CONFIG OUT_DIR PARENT_PID` ("" for no folder;
// the child dies with PARENT_PID, the spawning process), and the descriptor it writes its report to
// (stdout and stderr stay the user's).
inline constexpr const char* kPointCommand = "_point";
inline constexpr int kReportFd = 3;

// Writes all of `text` to fd (retrying short writes and EINTR); false if the descriptor fails.
bool write_all(int fd, const std::string& text);

class ChildPool {
 public:
  // What a forked child writes to its pipe for a job: the report's JSON text.
  using InChild = std::function<std::string(const ChildJob&)>;

  // Children that are forks of this process, calling in_child(job).
  static ChildPool forking(int parallel, double timeout_s, InChild in_child);
  // Children that run `trnsim_exe _point CONFIG OUT_DIR`, started with posix_spawn (no fork handlers run
  // in this process, and nothing of it runs in the child).
  static ChildPool spawning(int parallel, double timeout_s, std::string trnsim_exe);

  ChildPool(ChildPool&&) = default;
  ChildPool& operator=(ChildPool&&) = delete;
  // Kills and reaps the children still running (an error is unwinding past the pool).
  ~ChildPool();

  bool has_room() const { return m_running.size() < m_parallel; }
  bool empty() const { return m_running.empty(); }
  // Starts `item` (a number the caller chooses, handed back by wait). Needs has_room().
  void start(size_t item, const ChildJob& job);
  // Waits until a child ends or times out, or wait_ms passes (-1: until one ends; returns at once when
  // none runs and wait_ms is -1), and returns the items that ended with their results. A child still
  // running after timeout_s (0: no limit) is killed and reported as an ERROR, as is one that crashes or
  // exits without a report.
  std::vector<std::pair<size_t, CheckResult>> wait(int wait_ms);

 private:
  using Clock = std::chrono::steady_clock;
  struct Child {
    size_t item = 0;
    std::string config;
    pid_t pid = -1;
    int fd = -1;
    std::string report;
    Clock::time_point start;
  };
  ChildPool(int parallel, double timeout_s, InChild in_child, std::string trnsim_exe);
  Child fork_child(size_t item, const ChildJob& job) const;
  Child spawn_child(size_t item, const ChildJob& job) const;
  CheckResult reap(Child& c) const;

  size_t m_parallel;
  double m_timeout_s;
  InChild m_in_child;        // forking pools
  std::string m_trnsim_exe;  // spawning pools
  std::vector<Child> m_running;
};

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
