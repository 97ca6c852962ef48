// Progress of one `trnsim run` on stderr: what the run is doing, how far each concurrent pass (timed,
// functional, reference) has come and when it should end. Silent for runs shorter than a couple of seconds.
// On a terminal one line is redrawn four times a second; otherwise (a CI log) a line is written every ten
// seconds. Passes report from any thread.
#pragma once
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace tn::cli {

class RunProgress {
 public:
  enum class Pass { kTimed, kFunctional, kReference };

  explicit RunProgress(bool enabled);
  ~RunProgress();  // ends the line it drew
  RunProgress(const RunProgress&) = delete;
  RunProgress& operator=(const RunProgress&) = delete;

  // What the run's own thread does now ("building the program", "simulating", ...).
  void phase(const std::string& what);
  // How far `pass` has come, in [0, 1]; its first report starts its clock (for the ETA).
  void report(Pass pass, double fraction);

  // The status line at `elapsed` seconds (exposed for tests).
  std::string line(double elapsed_s);

 private:
  using Clock = std::chrono::steady_clock;
  struct PassState {
    std::atomic<double> fraction{-1};  // < 0: not started
    std::atomic<int64_t> started_ns{0};
  };
  void tick();

  const bool m_enabled, m_terminal;
  const Clock::time_point m_start = Clock::now();
  std::array<PassState, 3> m_passes;
  std::mutex m_mutex;  // guards m_phase, m_stop, m_drawn
  std::condition_variable m_wake;
  std::string m_phase = "starting";
  bool m_stop = false, m_drawn = false;
  std::thread m_ticker;
};

}  // namespace tn::cli
