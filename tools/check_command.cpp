#include "tools/check_command.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "tools/junit_report.hpp"
#include "tools/run_pipeline.hpp"

namespace tn::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

// A config `check` runs, or a path it cannot run (reported as an ERROR line).
struct CheckItem {
  std::string path;
  std::string problem;  // empty: run it
};

// The configs named by `paths`: files as given, folders searched for *.json (sorted; folder symlinks are not
// followed, so a link back to a parent cannot loop). A folder holding no config, a path that does not
// exist and a *.json entry that cannot be resolved (a dangling link, a link loop) are ERROR items, never a
// silent pass.
std::vector<CheckItem> collect_configs(const std::vector<std::string>& paths) {
  std::vector<CheckItem> out;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<CheckItem> found;
      fs::recursive_directory_iterator it(p, fs::directory_options::skip_permission_denied, ec), end;
      for (; !ec && it != end; it.increment(ec)) {
        const fs::path& entry = it->path();
        if (entry.extension() != ".json")
          continue;
        std::error_code status_ec;
        const fs::file_status st = fs::status(entry, status_ec);
        if (status_ec) {
          found.push_back({entry.string(), "cannot resolve: " + status_ec.message()});
        } else if (fs::is_regular_file(st)) {
          found.push_back({entry.string(), ""});
        }
      }
      if (ec)
        found.push_back({p, "cannot search the folder: " + ec.message()});
      std::sort(found.begin(), found.end(),
                [](const CheckItem& a, const CheckItem& b) { return a.path < b.path; });
      if (found.empty())
        found.push_back({p, "no *.json config in this folder"});
      out.insert(out.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(p, ec)) {
      out.push_back({p, ""});
    } else {
      out.push_back({p, ec && ec != std::errc::no_such_file_or_directory ? "cannot resolve: " + ec.message()
                                                                         : "no such file or folder"});
    }
  }
  return out;
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

// Where --keep puts a config's run folder: the config's path below the keep folder, without ".json" (an
// absolute path loses its root, and ".." becomes "up", so every folder stays inside).
fs::path kept_folder(const fs::path& keep, const std::string& config) {
  fs::path relative;
  for (const fs::path& part : fs::path(config).replace_extension().relative_path()) {
    relative /= part == ".." ? fs::path("up") : part == "." ? fs::path() : part;
  }
  return keep / relative;
}

// One config's process: SystemC cannot be restarted within a process (simulator-design-notes.md §2.7), so
// each timed run gets a fresh one, which reports through a pipe.
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
    throw std::runtime_error("check: pipe failed: " + std::string(std::strerror(errno)));
  std::fflush(nullptr);
  std::cout.flush();
  const pid_t pid = fork();
  if (pid < 0)
    throw std::runtime_error("check: fork failed: " + std::string(std::strerror(errno)));
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

void print(const CheckResult& r) {
  std::string line = r.line;
  std::replace(line.begin(), line.end(), '\n', ' ');
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "  [%.2f s]", r.seconds);
  const std::string verdict = verdict_name(r.verdict);
  std::cout << verdict << std::string(6 - verdict.size(), ' ') << r.config << "  " << line << seconds
            << std::endl;
}

}  // namespace

int run_check(const CheckOptions& options) {
  const auto started = Clock::now();
  const std::vector<CheckItem> items = collect_configs(options.paths);
  const size_t jobs = size_t(std::max(1, options.jobs));
  std::vector<std::optional<CheckResult>> results(items.size());
  std::vector<Child> running;
  std::vector<std::string> out_dirs(items.size());
  size_t next = 0, printed = 0;
  const auto timeout = std::chrono::duration<double>(options.timeout_s);

  const auto finish = [&](size_t item, CheckResult r) {
    if (!out_dirs[item].empty()) {
      std::error_code ec;
      // A config that passed or compared nothing leaves nothing behind; an empty folder neither.
      if (r.verdict == CheckVerdict::kPass || r.verdict == CheckVerdict::kSkip ||
          fs::is_empty(out_dirs[item], ec))
        fs::remove_all(out_dirs[item], ec);
      else
        r.line += "  (run folder kept: " + out_dirs[item] + ")";
    }
    results[item] = std::move(r);
  };

  while (printed < items.size()) {
    while (running.size() < jobs && next < items.size()) {
      const CheckItem& item = items[next];
      if (!item.problem.empty()) {
        finish(next, CheckResult{item.path, CheckVerdict::kError, item.problem, item.problem, 0});
      } else {
        if (!options.keep.empty()) {
          const fs::path dir = kept_folder(options.keep, item.path);
          std::error_code ec;
          fs::remove_all(dir, ec);  // what an earlier check kept of this config
          fs::create_directories(dir, ec);
          if (ec)
            throw std::runtime_error("check: --keep: cannot create " + dir.string() + ": " + ec.message());
          out_dirs[next] = dir.string();
        }
        running.push_back(start_child(next, item.path, out_dirs[next]));
      }
      ++next;
    }
    for (; printed < items.size() && results[printed]; ++printed)
      print(*results[printed]);
    if (running.empty())
      continue;

    // Wait for a report to arrive, a child to finish, or the nearest deadline.
    int wait_ms = -1;
    if (options.timeout_s > 0) {
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
      throw std::runtime_error("check: poll failed: " + std::string(std::strerror(errno)));
    for (size_t i = running.size(); i-- > 0;) {
      Child& c = running[i];
      bool done = false;
      if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
        char buf[4096];
        const ssize_t n = read(c.fd, buf, sizeof buf);
        if (n > 0)
          c.report.append(buf, size_t(n));
        else if (n == 0 || errno != EINTR)
          done = true;
      }
      if (done) {
        finish(c.item, reap(c, items[c.item].path));
      } else if (options.timeout_s > 0 && Clock::now() - c.start >= timeout) {
        kill(c.pid, SIGKILL);
        reap(c, items[c.item].path);
        std::ostringstream msg;
        msg << "timed out after " << options.timeout_s << " s (killed; --timeout sets the limit)";
        CheckResult r{items[c.item].path, CheckVerdict::kError, msg.str(), msg.str(), options.timeout_s};
        finish(c.item, std::move(r));
      } else {
        continue;
      }
      running.erase(running.begin() + std::ptrdiff_t(i));
    }
  }

  size_t passed = 0, failed = 0, skipped = 0;
  std::vector<CheckResult> all;
  for (auto& r : results) {
    passed += r->verdict == CheckVerdict::kPass;
    failed += r->verdict == CheckVerdict::kFail || r->verdict == CheckVerdict::kError;
    skipped += r->verdict == CheckVerdict::kSkip;
    all.push_back(std::move(*r));
  }
  const double total_s = std::chrono::duration<double>(Clock::now() - started).count();
  if (!options.junit.empty())
    write_junit(options.junit, all, total_s);
  std::cout << passed << " passed, " << failed << " failed, " << skipped << " skipped" << std::endl;
  if (failed == 0 && passed == 0) {
    // A CI job must not go green having checked no number.
    std::cout << "nothing was compared: every config was skipped" << std::endl;
    return 1;
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace tn::cli
