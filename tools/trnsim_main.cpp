// The trnsim command line: run a kernel config, check many configs' numerics (for CI), print programs.
#include <malloc.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "isa/disassembly.hpp"
#include "isa/program_json.hpp"
#include "sim/timing/hw_config.hpp"
#include "tools/kernel_catalog.hpp"
#include "tools/run_config.hpp"
#include "tools/run_pipeline.hpp"
#include "tools/run_summary.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace tn;

namespace {

constexpr const char* kUsage =
    "usage: trnsim <command> [options]\n"
    "  run CONFIG.json --out DIR [--mode functional|timing|timing_only|both] [--trace-json]\n"
    "      simulate one kernel config; writes DIR/summary.json, DIR/trace.pftrace, DIR/inputs/*.npy,\n"
    "      DIR/outputs/*.npy and prints a summary\n"
    "  check PATH... [--timeout SECONDS]\n"
    "      run every config (files, or folders searched for *.json) and check its numerics; one line per\n"
    "      config and a closing 'N passed, M failed'; exits non-zero if any failed, a folder holds no\n"
    "      config, or a config runs past the timeout (default 900 s; 0 for none)\n"
    "  disasm CONFIG.json [--json]\n"
    "      print the kernel's instruction streams (or the program JSON)\n";

// Parses `args` as `CONFIG [options]`: `opts` plus the positional run config.
po::variables_map parse_with_config(const std::vector<std::string>& args, po::options_description& opts) {
  opts.add_options()("config", po::value<std::string>()->required(), "run config");
  po::positional_options_description pos;
  pos.add("config", 1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(opts).positional(pos).run(), vm);
  po::notify(vm);
  return vm;
}

int cmd_run(const std::vector<std::string>& args) {
  po::options_description opts("run options");
  opts.add_options()("out", po::value<std::string>()->required(), "output folder")(
      "mode", po::value<std::string>()->default_value(""), "override the config's mode")(
      "trace-json", po::bool_switch(), "also write trace.json (Chrome JSON; for small runs)");
  const po::variables_map vm = parse_with_config(args, opts);
  cli::RunRequest req;
  req.config = vm["config"].as<std::string>();
  req.out_dir = vm["out"].as<std::string>();
  req.mode_override = vm["mode"].as<std::string>();
  req.trace_json = vm["trace-json"].as<bool>();
  const cli::RunOutcome outcome = cli::run_one(req);
  std::cout << cli::summary_text(outcome.summary);
  std::string written;
  for (const std::string& w : outcome.written)
    written += (written.empty() ? "" : ",") + w;
  if (!written.empty())  // an expected failure runs nothing and writes nothing
    std::cout << "  outputs      " << req.out_dir << "/{" << written << "}\n";
  return outcome.passed ? 0 : 1;
}

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

enum class ChildOutcome { kPassed, kFailed, kError };

// Runs one config in a child process: SystemC cannot be restarted within a process (simulator-design-
// notes.md §2.7), so each timed run gets a fresh one. The child reports one line through a pipe. A child
// still running after `timeout_s` (0: no limit) is killed and reported as an error.
std::pair<ChildOutcome, std::string> run_in_child(const std::string& config, double timeout_s) {
  int fds[2];
  if (pipe(fds) != 0)
    throw std::runtime_error("pipe failed");
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0)
    throw std::runtime_error("fork failed");
  if (pid == 0) {
    close(fds[0]);
    int code = 0;
    std::string line;
    try {
      cli::RunRequest req;
      req.config = config;
      req.progress = false;
      const cli::RunOutcome o = cli::run_one(req);
      code = o.passed ? 0 : 1;
      line = o.headline;
      if (!o.passed)
        line += "  numerics FAIL: " + o.summary["numerics"].dump();
    } catch (const std::exception& e) {
      code = 2;
      line = e.what();
    }
    std::replace(line.begin(), line.end(), '\n', ' ');
    (void)!write(fds[1], line.data(), line.size());
    close(fds[1]);
    _exit(code);
  }
  close(fds[1]);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  std::string line;
  char buf[4096];
  for (;;) {
    int wait_ms = -1;
    if (timeout_s > 0) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        close(fds[0]);
        std::ostringstream msg;
        msg << "timed out after " << timeout_s << " s (killed; --timeout sets the limit)";
        return {ChildOutcome::kError, msg.str()};
      }
      wait_ms = static_cast<int>(std::min<int64_t>(left.count(), 1000 * 1000));
    }
    pollfd pfd{fds[0], POLLIN, 0};
    const int ready = poll(&pfd, 1, wait_ms);
    if (ready < 0 && errno == EINTR)
      continue;
    if (ready <= 0)
      continue;  // the deadline is checked above
    const ssize_t n = read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;  // the child closed its end: it has reported
    line.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status))
    return {ChildOutcome::kError, "crashed with signal " + std::to_string(WTERMSIG(status))};
  const int code = WEXITSTATUS(status);
  return {code == 0 ? ChildOutcome::kPassed : code == 1 ? ChildOutcome::kFailed : ChildOutcome::kError, line};
}

