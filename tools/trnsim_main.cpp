// The trnsim command line: run a kernel config, check many configs' numerics (for CI), sweep a grid, list
// the kernels, print programs.
#include <fcntl.h>
#include <malloc.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <thread>

#include "isa/disassembly.hpp"
#include "isa/program_json.hpp"
#include "sim/timing/hw_config.hpp"
#include "tools/check_command.hpp"
#include "tools/child_runs.hpp"
#include "tools/kernel_catalog.hpp"
#include "tools/kernels_command.hpp"
#include "tools/report_command.hpp"
#include "tools/run_config.hpp"
#include "tools/run_estimate.hpp"
#include "tools/run_pipeline.hpp"
#include "tools/run_summary.hpp"
#include "tools/sweep_command.hpp"
#include "tools/version_info.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace tn;

namespace {

// Each command's synopsis and what it does: `trnsim --help` lists them, `trnsim COMMAND --help` shows one
// with its options.
struct CommandHelp {
  const char* name;
  const char* synopsis;
  const char* description;
};

constexpr CommandHelp kCommands[] = {
    {"run", "run CONFIG.json --out DIR [options]",
     "simulate one kernel config; writes DIR/summary.json, DIR/trace.pftrace (timed modes), "
     "DIR/inputs/*.npy\n"
     "and DIR/outputs/*.npy (modes with values) and prints a summary"},
    {"check", "check PATH... [options]",
     "run every config (files, or folders searched for *.json), each in its own process, and compare its\n"
     "outputs with the float64 reference: one line per config, PASS (numbers compared and within\n"
     "tolerance), FAIL (outside it), ERROR (the config cannot run, crashed or timed out) or SKIP (nothing\n"
     "compared: timing_only, or \"check_numerics\": false), then 'N passed, M failed, K skipped' (errors\n"
     "count as failed). Exits non-zero if any failed or none was compared"},
    {"sweep", "sweep SPEC.json --out DIR [options]",
     "run a grid of variations of one run config (SPEC: \"base\" config, \"product\" and \"zip\" lists of "
     "values\n"
     "for dotted keys such as \"params.seqlen_q\"), each point in its own process; DIR/results.csv gets a "
     "row\n"
     "per point (its values, verdict, total_ns, MFU/HFU/MBU, engine busy %, numerics, wall s). A rerun "
     "reuses\n"
     "the points already done; a failing point is recorded and the others still run. Under mpirun (or "
     "another\n"
     "MPI launcher) the ranks share the points, rank 0 writing results.csv (README: sweep)"},
    {"kernels", "kernels [NAME] [options]",
     "list the kernels a run config may name: each parameter's type, default, what it accepts and what it\n"
     "means (the tables the config parser reads), and the input and output tensors with their dtypes and\n"
     "shapes, resolved by the kernel itself for its example parameters or for --params"},
    {"report", "report DIR [--out FILE]",
     "write one self-contained HTML page (no network, no external scripts) of a run folder: the summary, "
     "the\n"
     "engine timeline (a row per engine and DMA queue, coloured by opcode, zoomable), busy time per engine,\n"
     "time per opcode, the roofline and, for several ranks, their spread and the collectives; or of a sweep\n"
     "folder: its points charted and tabled. Default FILE: DIR/report.html"},
    {"disasm", "disasm CONFIG.json [--json]",
     "print the kernel's instruction streams, or with --json the program JSON (a list of one per core for "
     "LNC2)\n"
     "that a config with \"kernel\": \"program\" runs as it is"},
};

const CommandHelp& help_of(const std::string& name) {
  for (const CommandHelp& c : kCommands) {
    if (name == c.name)
      return c;
  }
  throw std::logic_error("no help for command " + name);
}

std::string usage() {
  std::string u = "usage: trnsim <command> [options]   (trnsim <command> --help for its options)\n";
  for (const CommandHelp& c : kCommands) {
    std::string description = c.description;
    for (size_t at = 0; (at = description.find('\n', at)) != std::string::npos; at += 7)
      description.replace(at, 1, "\n      ");
    u += "  " + std::string(c.synopsis) + "\n      " + description + "\n";
  }
  u += "  --version\n      print the version and the commit it was built from\n";
  return u;
}

// A command's options, starting with --help.
po::options_description options_for(const std::string& command) {
  po::options_description opts(command + " options", 110, 55);
  opts.add_options()("help,h", "show this help");
  return opts;
}

int print_help(const std::string& command, const po::options_description& opts) {
  const CommandHelp& c = help_of(command);
  std::cout << "usage: trnsim " << c.synopsis << "\n\n" << c.description << "\n\n" << opts;
  return 0;
}

// Parses `args` as `CONFIG [options]`: `opts` plus the positional run config. Returns nullopt after
// printing the help when asked for it.
std::optional<po::variables_map> parse_with_config(const std::string& command,
                                                   const std::vector<std::string>& args,
                                                   const po::options_description& opts) {
  po::options_description all = opts;
  all.add_options()("config", po::value<std::string>(), "run config");
  po::positional_options_description pos;
  pos.add("config", 1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
  if (vm.count("help")) {
    print_help(command, opts);
    return std::nullopt;
  }
  po::notify(vm);
  if (!vm.count("config"))
    throw po::error(std::string("missing argument: usage: trnsim ") + help_of(command).synopsis);
  return vm;
}

// The --jobs and --timeout of `check` and `sweep`, checked.
void read_jobs_and_timeout(const std::string& command, const po::variables_map& vm, int& jobs,
                           double& timeout_s) {
  jobs = vm["jobs"].as<int>();
  timeout_s = vm["timeout"].as<double>();
  if (!(timeout_s >= 0) || !std::isfinite(timeout_s))
    throw cli::ConfigError(command + ": --timeout must be a number of seconds >= 0");
  if (jobs < 1 || jobs > 256)
    throw cli::ConfigError(command + ": --jobs must be in 1..256");
}

constexpr const char* kMaxMemoryHelp =
    "memory a run may use (e.g. 16G, 512M); a run whose estimate exceeds it is refused before it builds "
    "anything (default: the available memory, MemAvailable of /proc/meminfo)";

// --max-memory in bytes, 0 when not given.
double max_memory_of(const po::variables_map& vm) {
  const std::string text = vm["max-memory"].as<std::string>();
  return text.empty() ? 0 : cli::parse_memory_size("--max-memory", text);
}

int cmd_run(const std::vector<std::string>& args) {
  po::options_description opts = options_for("run");
  opts.add_options()("out", po::value<std::string>()->required(), "output folder")(
      "mode", po::value<std::string>()->default_value(""),
      "override the config's mode: functional, timing, timing_only or both")(
      "trace-json", po::bool_switch(), "also write trace.json (Chrome JSON; for small runs)")(
      "perturb-schedule", po::value<uint64_t>()->default_value(0),
      "find missing synchronisation: run the timed pass on a schedule perturbed with this seed (>= 1; mode "
      "both), whose outputs must equal the functional pass's; its times are not the hardware's")(
      "max-memory", po::value<std::string>()->default_value(""), kMaxMemoryHelp);
  const auto parsed = parse_with_config("run", args, opts);
  if (!parsed)
    return 0;
  const po::variables_map& vm = *parsed;
  cli::RunRequest req;
  req.config = vm["config"].as<std::string>();
  req.out_dir = vm["out"].as<std::string>();
  req.mode_override = vm["mode"].as<std::string>();
  req.trace_json = vm["trace-json"].as<bool>();
  req.perturb_schedule_seed = vm["perturb-schedule"].as<uint64_t>();
  req.max_memory_bytes = max_memory_of(vm);
  const cli::RunOutcome outcome = cli::run_one(req);
  std::cout << cli::summary_text(outcome.summary);
  std::string written;
  for (const std::string& w : outcome.written)
    written += (written.empty() ? "" : ",") + w;
  if (!written.empty())  // an expected failure runs nothing and writes nothing
    std::cout << "  outputs      " << req.out_dir << "/{" << written << "}\n";
  return outcome.passed ? 0 : 1;
}

int cmd_check(const std::vector<std::string>& args) {
  po::options_description opts = options_for("check");
  opts.add_options()("timeout", po::value<double>()->default_value(900),
                     "seconds one config may run before it is killed and reported as ERROR (0: no limit)")(
      "jobs,j", po::value<int>()->default_value(1), "configs run at once (each in its own process)")(
      "junit", po::value<std::string>()->default_value(""),
      "also write the results as JUnit XML to this file")(
      "keep", po::value<std::string>()->default_value(""),
      "keep the run folders (inputs, outputs, summary, trace) of configs that fail or err under this folder")(
      "max-memory", po::value<std::string>()->default_value(""), kMaxMemoryHelp);
  po::options_description hidden;
  hidden.add_options()("paths", po::value<std::vector<std::string>>(), "config files or folders");
  po::options_description all;
  all.add(opts).add(hidden);
  po::positional_options_description pos;
  pos.add("paths", -1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
  if (vm.count("help"))
    return print_help("check", opts);
  po::notify(vm);
  if (!vm.count("paths"))
    throw cli::ConfigError("check: give one or more config files or folders");
  cli::CheckOptions options;
  options.paths = vm["paths"].as<std::vector<std::string>>();
  read_jobs_and_timeout("check", vm, options.jobs, options.timeout_s);
  options.junit = vm["junit"].as<std::string>();
  options.keep = vm["keep"].as<std::string>();
  options.max_memory_bytes = max_memory_of(vm);
  return cli::run_check(options);
}

// The variable an MPI launcher sets in each process it starts (Open MPI's mpirun; PMIx launchers such as
// Slurm's srun --mpi=pmix; MPICH's hydra), or nullptr when none did.
const char* mpi_launcher_variable() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"}) {
    if (std::getenv(v))
      return v;
  }
  return nullptr;
}

// Replaces this process with the MPI sweep (kMpiSweepHelper beside this executable), keeping the
// environment the launcher set, which its MPI_Init reads. Returns only by throwing.
[[noreturn]] void exec_mpi_sweep(const std::string& launcher_variable, const cli::SweepOptions& o) {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  const fs::path helper = (ec ? fs::path(".") : self.parent_path()) / cli::kMpiSweepHelper;
  char timeout[32];
  std::snprintf(timeout, sizeof timeout, "%.17g", o.timeout_s);
  std::vector<std::string> args = {helper.string(),        o.spec,      "--out", o.out, "--jobs",
                                   std::to_string(o.jobs), "--timeout", timeout};
  std::vector<char*> argv;
  for (std::string& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  std::cout.flush();
  execv(helper.c_str(), argv.data());
  const int err = errno;
  throw cli::ConfigError(
      "sweep: " + launcher_variable + " is set, so an MPI launcher started this sweep, which then runs in " +
      helper.string() + "; " +
      (err == ENOENT ? std::string("it is missing (build it with cmake --build BUILD --target ") +
                           cli::kMpiSweepHelper + "; cmake --install puts it beside bin/trnsim)"
                     : "it cannot start: " + std::string(std::strerror(err))));
}

int cmd_sweep(const std::vector<std::string>& args) {
  po::options_description opts = options_for("sweep");
  const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
  opts.add_options()("out", po::value<std::string>()->required(), "output folder (points/, results.csv)")(
      "jobs,j", po::value<int>()->default_value(cores),
      "points run at once (default: this machine's cores; under MPI, per rank, default 1)")(
      "timeout", po::value<double>()->default_value(0),
      "seconds a point may run before it is killed (0: none)");
  const auto parsed = parse_with_config("sweep", args, opts);
  if (!parsed)
    return 0;
  const po::variables_map& vm = *parsed;
  cli::SweepOptions options;
  options.spec = vm["config"].as<std::string>();
  options.out = vm["out"].as<std::string>();
  read_jobs_and_timeout("sweep", vm, options.jobs, options.timeout_s);
  if (const char* launcher = mpi_launcher_variable()) {
    // Each rank is a process of its own (often one per core), so one point at a time unless told.
    if (vm["jobs"].defaulted())
      options.jobs = 1;
    exec_mpi_sweep(launcher, options);
  }
  return cli::run_sweep(options);
}

int cmd_kernels(const std::vector<std::string>& args) {
  po::options_description opts = options_for("kernels");
  cli::KernelsOptions options;
  opts.add_options()("params", po::value(&options.params),
                     "a JSON object of the kernel's parameters to resolve its tensors for")(
      "hardware", po::value(&options.hardware)->default_value("trn2"),
      "the hardware preset the kernel is built for")("json", po::bool_switch(&options.json),
                                                     "print it all as JSON");
  po::options_description all = opts;
  all.add_options()("kernel", po::value(&options.kernel), "kernel name");
  po::positional_options_description pos;
  pos.add("kernel", 1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
  if (vm.count("help"))
    return print_help("kernels", opts);
  po::notify(vm);
  return cli::run_kernels_command(options);
}

// `trnsim _point CONFIG OUT_DIR PARENT_PID` (internal): runs one config and writes its report to fd
// kReportFd, for the MPI sweep's ranks, which start a fresh trnsim per point rather than fork themselves
// (tools/child_pool.hpp).
int cmd_point(const std::vector<std::string>& args) {
  if (args.size() != 3 || fcntl(cli::kReportFd, F_GETFD) < 0) {
    std::cerr << "trnsim " << cli::kPointCommand << ": an internal command of " << cli::kMpiSweepHelper
              << " (CONFIG OUT_DIR PARENT_PID, reporting to fd " << cli::kReportFd << "); use trnsim run\n";
    return 2;
  }
  // When an MPI job ends abnormally the launcher kills its ranks but not their children: die with the rank
  // rather than simulate on for nobody. (The check after prctl covers a rank that died before it.)
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (std::to_string(getppid()) != args[2])
    return 1;
  return cli::write_all(cli::kReportFd, cli::run_report(args[0], args[1])) ? 0 : 1;
}

int cmd_report(const std::vector<std::string>& args) {
  po::options_description opts = options_for("report");
  opts.add_options()("out", po::value<std::string>()->default_value(""),
                     "the HTML file to write (default: DIR/report.html)")(
      "slice-budget", po::value<size_t>()->default_value(cli::TimelineLimits{}.slice_budget),
      "timeline slices embedded exactly; past it the busiest rows are aggregated into time buckets");
  const auto parsed = parse_with_config("report", args, opts);
  if (!parsed)
    return 0;
  const po::variables_map& vm = *parsed;
  cli::ReportOptions options;
  options.dir = vm["config"].as<std::string>();
  options.out = vm["out"].as<std::string>();
  options.limits.slice_budget = vm["slice-budget"].as<size_t>();
  if (options.limits.slice_budget < 100 || options.limits.slice_budget > 5000000)
    throw cli::ConfigError("report: --slice-budget must be in 100..5000000");
  return cli::write_report_page(options);
}

int cmd_disasm(const std::vector<std::string>& args) {
  po::options_description opts = options_for("disasm");
  opts.add_options()("json", po::bool_switch(), "print the program JSON instead");
  const auto parsed = parse_with_config("disasm", args, opts);
  if (!parsed)
    return 0;
  const po::variables_map& vm = *parsed;
  const cli::RunConfig config = cli::load_run_config(vm["config"].as<std::string>());
  const timing::HwConfig hw = timing::load_hw_config(config.hardware, config.hardware_overrides);
  const cli::KernelSetup k = cli::setup_kernel(config.kernel, config.params(), hw.memory_limits(),
                                               int32_t(hw.chip_neuron_core_version));
  if (vm["json"].as<bool>()) {
    // One program as an object; an LNC2 kernel's as a list in core order: what the "program" kernel reads.
    nlohmann::json list = nlohmann::json::array();
    for (const auto& p : k.programs)
      list.push_back(isa::program_to_json(p));
    std::cout << (list.size() == 1 ? list[0] : list).dump(1) << "\n";
    return 0;
  }
  for (const auto& p : k.programs)
    isa::disassemble(p, std::cout);
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
    (argc < 2 ? std::cerr : std::cout) << usage();
    return argc < 2 ? 2 : 0;
  }
  if (std::string(argv[1]) == "--version") {
    std::cout << "trnsim " << cli::kTrnsimVersion << " (" << cli::kTrnsimCommit << ")\n";
    return 0;
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
    if (command == "kernels")
      return cmd_kernels(args);
    if (command == "sweep")
      return cmd_sweep(args);
    if (command == cli::kPointCommand)
      return cmd_point(args);
    if (command == "report")
      return cmd_report(args);
    std::cerr << "trnsim: unknown command '" << command << "'\n" << usage();
    return 2;
  } catch (const po::error& e) {
    std::cerr << "trnsim " << command << ": " << e.what() << " (trnsim " << command
              << " --help lists the options)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "trnsim " << command << ": error: " << e.what() << "\n";
    return 1;
  }
}
