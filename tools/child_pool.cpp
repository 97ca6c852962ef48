#include "tools/child_pool.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace tn::cli {

using nlohmann::json;

bool write_all(int fd, const std::string& text) {
  for (size_t done = 0; done < text.size();) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    done += size_t(n);
  }
  return true;
}

ChildPool::ChildPool(int parallel, double timeout_s, InChild in_child, std::string trnsim_exe)
    : m_parallel(size_t(std::max(1, parallel))),
      m_timeout_s(timeout_s),
      m_in_child(std::move(in_child)),
      m_trnsim_exe(std::move(trnsim_exe)) {}

ChildPool ChildPool::forking(int parallel, double timeout_s, InChild in_child) {
  return ChildPool(parallel, timeout_s, std::move(in_child), "");
}

ChildPool ChildPool::spawning(int parallel, double timeout_s, std::string trnsim_exe) {
  return ChildPool(parallel, timeout_s, nullptr, std::move(trnsim_exe));
}

ChildPool::~ChildPool() {
  for (Child& c : m_running) {
    kill(c.pid, SIGKILL);
    close(c.fd);
    while (waitpid(c.pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
}

void ChildPool::start(size_t item, const ChildJob& job) {
  m_running.push_back(m_in_child ? fork_child(item, job) : spawn_child(item, job));
}

ChildPool::Child ChildPool::fork_child(size_t item, const ChildJob& job) const {
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
    try {  // an exception must not unwind into the parent's code in this copy of it
      write_all(fds[1], m_in_child(job));
    } catch (...) {
    }
    _exit(0);
  }
  close(fds[1]);
  return Child{item, job.config, pid, fds[0], {}, Clock::now()};
}

ChildPool::Child ChildPool::spawn_child(size_t item, const ChildJob& job) const {
  // Both ends close on exec, so no other child inherits this pipe (its end-of-file would wait for them);
  // the child gets the write end as kReportFd through dup2, which clears close-on-exec on the copy.
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe failed: " + std::string(std::strerror(errno)));
  if (fds[1] == kReportFd) {  // dup2 onto itself would leave close-on-exec set
    const int moved = fcntl(fds[1], F_DUPFD_CLOEXEC, kReportFd + 1);
    close(fds[1]);
    fds[1] = moved;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], kReportFd);
  std::vector<std::string> args = {m_trnsim_exe, kPointCommand, job.config, job.out_dir,
                                   std::to_string(getpid())};
  std::vector<char*> argv;
  for (std::string& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int err = posix_spawn(&pid, m_trnsim_exe.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (err != 0) {
    close(fds[0]);
    throw std::runtime_error("cannot start " + m_trnsim_exe + ": " + std::strerror(err));
  }
  return Child{item, job.config, pid, fds[0], {}, Clock::now()};
}

// The result of a child whose pipe has closed: its report, or how it died.
CheckResult ChildPool::reap(Child& c) const {
  close(c.fd);
  int status = 0;
  while (waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
  }
  CheckResult r;
  r.config = c.config;
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

std::vector<std::pair<size_t, CheckResult>> ChildPool::wait(int wait_ms) {
  std::vector<std::pair<size_t, CheckResult>> ended;
  if (m_running.empty() && wait_ms < 0)
    return ended;
  const auto timeout = std::chrono::duration<double>(m_timeout_s);
  // Wait for a report to arrive, a child to finish, the nearest deadline or wait_ms.
  if (m_timeout_s > 0 && !m_running.empty()) {
    Clock::time_point nearest = Clock::time_point::max();
    for (const Child& c : m_running)
      nearest = std::min(nearest, c.start + std::chrono::duration_cast<Clock::duration>(timeout));
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(nearest - Clock::now()).count();
    const int until_deadline = int(std::clamp<int64_t>(left + 1, 0, 1000 * 1000));
    wait_ms = wait_ms < 0 ? until_deadline : std::min(wait_ms, until_deadline);
  }
  std::vector<pollfd> fds;
  for (const Child& c : m_running)
    fds.push_back({c.fd, POLLIN, 0});
  if (poll(fds.data(), fds.size(), wait_ms) < 0 && errno != EINTR)
    throw std::runtime_error("poll failed: " + std::string(std::strerror(errno)));
  for (size_t i = m_running.size(); i-- > 0;) {
    Child& c = m_running[i];
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
      ended.emplace_back(c.item, reap(c));
    } else if (m_timeout_s > 0 && Clock::now() - c.start >= timeout) {
      kill(c.pid, SIGKILL);
      reap(c);
      std::ostringstream msg;
      msg << "timed out after " << m_timeout_s << " s (killed; --timeout sets the limit)";
      ended.emplace_back(c.item,
                         CheckResult{c.config, CheckVerdict::kError, msg.str(), msg.str(), m_timeout_s});
    } else {
      continue;
    }
    m_running.erase(m_running.begin() + std::ptrdiff_t(i));
  }
  return ended;
}

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

}  // namespace tn::cli