int cmd_check(const std::vector<std::string>& args) {
  po::options_description opts("check options");
  opts.add_options()("timeout", po::value<double>()->default_value(900),
                     "seconds one config may run before it is killed and reported as ERROR (0: no limit)")(
      "paths", po::value<std::vector<std::string>>(), "config files or folders");
  po::positional_options_description pos;
  pos.add("paths", -1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(opts).positional(pos).run(), vm);
  po::notify(vm);
  if (!vm.count("paths"))
    throw cli::ConfigError("check: give one or more config files or folders");
  const double timeout_s = vm["timeout"].as<double>();
  if (!(timeout_s >= 0) || !std::isfinite(timeout_s))
    throw cli::ConfigError("check: --timeout must be a number of seconds >= 0");
  int passed = 0, failed = 0;
  for (const CheckItem& item : collect_configs(vm["paths"].as<std::vector<std::string>>())) {
    auto [outcome, line] = item.problem.empty() ? run_in_child(item.path, timeout_s)
                                                : std::pair{ChildOutcome::kError, item.problem};
    const bool ok = outcome == ChildOutcome::kPassed;
    (ok ? passed : failed)++;
    std::cout << (ok                                 ? "PASS  "
                  : outcome == ChildOutcome::kFailed ? "FAIL  "
                                                     : "ERROR ")
              << item.path << "  " << line << std::endl;
  }
  std::cout << passed << " passed, " << failed << " failed" << std::endl;
  return failed == 0 ? 0 : 1;
}

int cmd_disasm(const std::vector<std::string>& args) {
  po::options_description opts("disasm options");
  opts.add_options()("json", po::bool_switch(), "print the program JSON instead");
  const po::variables_map vm = parse_with_config(args, opts);
  const cli::RunConfig config = cli::load_run_config(vm["config"].as<std::string>());
  const timing::HwConfig hw = timing::load_hw_config(config.hardware, config.hardware_overrides);
  const cli::KernelSetup k = cli::setup_kernel(config.kernel, config.params(), hw.memory_limits(),
                                               int32_t(hw.chip_neuron_core_version));
  for (const auto& p : k.programs) {
    if (vm["json"].as<bool>()) {
      std::cout << isa::program_to_json(p).dump(1) << "\n";
    } else {
      isa::disassemble(p, std::cout);
    }
  }
  return 0;
}

}  // namespace

// libsystemc expects the program to be sc_main, run by its own main() through sc_elab_and_sim
// (simulator-design-notes.md §2.7; both declared in sysc/kernel/sc_externs.h). Our main() does the same,
// after switching off SystemC's banner, which would otherwise land in the stdout summary.
extern "C" int sc_elab_and_sim(int argc, char* argv[]);
extern "C" int sc_main(int argc, char** argv);

int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  // Keep freed memory for reuse instead of handing it back to the kernel: a program's instruction
  // vectors grow by doubling, and with glibc's defaults each regrowth maps fresh pages whose first-touch
  // faults (about 5 us each on the CI machine class's VMs) were a third of a 32K timing-only run. Blocks
  // up to 32 MiB (glibc's maximum mmap threshold) come from the heap, which is not trimmed below 1 GiB.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_TOP_PAD, 64 << 20);
  return sc_elab_and_sim(argc, argv);
}

int sc_main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  const std::vector<std::string> args(argv + 2, argv + argc);
  try {
    if (command == "run")
      return cmd_run(args);
    if (command == "check")
      return cmd_check(args);
    if (command == "disasm")
      return cmd_disasm(args);
    std::cerr << "trnsim: unknown command '" << command << "'\n" << kUsage;
    return 2;
  } catch (const po::error& e) {
    std::cerr << "trnsim " << command << ": " << e.what() << "\n" << kUsage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "trnsim " << command << ": error: " << e.what() << "\n";
    return 1;
  }
}
