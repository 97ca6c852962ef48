#include "tools/check_command.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <stdexcept>

#include "tools/child_runs.hpp"
#include "tools/junit_report.hpp"

namespace tn::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

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

// Where --keep puts a config's run folder: the config's path below the keep folder, without ".json" (an
// absolute path loses its root, and ".." becomes "up", so every folder stays inside).
fs::path kept_folder(const fs::path& keep, const std::string& config) {
  fs::path relative;
  for (const fs::path& part : fs::path(config).replace_extension().relative_path()) {
    relative /= part == ".." ? fs::path("up") : part == "." ? fs::path() : part;
  }
  return keep / relative;
}

}  // namespace

int run_check(const CheckOptions& options) {
  const auto started = Clock::now();
  const std::vector<CheckItem> items = collect_configs(options.paths);
  std::vector<std::optional<CheckResult>> results(items.size());
  std::vector<std::string> out_dirs(items.size());
  size_t printed = 0;

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

  // Configs that cannot run are reported at once; the others run in child processes.
  std::vector<size_t> runnable;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!items[i].problem.empty()) {
      finish(i, CheckResult{items[i].path, CheckVerdict::kError, items[i].problem, items[i].problem, 0});
      continue;
    }
    if (!options.keep.empty()) {
      const fs::path dir = kept_folder(options.keep, items[i].path);
      std::error_code ec;
      fs::remove_all(dir, ec);  // what an earlier check kept of this config
      fs::create_directories(dir, ec);
      if (ec)
        throw std::runtime_error("check: --keep: cannot create " + dir.string() + ": " + ec.message());
      out_dirs[i] = dir.string();
    }
    runnable.push_back(i);
  }
  const auto print_ready = [&] {
    for (; printed < items.size() && results[printed]; ++printed)
      std::cout << result_line(results[printed]->config, *results[printed]) << std::endl;
  };
  print_ready();
  run_in_children(
      runnable.size(), options.jobs, options.timeout_s,
      [&](size_t j) {
        return ChildJob{items[runnable[j]].path, out_dirs[runnable[j]], options.max_memory_bytes};
      },
      [&](size_t j, CheckResult r) {
        finish(runnable[j], std::move(r));
        print_ready();
      });
  print_ready();

  VerdictCounts counts;
  std::vector<CheckResult> all;
  for (auto& r : results) {
    counts.add(r->verdict);
    all.push_back(std::move(*r));
  }
  const double total_s = std::chrono::duration<double>(Clock::now() - started).count();
  if (!options.junit.empty())
    write_junit(options.junit, all, total_s);
  std::cout << counts.passed << " passed, " << counts.failed << " failed, " << counts.skipped << " skipped"
            << std::endl;
  if (counts.failed == 0 && counts.passed == 0) {
    // A CI job must not go green having checked no number.
    std::cout << "nothing was compared: every config was skipped" << std::endl;
    return 1;
  }
  return counts.failed == 0 ? 0 : 1;
}

}  // namespace tn::cli
