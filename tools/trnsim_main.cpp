// The trnsim command line: run a kernel config, check many configs' numerics (for CI), print programs.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "isa/disassembly.hpp"
#include "isa/program_json.hpp"
#include "sim/timing/hw_config.hpp"
#include "tools/kernel_catalog.hpp"
#include "tools/run_config.hpp"
#include "tools/run_pipeline.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace tn;

namespace {

constexpr const char* kUsage =
    "usage: trnsim <command> [options]\n"
    "  run CONFIG.json --out DIR [--mode functional|timing|timing_only|both] [--trace-json]\n"
    "      simulate one kernel config; writes DIR/summary.json, DIR/trace.pftrace, DIR/inputs/*.npy,\n"
    "      DIR/outputs/*.npy and prints a summary\n"
    "  check PATH...\n"
    "      run every config (files, or folders searched for *.json) and check its numerics; one line per\n"
    "      config and a closing 'N passed, M failed'; exits non-zero if any failed\n"
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
  std::cout << "  outputs      " << req.out_dir << "/{summary.json,trace.pftrace,inputs/,outputs/}\n";
  return outcome.passed ? 0 : 1;
}

std::vector<std::string> collect_configs(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const auto& p : paths) {
    if (fs::is_directory(p)) {
      std::vector<std::string> found;
      for (const auto& e : fs::recursive_directory_iterator(p)) {
        if (e.is_regular_file() && e.path().extension() == ".json")
          found.push_back(e.path().string());
      }
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(p)) {
      out.push_back(p);
    } else {
      throw cli::ConfigError(p + ": no such file or folder");
    }
  }
  return out;
}

// Runs one config in a child process: SystemC cannot be restarted within a process (simulator-design-
// notes.md §2.7), so each timed run gets a fresh one. The child reports one line through a pipe.
std::pair<int, std::string> run_in_child(const std::string& config) {
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
  std::string line;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0)
    line.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status))
    return {3, "crashed with signal " + std::to_string(WTERMSIG(status))};
  return {WEXITSTATUS(status), line};
}

int cmd_check(const std::vector<std::string>& args) {
  if (args.empty())
    throw cli::ConfigError("check: give one or more config files or folders");
  const auto configs = collect_configs(args);
  int passed = 0, failed = 0;
  for (const auto& c : configs) {
    auto [code, line] = run_in_child(c);
    const bool ok = code == 0;
    (ok ? passed : failed)++;
    std::cout << (ok ? "PASS  " : code == 1 ? "FAIL  " : "ERROR ") << c << "  " << line << std::endl;
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
  const cli::KernelSetup k = cli::setup_kernel(config.kernel, config.params(), hw.memory_limits());
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
