#include "tools/run_pipeline.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <iomanip>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

#include "isa/program_hash.hpp"
#include "isa/validator.hpp"
#include "kernels/reference/attention_block.hpp"
#include "kernels/reference/dtype_rounding.hpp"
#include "kernels/reference/max_all_close.hpp"
#include "kernels/reference/npy.hpp"
#include "kernels/reference/numpy_random.hpp"
#include "sim/func/functional_runner.hpp"
#include "sim/func/race_report.hpp"
#include "sim/numerics/convert.hpp"
#include "sim/sc/timed_run.hpp"
#include "sim/timing/hw_config.hpp"
#include "tools/kernel_catalog.hpp"
#include "tools/launch.hpp"
#include "tools/output_folder.hpp"
#include "tools/run_config.hpp"
#include "tools/run_estimate.hpp"
#include "tools/run_inputs.hpp"
#include "tools/run_progress.hpp"
#include "tools/run_summary.hpp"
#include "tools/version_info.hpp"
#include "traces/background_trace_sink.hpp"
#include "traces/chrome_json_trace_writer.hpp"
#include "traces/perfetto_trace_writer.hpp"
#include "traces/tee_trace_sink.hpp"

namespace tn::cli {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// The first byte at which two buffers of one tensor differ (their size if one is a prefix of the other).
size_t first_difference(const std::vector<std::byte>& a, const std::vector<std::byte>& b) {
  const size_t n = std::min(a.size(), b.size());
  return size_t(std::mismatch(a.begin(), a.begin() + ptrdiff_t(n), b.begin()).first - a.begin());
}

using Clock = std::chrono::steady_clock;

ref::HostTensor read_back(const sim::Hbm& hbm, const TensorInfo& t) {
  return ref::HostTensor{t.shape, hbm.read_exact(t.name)};
}

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p);
  out << text;
  if (!out)
    throw std::runtime_error(p.string() + ": cannot write");
}

}  // namespace

