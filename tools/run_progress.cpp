#include "tools/run_progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace tn::cli {
namespace {

constexpr double kQuietSeconds = 2;      // runs shorter than this print nothing
constexpr double kLogEverySeconds = 10;  // off a terminal: one line this often
constexpr auto kRedraw = std::chrono::milliseconds(250);
constexpr const char* kPassNames[] = {"timed", "functional", "reference"};

std::string seconds_text(double s) {
  char text[32];
  if (s < 100)
    std::snprintf(text, sizeof text, "%.0f s", s);
  else
    std::snprintf(text, sizeof text, "%.0f min %02.0f s", std::floor(s / 60), std::fmod(s, 60));
  return text;
}

}  // namespace

RunProgress::RunProgress(bool enabled) : m_enabled(enabled), m_terminal(enabled && isatty(fileno(stderr))) {
  if (m_enabled)
    m_ticker = std::thread([this] { tick(); });
}

RunProgress::~RunProgress() {
  if (!m_enabled)
    return;
  {
    std::lock_guard lock(m_mutex);
    m_stop = true;
  }
  m_wake.notify_all();
  m_ticker.join();
  if (m_terminal && m_drawn)
    std::fprintf(stderr, "\n");
}

void RunProgress::phase(const std::string& what) {
  if (!m_enabled)
    return;
  std::lock_guard lock(m_mutex);
  m_phase = what;
}

void RunProgress::report(Pass pass, double fraction) {
  if (!m_enabled)
    return;
  PassState& p = m_passes[static_cast<size_t>(pass)];
  if (p.started_ns.load(std::memory_order_relaxed) == 0) {
    const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - m_start).count();
    int64_t unset = 0;
    p.started_ns.compare_exchange_strong(unset, std::max<int64_t>(1, now));
  }
  p.fraction.store(std::clamp(fraction, 0.0, 1.0), std::memory_order_relaxed);
}

std::string RunProgress::line(double elapsed_s) {
  std::string out = "  [" + seconds_text(elapsed_s) + "] ";
  {
    std::lock_guard lock(m_mutex);
    out += m_phase;
  }
  for (size_t i = 0; i < m_passes.size(); ++i) {
    const double f = m_passes[i].fraction.load(std::memory_order_relaxed);
    if (f < 0)
      continue;
    char text[64];
    // Floor, so that 99.9 % does not read as done.
    std::snprintf(text, sizeof text, " | %s %.0f%%", kPassNames[i], std::floor(100 * f));
    out += text;
    const double since = elapsed_s - double(m_passes[i].started_ns.load()) * 1e-9;
    // An estimate from under 2 % of the work, or a second of it, says little.
    if (f >= 0.02 && f < 1 && since >= 1)
      out += " ETA " + seconds_text(since * (1 - f) / f);
  }
  return out;
}

void RunProgress::tick() {
  double next_log = kLogEverySeconds;
  std::unique_lock lock(m_mutex);
  size_t drawn_width = 0;
  while (!m_wake.wait_for(lock, kRedraw, [this] { return m_stop; })) {
    const double elapsed = std::chrono::duration<double>(Clock::now() - m_start).count();
    if (elapsed < kQuietSeconds || (!m_terminal && elapsed < next_log))
      continue;
    lock.unlock();
    std::string text = line(elapsed);
    lock.lock();
    if (m_terminal) {
      const size_t width = text.size();
      text.append(drawn_width > width ? drawn_width - width : 0, ' ');  // clear a longer earlier line
      drawn_width = width;
      std::fprintf(stderr, "\r%s", text.c_str());
    } else {
      std::fprintf(stderr, "%s\n", text.c_str());
      next_log = elapsed + kLogEverySeconds;
    }
    std::fflush(stderr);
    m_drawn = true;
  }
}

}  // namespace tn::cli
