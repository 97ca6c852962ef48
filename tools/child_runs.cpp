#include "tools/child_runs.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "tools/run_pipeline.hpp"

namespace tn::cli {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

// What one config's process reports on its pipe: {"verdict", "line", "message"}.
json report_of(const std::string& config, const std::string& out_dir) {
  try {
    RunRequest req;
    req.config = config;
    req.out_dir = out_dir;
    req.progress = false;
    const RunOutcome o = run_one(req);
    if (!o.passed) {
      // Each failing output's one-line verdict: its mismatch count and worst element.
      std::string message;
      for (const auto& [name, r] : o.summary["numerics"]["outputs"].items()) {
        if (!r["passed"].get<bool>())
          message += (message.empty() ? "" : "; ") + name + ": " + r["detail"].get<std::string>();
      }
      return {
          {"verdict", "FAIL"}, {"line", o.headline + "  numerics FAIL: " + message}, {"message", message}};
    }
    if (!o.compared) {
      const std::string why = "nothing compared: " + o.not_compared;
      return {{"verdict", "SKIP"}, {"line", o.headline + "  " + why}, {"message", why}};
    }
    return {{"verdict", "PASS"}, {"line", o.headline}, {"message", ""}};
  } catch (const std::exception& e) {
    return {{"verdict", "ERROR"}, {"line", e.what()}, {"message", e.what()}};
  }
}

struct Child {
  size_t item = 0;
  pid_t pid = -1;
  int fd = -1;
  std::string report;
  Clock::time_point start;
};

Child start_child(size_t item, const std::string& config, const std::string& out_dir) {
  int fds[2];
  if (pipe(fds) != 0)
    throw std::runtime_error("pipe failed: " + std::string(std::strerror(errno)));
  std::fflush(nullptr);
  std::cout.flush();
  const pid_t pid = fork();
  if (pid < 0)
    throw std::runtime_error("fork failed: " + std::string(std::strerror(errno)));
  if (pid == 0) {
    close(fds[0]);
    const std::string text = report_of(config, out_dir).dump();
    for (size_t done = 0; done < text.size();) {
      const ssize_t n = write(fds[1], text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      done += size_t(n);
    }
    close(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  return Child{item, pid, fds[0], {}, Clock::now()};
}

// The result of a child whose pipe has closed: its report, or how it died.
CheckResult reap(Child& c, const std::string& config) {
  close(c.fd);
  int status = 0;
  while (waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
  }
  CheckResult r;
  r.config = config;
  r.seconds = std::chrono::duration<double>(Clock::now() - c.start).count();
  if (WIFSIGNALED(status)) {
    r.verdict = CheckVerdict::kError;
    r.line = r.message = "crashed with signal " + std::to_string(WTERMSIG(status));
    return r;
  }
  const json report = json::parse(c.report, nullptr, false);
  const auto verdict = report.is_object() && report.contains("verdict") && report["verdict"].is_string()
                           ? verdict_named(report["verdict"].get<std::string>())
                           : std::nullopt;
  if (!verdict) {
    r.verdict = CheckVerdict::kError;
    r.line = r.message = "exited (status " + std::to_string(WEXITSTATUS(status)) + ") without a report";
    return r;
  }
  r.verdict = *verdict;
  r.line = report.value("line", "");
  r.message = report.value("message", "");
  return r;
}

}  // namespace

const char* verdict_name(CheckVerdict v) {
  switch (v) {
    case CheckVerdict::kPass:
      return "PASS";
    case CheckVerdict::kFail:
      return "FAIL";
    case CheckVerdict::kError:
      return "ERROR";
    case CheckVerdict::kSkip:
      return "SKIP";
  }
  return "ERROR";
}

std::optional<CheckVerdict> verdict_named(const std::string& name) {
  for (CheckVerdict v :
       {CheckVerdict::kPass, CheckVerdict::kFail, CheckVerdict::kError, CheckVerdict::kSkip}) {
    if (name == verdict_name(v))
      return v;
  }
  return std::nullopt;
}

std::string result_line(const std::string& label, const CheckResult& r, const std::string& note) {
  std::string line = r.line;
  std::replace(line.begin(), line.end(), '\n', ' ');
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.2f s", r.seconds);
  const std::string verdict = verdict_name(r.verdict);
  return verdict + std::string(6 - verdict.size(), ' ') + label + "  " + line + "  [" + seconds + note + "]";
}

void run_in_children(size_t count, int parallel, double timeout_s, const std::function<ChildJob(size_t)>& job,
                     const std::function<void(size_t, CheckResult)>& done) {
  const size_t at_once = size_t(std::max(1, parallel));
  const auto timeout = std::chrono::duration<double>(timeout_s);
  std::vector<Child> running;
  std::vector<std::string> configs(count);
  size_t next = 0;
  while (next < count || !running.empty()) {
    while (running.size() < at_once && next < count) {
      const ChildJob j = job(next);
      configs[next] = j.config;
      running.push_back(start_child(next, j.config, j.out_dir));
      ++next;
    }
    // Wait for a report to arrive, a child to finish, or the nearest deadline.
    int wait_ms = -1;
    if (timeout_s > 0) {
      Clock::time_point nearest = Clock::time_point::max();
      for (const Child& c : running)
        nearest = std::min(nearest, c.start + std::chrono::duration_cast<Clock::duration>(timeout));
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(nearest - Clock::now()).count();
      wait_ms = int(std::clamp<int64_t>(left + 1, 0, 1000 * 1000));
    }
    std::vector<pollfd> fds;
    for (const Child& c : running)
      fds.push_back({c.fd, POLLIN, 0});
    if (poll(fds.data(), fds.size(), wait_ms) < 0 && errno != EINTR)
      throw std::runtime_error("poll failed: " + std::string(std::strerror(errno)));
    for (size_t i = running.size(); i-- > 0;) {
      Child& c = running[i];
      bool finished = false;
      if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
        char buf[4096];
        const ssize_t n = read(c.fd, buf, sizeof buf);
        if (n > 0)
          c.report.append(buf, size_t(n));
        else if (n == 0 || errno != EINTR)
          finished = true;
      }
      if (finished) {
        done(c.item, reap(c, configs[c.item]));
      } else if (timeout_s > 0 && Clock::now() - c.start >= timeout) {
        kill(c.pid, SIGKILL);
        reap(c, configs[c.item]);
        std::ostringstream msg;
        msg << "timed out after " << timeout_s << " s (killed; --timeout sets the limit)";
        done(c.item, CheckResult{configs[c.item], CheckVerdict::kError, msg.str(), msg.str(), timeout_s});
      } else {
        continue;
      }
      running.erase(running.begin() + std::ptrdiff_t(i));
    }
  }
}

}  // namespace tn::cli