RunOutcome run_one(const RunRequest& request) {
  const auto wall_start = Clock::now();
  RunConfig config = load_run_config(request.config);
  if (!request.out_dir.empty())
    check_output_folder(request.out_dir);  // refused before any work, cleaned only when the run writes
  if (!request.mode_override.empty()) {
    bool ok = false;
    for (RunMode m : {RunMode::kFunctional, RunMode::kTiming, RunMode::kTimingOnly, RunMode::kBoth}) {
      if (run_mode_name(m) == request.mode_override) {
        config.mode = m;
        ok = true;
      }
    }
    if (!ok)
      throw ConfigError("--mode: expected functional, timing, timing_only or both");
    if (config.mode == RunMode::kTimingOnly)
      config.check_numerics = false;
  }
  if (request.trace_json)
    config.trace_json = true;
  if (request.perturb_schedule_seed != 0 && config.mode != RunMode::kBoth)
    throw ConfigError(
        "--perturb-schedule: needs mode both (the timed pass's outputs are compared with the "
        "functional pass's); this run's mode is " +
        std::string(run_mode_name(config.mode)));

  timing::HwConfig hw;
  try {
    hw = timing::load_hw_config(config.hardware, config.hardware_overrides);
  } catch (const std::exception& e) {
    throw ConfigError(config.file + ": $.hardware: " + e.what());
  }
  const isa::MemoryLimits limits = hw.memory_limits();
  RunProgress progress(request.progress);
  // The reference reports to `progress` until it ends: every exit from here on waits for it first (the
  // future's destructor), then unhooks it.
  struct UnhookReferenceProgress {
    ~UnhookReferenceProgress() { ref::detail::set_reference_progress({}); }
  } unhook_reference_progress;
  // Judged from the kernel's estimate before the build allocates anything: a run that cannot fit is
  // refused at once, and a long one says how long it should take.
  const EstimateMode estimate_mode{config.mode != RunMode::kTimingOnly, config.check_numerics,
                                   config.mode == RunMode::kBoth};
  const std::optional<double> memory =
      request.max_memory_bytes > 0 ? std::optional(request.max_memory_bytes) : available_memory_bytes();
  const std::string memory_source =
      request.max_memory_bytes > 0 ? "that --max-memory allows" : "available (MemAvailable, /proc/meminfo)";
  const EstimateCheck before_build = [&](const RunEstimate& e) {
    if (memory)
      check_fits(config.file, e, estimate_mode, *memory, memory_source);
    if (const std::string notice = long_run_notice(e, estimate_mode); !notice.empty())
      std::cerr << notice << "\n" << std::flush;
  };
  progress.phase("building the program");
  KernelSetup k = setup_kernel(config.kernel, config.params(), limits, int32_t(hw.chip_neuron_core_version),
                               before_build);

  RunOutcome outcome;
  json& s = outcome.summary;
  // The summary's layout (bumped when a key changes meaning or goes) and the build that wrote it.
  s["schema_version"] = kSummarySchemaVersion;
  s["trnsim_version"] = std::string(kTrnsimVersion) + " (" + kTrnsimCommit + ")";
  s["config"] = config.file;
  s["description"] = config.description;
  s["kernel"] = k.kernel;
  s["params"] = k.params;
  s["hardware"] = hw.to_json();
  s["mode"] = run_mode_name(config.mode);
  if (!k.failure.empty()) {
    // The case expects the kernel to refuse these parameters, and it did.
    s["expected_failure"] = k.failure;
    outcome.passed = true;
    outcome.compared = true;
    outcome.headline = "expected failure: " + k.failure;
    return outcome;
  }
  if (k.expect_failure) {
    throw ConfigError(config.file +
                      ": $.params.expect_failure: the case expects the kernel to reject these "
                      "parameters, but it accepted them");
  }

  const ResolvedLaunch launch = resolve_launch(config, k, hw);
  // Validate, and hash the programs (the same hash means the same instruction streams): the hash reads
  // the finished programs on another core while this one validates them.
  progress.phase("validating the program");
  std::future<uint64_t> hash = std::async(std::launch::async, [&] { return isa::programs_hash(k.programs); });
  for (const auto& p : k.programs) {
    isa::validate_or_throw(p, limits);
    for (const std::string& issue : isa::replica_group_issues(p, launch.ranks))
      throw ConfigError(config.file + ": " + k.kernel + ": " + issue);
    // A CC-core stream is a CC-core: the system has so many per NeuronCore (collectives.md §1: 2 on trn2).
    const auto cc = std::count_if(p.streams.begin(), p.streams.end(),
                                  [](const isa::Stream& st) { return st.engine == isa::Engine::kCc; });
    if (launch.system && cc > launch.system->cc_cores_per_neuron_core) {
      throw ConfigError(config.file + ": " + k.kernel + ": core " + std::to_string(p.core_id) + " uses " +
                        std::to_string(cc) + " CC-cores; " + launch.system->name + " has " +
                        std::to_string(launch.system->cc_cores_per_neuron_core) + " per NeuronCore");
    }
  }
  s["program_hash"] = isa::hash_hex(hash.get());
  size_t num_instructions = 0;
  for (const auto& p : k.programs)
    num_instructions += p.num_instructions();
  s["instructions"] = num_instructions;
  s["cores"] = k.programs.size();
  if (k.per_rank) {
    s["ranks"] = launch.ranks;
    s["launch"] = launch.summary;
  }

  const fs::path out_dir = request.out_dir;
  const bool write = !request.out_dir.empty();
  // One rank writes DIR/inputs/NAME.npy; a multi-rank kernel DIR/inputs/rank<r>/NAME.npy.
  const auto rank_dir = [&](const char* what, uint32_t r) {
    return k.per_rank ? out_dir / what / ("rank" + std::to_string(r)) : out_dir / what;
  };
  std::vector<const isa::Program*> programs;
  for (const auto& p : k.programs)
    programs.push_back(&p);
  // A run without numerics does no data work beyond its value slice (the instructions that feed registers
  // and gather indices): no SBUF/PSUM images unless there is one, HBM that holds only the slice's
  // tensors, and of the inputs only the fixed runtime values the model FLOPs may depend on and those the
  // slice reads (neither written to files).
  const bool data = config.mode != RunMode::kTimingOnly;
  const sim::ValueSlice value_slice = data ? sim::ValueSlice{} : sim::ValueSlice(programs);
  progress.phase(data ? "drawing the inputs" : "finding the value slice");
  const HostTensors drawn = make_inputs(k, config, data ? nullptr : &value_slice.tensors());
  if (k.check_inputs) {
    try {
      k.check_inputs(drawn);
    } catch (const InputValueError& e) {
      // Where the judged values came from: the files that gave them, else the params.
      std::string where;
      for (const std::string& input : e.inputs) {
        if (const auto file = config.input_files.find(input); file != config.input_files.end())
          where += (where.empty() ? "" : ", ") + ("$.inputs.files." + input + " (" + file->second + ")");
      }
      throw ConfigError(config.file + ": " + (where.empty() ? "$.params" : where) + ": " + e.what());
    }
  }
  const std::vector<HostTensors> rank_inputs = k.per_rank ? k.split_inputs(drawn) : std::vector{drawn};
  if (!data)
    s["value_slice_instructions"] = value_slice.size();
  const std::vector<TensorInfo>& input_infos = k.per_rank ? k.rank_inputs : k.inputs;
  if (write)
    claim_output_folder(out_dir);
  if (write && data) {
    for (uint32_t r = 0; r < launch.ranks; ++r) {
      fs::create_directories(rank_dir("inputs", r));
      fs::create_directories(rank_dir("outputs", r));
    }
    outcome.written.insert(outcome.written.end(), {"inputs/", "outputs/"});
  }
  std::vector<sim::Hbm> hbm;
  hbm.reserve(launch.ranks);
  for (uint32_t r = 0; r < launch.ranks; ++r) {
    sim::Hbm& h = data ? hbm.emplace_back(true) : hbm.emplace_back(value_slice.tensors());
    for (const TensorInfo& t : input_infos) {
      h.declare({t.name, t.dtype, t.shape, isa::TensorKind::kInput});
      if (!data && !value_slice.tensors().count(t.name))
        continue;
      h.fill_exact(t.name, rank_inputs[r].at(t.name).data);
      if (!data)
        continue;
      if (write)
        ref::write_npy(rank_dir("inputs", r) / (t.name + ".npy"), rank_inputs[r].at(t.name), t.dtype,
                       config.npy_narrow_floats);
    }
  }
  std::vector<sim::Hbm*> hbm_ptrs;
  for (sim::Hbm& h : hbm)
    hbm_ptrs.push_back(&h);

  // The float64 reference needs only the inputs: it runs beside the simulation, on the second core.
  std::future<std::vector<HostTensors>> golden_pass;
  double reference_s = 0;  // the reference thread's own wall time, written before its future is ready
  if (config.check_numerics) {
    // The simulation keeps one core busy: the reference takes the others (on the CI machine class's two
    // cores, a second reference thread only slows the simulation: 8K causal checked 1.27 s -> 1.11 s, the
    // same run unchecked 1.14 s).
    const int64_t cores = static_cast<int64_t>(std::thread::hardware_concurrency());
    ref::detail::set_reference_threads(std::max<int64_t>(1, cores - 1));
    ref::detail::set_reference_progress(
        [&progress](double f) { progress.report(RunProgress::Pass::kReference, f); });
    golden_pass = std::async(std::launch::async, [&] {
      const auto start = Clock::now();
      auto golden = k.per_rank ? k.rank_reference(drawn) : std::vector{k.reference(drawn)};
      reference_s = std::chrono::duration<double>(Clock::now() - start).count();
      return golden;
    });
  }
  const auto sim_start = Clock::now();
  s["prepare_wall_s"] = std::chrono::duration<double>(sim_start - wall_start).count();
  // Only `both` keeps a second memory image: the functional run's, to compare with the timed run's. Its
  // functional pass runs beside the timed one (they share only the read-only programs).
  std::vector<sim::Hbm> functional_hbm;
  std::future<void> functional_pass;
  progress.phase("simulating");
  sim::FunctionalOptions functional_options;
  functional_options.progress = [&progress](double f) { progress.report(RunProgress::Pass::kFunctional, f); };
  // A perturbed run logs what every instruction read in both passes, so that a difference in the outputs
  // names the two instructions that raced (sim/func/race_report.hpp).
  std::optional<sim::ExecutionLog> functional_log, timed_log;
  if (request.perturb_schedule_seed != 0) {
    functional_log.emplace(launch.ranks, programs);
    timed_log.emplace(launch.ranks, programs);
    functional_options.execution_log = &*functional_log;
  }
  if (config.mode == RunMode::kFunctional) {
    sim::run_functional_ranks(programs, hbm_ptrs, limits, functional_options);
  } else if (config.mode == RunMode::kBoth) {
    functional_hbm = hbm;
    functional_pass = std::async(std::launch::async, [&] {
      std::vector<sim::Hbm*> ptrs;
      for (sim::Hbm& h : functional_hbm)
        ptrs.push_back(&h);
      sim::run_functional_ranks(programs, ptrs, limits, functional_options);
    });
  }
  // A failure of the functional pass is reported before the timed pass's, as when they ran in turn.
  const auto functional_done = [&] {
    if (functional_pass.valid())
      functional_pass.get();
  };
  if (config.mode != RunMode::kFunctional) {
    std::vector<std::unique_ptr<trace::TraceSink>> sinks;
    if (write && config.trace_perfetto) {
      sinks.push_back(std::make_unique<trace::PerfettoTraceWriter>(out_dir / "trace.pftrace"));
      outcome.written.push_back("trace.pftrace");
    }
    if (write && config.trace_json) {
      sinks.push_back(std::make_unique<trace::ChromeJsonTraceWriter>(out_dir / "trace.json"));
      outcome.written.push_back("trace.json");
    }
    // Encoding and writing the trace run on a core the simulation leaves (the same bytes either way).
    const bool tracing = !sinks.empty();
    // One trace file is written to directly; two (pftrace and JSON) through a tee.
    std::unique_ptr<trace::TraceSink> sink = sinks.size() == 1
                                                 ? std::move(sinks.front())
                                                 : std::make_unique<trace::TeeTraceSink>(std::move(sinks));
    if (tracing && std::thread::hardware_concurrency() > 1)
      sink = std::make_unique<trace::BackgroundTraceSink>(std::move(sink));
    sc::TimedRunOptions options;
    options.trace_flows = config.trace_flows;
    options.execute_numerics = config.mode != RunMode::kTimingOnly;
    options.value_slice = &value_slice;
    options.perturb_schedule_seed = request.perturb_schedule_seed;
    options.execution_log = timed_log ? &*timed_log : nullptr;
    options.progress = [&progress](double f) { progress.report(RunProgress::Pass::kTimed, f); };
    sc::TimedLaunch timed;
    timed.rank_hbm = hbm_ptrs;
    if (launch.system)
      timed.system = &*launch.system;
    timed.placement = launch.placement;
    timed.algorithm = launch.algorithm;
    timed.traced_ranks = launch.traced_ranks;
    sc::TimedRunResult t;
    try {
      t = sc::run_timed(programs, timed, hw, *sink, options);
    } catch (...) {
      functional_done();
      throw;
    }
    functional_done();
    progress.phase("writing the trace");
    sink->finish();
    s["timing"] = timing_summary(t, k, k.model_flops(drawn), hw);
    if (k.timing_report)
      s["timing"][k.report_name] = k.timing_report(s["timing"], t);
    s["total_ns"] = s["timing"]["total_ns"];
    if (config.mode == RunMode::kBoth) {
      // The invariant: the timing model runs the same semantics, so the bytes must be identical.
      for (uint32_t r = 0; r < launch.ranks; ++r) {
        for (const TensorInfo& t2 : k.outputs) {
          const std::vector<std::byte>& timed_bytes = hbm[r].at(t2.name).bytes;
          const std::vector<std::byte>& functional_bytes = functional_hbm[r].at(t2.name).bytes;
          if (timed_bytes == functional_bytes)
            continue;
          const size_t byte = first_difference(timed_bytes, functional_bytes);
          std::string message =
              "output '" + t2.name + "'" + (k.per_rank ? " of rank " + std::to_string(r) : "") +
              " differs between timing and functional mode" +
              (request.perturb_schedule_seed ? " under the schedule perturbed with seed " +
                                                   std::to_string(request.perturb_schedule_seed)
                                             : std::string()) +
              " (first at byte " + std::to_string(byte) + "): a race the semaphores do not cover";
          if (timed_log) {
            const sim::DifferingElement element{r, t2.name, int64_t(byte / dtype_size(t2.dtype))};
            const std::string race = sim::describe_race(programs, *functional_log, *timed_log, element);
            message += race.empty()
                           ? "; the two passes' instructions read and wrote the same data in the same "
                             "order, so the difference has no race to name"
                           : ". " + race;
          } else {
            message += " (run again with --perturb-schedule 1 to name the two instructions)";
          }
          throw std::runtime_error(message);
        }
      }
      s["functional_equals_timing"] = true;
      if (request.perturb_schedule_seed)
        s["schedule_perturbation_seed"] = request.perturb_schedule_seed;
    }
  }
  const double sim_s = std::chrono::duration<double>(Clock::now() - sim_start).count();

  json numerics = {{"checked", false}, {"passed", nullptr}};
  outcome.passed = true;
  if (config.mode != RunMode::kTimingOnly) {
    progress.phase(write ? "writing the outputs" : "reading back the outputs");
    std::vector<HostTensors> outputs(launch.ranks);
    for (uint32_t r = 0; r < launch.ranks; ++r) {
      for (const TensorInfo& t : k.outputs) {
        outputs[r][t.name] = read_back(hbm[r], t);
        if (write)
          ref::write_npy(rank_dir("outputs", r) / (t.name + ".npy"), outputs[r][t.name], t.dtype,
                         config.npy_narrow_floats);
      }
    }
    if (config.check_numerics) {
      progress.phase("waiting for the float64 reference");
      const auto wait_start = Clock::now();
      const std::vector<HostTensors> golden = golden_pass.get();
      s["reference_wall_s"] = reference_s;
      s["reference_wait_wall_s"] = std::chrono::duration<double>(Clock::now() - wait_start).count();
      numerics = {{"checked", true}, {"rtol", k.rtol}, {"atol", k.atol}, {"mode", "max"}};
      bool all = true;
      json per = json::object();
      for (uint32_t r = 0; r < launch.ranks; ++r) {
        for (const TensorInfo& t : k.outputs) {
          // The golden output is cast to the kernel's output dtype before comparing (kernels.md §2.1).
          const auto tol = k.output_tolerances.find(t.name);
          const auto [rtol, atol] =
              tol == k.output_tolerances.end() ? std::pair{k.rtol, k.atol} : tol->second;
          const auto c = ref::max_all_close(outputs[r].at(t.name),
                                            ref::rounded_to(golden[r].at(t.name), t.dtype), rtol, atol);
          const std::string key = k.per_rank ? "rank" + std::to_string(r) + "/" + t.name : t.name;
          per[key] = {{"passed", c.passed},
                      {"max_abs_err", c.max_abs_err},
                      {"max_rel_err", c.max_rel_err},
                      {"mismatches", c.num_mismatches},
                      {"elements", c.num_elements},
                      {"non_finite", c.num_non_finite_actual},
                      {"non_finite_expected", c.num_non_finite_expected},
                      {"rtol", rtol},
                      {"atol", atol},
                      {"detail", c.description}};
          all = all && c.passed;
        }
      }
      numerics["passed"] = all;
      numerics["outputs"] = per;
      outcome.passed = all;
      outcome.compared = true;
    }
  }
  if (!outcome.compared) {
    outcome.not_compared = config.mode == RunMode::kTimingOnly ? "timing_only computes no output values"
                                                               : "\"check_numerics\" is false";
  }
  s["numerics"] = numerics;
  const double wall_s = std::chrono::duration<double>(Clock::now() - wall_start).count();
  s["wall_s"] = wall_s;
  s["simulate_wall_s"] = sim_s;
  s["instructions_per_s"] = sim_s > 0 ? double(num_instructions * launch.ranks) / sim_s : 0.0;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  s["peak_rss_mb"] = usage.ru_maxrss / 1024.0;  // Linux reports kilobytes
  if (write) {
    write_file(out_dir / "summary.json", s.dump(2) + "\n");
    outcome.written.insert(outcome.written.begin(), "summary.json");
  }

  std::ostringstream h;
  h << k.kernel;
  if (k.per_rank)
    h << " x" << launch.ranks << " ranks";
  if (s.contains("total_ns"))
    h << "  " << std::fixed << std::setprecision(1) << s["total_ns"].get<double>() / 1000 << " us";
  if (numerics["checked"].get<bool>()) {
    // The worst error of each output over the ranks.
    std::map<std::string, double> worst;
    for (const auto& [key, r] : numerics["outputs"].items()) {
      const std::string name = key.substr(key.find('/') == std::string::npos ? 0 : key.find('/') + 1);
      worst[name] = std::max(worst[name], r["max_abs_err"].get<double>());
    }
    for (const auto& [name, err] : worst)
      h << "  " << name << " max_abs_err=" << std::scientific << std::setprecision(2) << err;
  }
  outcome.headline = h.str();
  return outcome;
}

}  // namespace tn::cli
