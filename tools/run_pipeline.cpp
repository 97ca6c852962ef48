#include "tools/run_pipeline.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <memory>
#include <optional>
#include <sstream>

#include "isa/program_hash.hpp"
#include "isa/validator.hpp"
#include "kernels/reference/dtype_rounding.hpp"
#include "kernels/reference/max_all_close.hpp"
#include "kernels/reference/npy.hpp"
#include "kernels/reference/numpy_random.hpp"
#include "sim/func/functional_runner.hpp"
#include "sim/numerics/convert.hpp"
#include "sim/sc/timed_run.hpp"
#include "sim/timing/hw_config.hpp"
#include "tools/kernel_catalog.hpp"
#include "tools/run_config.hpp"
#include "traces/chrome_json_trace_writer.hpp"
#include "traces/perfetto_trace_writer.hpp"
#include "traces/tee_trace_sink.hpp"

namespace tn::cli {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

std::string value_text(double v) {
  std::ostringstream o;
  o << std::setprecision(17) << v;
  return o.str();
}

// Every kernel here needs finite inputs (kernels.md: a NaN or infinity in q, k, v, a sink or a scale has no
// defined result), and integer tensors (block tables, runtime lengths and offsets) exact integers of their
// dtype: a value that is not one stops the run, naming where it came from (`origin`), the element and value.
// Float values must stay finite once rounded to the tensor's dtype (70000 overflows float16).
ref::HostTensor checked_input(ref::HostTensor h, const TensorInfo& t, const std::string& origin) {
  const ref::HostTensor rounded = ref::rounded_to(h, t.dtype);
  const bool integer = !dtype_is_float(t.dtype);
  for (size_t i = 0; i < h.data.size(); ++i) {
    const double v = h.data[i];
    std::string problem;
    if (!std::isfinite(v))
      problem = "is " + value_text(v) + "; " + t.name + " needs finite values";
    else if (integer && rounded.data[i] != v)
      problem = "= " + value_text(v) + " is not a whole number in " + std::string(dtype_name(t.dtype)) +
                "'s range (" + t.name + " holds integers)";
    else if (!std::isfinite(rounded.data[i]))
      problem = "= " + value_text(v) + " overflows " + std::string(dtype_name(t.dtype)) + " to " +
                value_text(rounded.data[i]);
    if (!problem.empty())
      throw ConfigError(origin + ": element " +
                        ref::index_string(ref::unflatten_index(static_cast<int64_t>(i), h.shape)) + " " +
                        problem);
  }
  return rounded;
}

HostTensors make_inputs(const KernelSetup& k, const RunConfig& c) {
  HostTensors inputs;
  ref::NumpyLegacyRandom rng(c.seed);
  for (const auto& [name, path] : c.input_files) {
    bool known = false;
    for (const auto& t : k.inputs)
      known = known || t.name == name;
    if (!known)
      throw ConfigError(c.file + ": $.inputs.files." + name + ": " + k.kernel + " has no input '" + name +
                        "'");
  }
  for (const TensorInfo& t : k.inputs) {
    ref::HostTensor h;
    std::string origin = c.file + ": input '" + t.name + "' (from $.params)";
    if (auto f = c.input_files.find(t.name); f != c.input_files.end()) {
      origin = c.file + ": $.inputs.files." + t.name + ": " + f->second;
      try {
        h = ref::read_npy(f->second);
      } catch (const std::exception& e) {
        throw ConfigError(c.file + ": $.inputs.files." + t.name + ": " + e.what());
      }
      if (h.shape != t.shape) {
        throw ConfigError(origin + " has shape " + ref::shape_string(h.shape) + ", expected " +
                          ref::shape_string(t.shape));
      }
    } else {
      // Seeded: one generator across the inputs in the kernel's order (kernels.md §2.2); fixed values
      // (runtime parameters, packing bounds) draw nothing.
      h.shape = t.shape;
      const auto n = static_cast<size_t>(ref::HostTensor::numel_of(t.shape));
      switch (t.fill) {
        case InputFill::kRandomSample:
          h.data = rng.random_sample(n);
          break;
        case InputFill::kUniform:
          h.data = rng.random_sample(n);
          for (double& x : h.data)
            x = t.low + (t.high - t.low) * x;  // np.random.uniform(low, high, shape)
          break;
        case InputFill::kValues:
          if (t.values.size() != n)
            throw std::logic_error("input '" + t.name + "': " + std::to_string(t.values.size()) +
                                   " fixed values for shape " + ref::shape_string(t.shape));
          h.data = t.values;
          break;
      }
    }
    inputs[t.name] = checked_input(std::move(h), t, origin);
  }
  return inputs;
}

ref::HostTensor read_back(const sim::Hbm& hbm, const TensorInfo& t) {
  return ref::HostTensor{t.shape, hbm.read_exact(t.name)};
}

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p);
  out << text;
  if (!out)
    throw std::runtime_error(p.string() + ": cannot write");
}

class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : m_enabled(enabled && isatty(fileno(stderr))) {}
  void update(double fraction) {
    if (!m_enabled)
      return;
    const int percent = static_cast<int>(fraction * 100);
    if (percent == m_last)
      return;
    m_last = percent;
    const int filled = percent / 4;
    std::fprintf(stderr, "\r  simulating [%s%s] %3d%%", std::string(filled, '#').c_str(),
                 std::string(25 - filled, ' ').c_str(), percent);
    if (percent >= 100)
      std::fprintf(stderr, "\n");
  }
  ~ProgressBar() {
    if (m_enabled && m_last >= 0 && m_last < 100)
      std::fprintf(stderr, "\n");
  }

 private:
  bool m_enabled;
  int m_last = -1;
};

json timing_summary(const sc::TimedRunResult& t, const KernelSetup& k, double model_flops,
                    const timing::HwConfig& hw) {
  json s;
  const double total_ns = t.total_ps / 1000.0;
  s["total_ns"] = total_ns;
  json cores = json::array();
  for (size_t c = 0; c < t.cores.size(); ++c) {
    json engines = json::object();
    for (const auto& st : t.cores[c].streams) {
      engines[st.name] = {{"engine", isa::engine_name(st.engine)},
                          {"busy_ns", st.busy_ps / 1000.0},
                          {"busy_percent", t.total_ps ? 100.0 * st.busy_ps / t.total_ps : 0.0},
                          {"instructions", st.instructions},
                          {"semaphore_wait_ns", st.sem_wait_ps / 1000.0}};
    }
    cores.push_back({{"core", c}, {"engines", engines}});
  }
  s["cores"] = cores;
  s["opcode_counts"] = t.opcode_counts;
  json opcodes = json::object();
  for (const auto& [name, count] : t.opcode_counts) {
    opcodes[name] = {{"count", count}, {"time_ns", t.opcode_busy_ps.at(name) / 1000.0}};
  }
  s["opcodes"] = opcodes;
  // Runtime loops: how often the runtime values made each one run (the same program for every value).
  // By core, each core's in the order they first ran.
  std::vector<sc::LoopStats> by_core = t.loops;
  std::stable_sort(by_core.begin(), by_core.end(),
                   [](const sc::LoopStats& a, const sc::LoopStats& b) { return a.core < b.core; });
  json loops = json::array();
  for (const sc::LoopStats& l : by_core) {
    loops.push_back({{"core", l.core},
                     {"source", l.source},
                     {"entries", l.entries},
                     {"trips", l.trips},
                     {"max_trips", l.max_trips}});
  }
  s["loops"] = loops;
  const double peak = hw.peak_matmul_flops_per_s() * static_cast<double>(k.programs.size());
  const double seconds = total_ns * 1e-9;
  s["model_flops"] = model_flops;
  s["matmul_flops"] = t.matmul_flops;
  s["transpose_flops"] = t.transpose_flops;
  s["peak_flops_per_s"] = peak;
  s["mfu_percent"] = seconds > 0 ? 100.0 * model_flops / (seconds * peak) : 0.0;
  s["hfu_percent"] = seconds > 0 ? 100.0 * t.matmul_flops / (seconds * peak) : 0.0;
  s["hbm"] = {{"read_bytes", t.hbm_read_bytes},
              {"write_bytes", t.hbm_write_bytes},
              {"achieved_GBps", seconds > 0 ? (t.hbm_read_bytes + t.hbm_write_bytes) / seconds * 1e-9 : 0.0}};
  s["dma_bytes"] = t.dma_bytes;
  return s;
}

}  // namespace

RunOutcome run_one(const RunRequest& request) {
  const auto wall_start = Clock::now();
  RunConfig config = load_run_config(request.config);
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

  timing::HwConfig hw;
  try {
    hw = timing::load_hw_config(config.hardware, config.hardware_overrides);
  } catch (const std::exception& e) {
    throw ConfigError(config.file + ": $.hardware: " + e.what());
  }
  const isa::MemoryLimits limits = hw.memory_limits();
  KernelSetup k = setup_kernel(config.kernel, config.params(), limits);

  RunOutcome outcome;
  json& s = outcome.summary;
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
    outcome.headline = "expected failure: " + k.failure;
    return outcome;
  }
  if (k.expect_failure) {
    throw ConfigError(config.file +
                      ": $.params.expect_failure: the case expects the kernel to reject these "
                      "parameters, but it accepted them");
  }

  // Validate, and hash the programs: the same hash means the same instruction streams.
  for (const auto& p : k.programs)
    isa::validate_or_throw(p, limits);
  s["program_hash"] = isa::hash_hex(isa::programs_hash(k.programs));
  size_t num_instructions = 0;
  for (const auto& p : k.programs)
    num_instructions += p.num_instructions();
  s["instructions"] = num_instructions;
  s["cores"] = k.programs.size();

  const fs::path out_dir = request.out_dir;
  const bool write = !request.out_dir.empty();
  if (write) {
    fs::create_directories(out_dir / "inputs");
    fs::create_directories(out_dir / "outputs");
  }

  HostTensors inputs = make_inputs(k, config);
  sim::Hbm hbm;
  for (const TensorInfo& t : k.inputs) {
    hbm.declare({t.name, t.dtype, t.shape, isa::TensorKind::kInput});
    hbm.fill_exact(t.name, inputs.at(t.name).data);
    if (write)
      ref::write_npy(out_dir / "inputs" / (t.name + ".npy"), inputs.at(t.name), t.dtype);
  }
  std::vector<const isa::Program*> programs;
  for (const auto& p : k.programs)
    programs.push_back(&p);

  const auto sim_start = Clock::now();
  // Only `both` keeps a second memory image: the functional run's, to compare with the timed run's.
  std::optional<sim::Hbm> functional_hbm;
  if (config.mode == RunMode::kFunctional) {
    sim::run_functional(programs, hbm, limits);
  } else if (config.mode == RunMode::kBoth) {
    functional_hbm = hbm;
    sim::run_functional(programs, *functional_hbm, limits);
  }
  if (config.mode != RunMode::kFunctional) {
    std::vector<std::unique_ptr<trace::TraceSink>> sinks;
    if (write && config.trace_perfetto) {
      sinks.push_back(std::make_unique<trace::PerfettoTraceWriter>(out_dir / "trace.pftrace"));
    }
    if (write && config.trace_json) {
      sinks.push_back(std::make_unique<trace::ChromeJsonTraceWriter>(out_dir / "trace.json"));
    }
    trace::TeeTraceSink sink(std::move(sinks));
    ProgressBar bar(request.progress && num_instructions > 200000);
    sc::TimedRunOptions options;
    options.trace_flows = config.trace_flows;
    options.execute_numerics = config.mode != RunMode::kTimingOnly;
    options.progress = [&](double f) { bar.update(f); };
    const sc::TimedRunResult t = sc::run_timed(programs, hbm, hw, sink, options);
    sink.finish();
    s["timing"] = timing_summary(t, k, k.model_flops(inputs), hw);
    s["total_ns"] = s["timing"]["total_ns"];
    if (config.mode == RunMode::kBoth) {
      // The invariant: the timing model runs the same semantics, so the bytes must be identical.
      for (const TensorInfo& t2 : k.outputs) {
        if (hbm.at(t2.name).bytes != functional_hbm->at(t2.name).bytes) {
          throw std::runtime_error(
              "output '" + t2.name +
              "' differs between timing and functional mode: a race the semaphores do not "
              "cover");
        }
      }
      s["functional_equals_timing"] = true;
    }
  }
  const double sim_s = std::chrono::duration<double>(Clock::now() - sim_start).count();

  json numerics = {{"checked", false}, {"passed", nullptr}};
  outcome.passed = true;
  if (config.mode != RunMode::kTimingOnly) {
    HostTensors outputs;
    for (const TensorInfo& t : k.outputs) {
      outputs[t.name] = read_back(hbm, t);
      if (write)
        ref::write_npy(out_dir / "outputs" / (t.name + ".npy"), outputs[t.name], t.dtype);
    }
    if (config.check_numerics) {
      HostTensors golden = k.reference(inputs);
      numerics = {{"checked", true}, {"rtol", k.rtol}, {"atol", k.atol}, {"mode", "max"}};
      bool all = true;
      json per = json::object();
      for (const TensorInfo& t : k.outputs) {
        // The golden output is cast to the kernel's output dtype before comparing (kernels.md §2.1).
        const auto tol = k.output_tolerances.find(t.name);
        const auto [rtol, atol] = tol == k.output_tolerances.end() ? std::pair{k.rtol, k.atol} : tol->second;
        const auto r =
            ref::max_all_close(outputs.at(t.name), ref::rounded_to(golden.at(t.name), t.dtype), rtol, atol);
        per[t.name] = {{"passed", r.passed},
                       {"max_abs_err", r.max_abs_err},
                       {"max_rel_err", r.max_rel_err},
                       {"mismatches", r.num_mismatches},
                       {"elements", r.num_elements},
                       {"non_finite", r.num_non_finite_actual},
                       {"non_finite_expected", r.num_non_finite_expected},
                       {"rtol", rtol},
                       {"atol", atol},
                       {"detail", r.description}};
        all = all && r.passed;
      }
      numerics["passed"] = all;
      numerics["outputs"] = per;
      outcome.passed = all;
    }
  }
  s["numerics"] = numerics;
  const double wall_s = std::chrono::duration<double>(Clock::now() - wall_start).count();
  s["wall_s"] = wall_s;
  s["simulate_wall_s"] = sim_s;
  s["instructions_per_s"] = sim_s > 0 ? num_instructions / sim_s : 0.0;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  s["peak_rss_mb"] = usage.ru_maxrss / 1024.0;  // Linux reports kilobytes
  if (write)
    write_file(out_dir / "summary.json", s.dump(2) + "\n");

  std::ostringstream h;
  h << k.kernel;
  if (s.contains("total_ns"))
    h << "  " << std::fixed << std::setprecision(1) << s["total_ns"].get<double>() / 1000 << " us";
  if (numerics["checked"].get<bool>()) {
    for (const auto& [name, r] : numerics["outputs"].items()) {
      h << "  " << name << " max_abs_err=" << std::scientific << std::setprecision(2)
        << r["max_abs_err"].get<double>();
    }
  }
  outcome.headline = h.str();
  return outcome;
}

std::string summary_text(const json& s) {
  std::ostringstream o;
  o << std::fixed;
  o << "trnsim: " << s["kernel"].get<std::string>() << " on " << s["hardware"].value("name", std::string("?"))
    << " (" << s["cores"].get<size_t>() << " core" << (s["cores"].get<size_t>() > 1 ? "s" : "") << "), mode "
    << s["mode"].get<std::string>() << "\n";
  o << "  params       " << s["params"].dump() << "\n";
  o << "  program      " << s["instructions"].get<size_t>() << " instructions, hash "
    << s["program_hash"].get<std::string>() << "\n";
  if (s.contains("timing")) {
    const json& t = s["timing"];
    o << std::setprecision(3) << "  time         " << t["total_ns"].get<double>() / 1000.0
      << " us simulated\n";
    o << std::setprecision(1) << "  MFU          " << t["mfu_percent"].get<double>() << " %  (model "
      << t["model_flops"].get<double>() / 1e9 << " GFLOP; PE peak "
      << t["peak_flops_per_s"].get<double>() / 1e12 << " TFLOPS)\n";
    o << "  HBM          " << std::setprecision(1) << (t["hbm"]["read_bytes"].get<double>() / 1048576.0)
      << " MiB read, " << (t["hbm"]["write_bytes"].get<double>() / 1048576.0) << " MiB written, "
      << t["hbm"]["achieved_GBps"].get<double>() << " GB/s\n";
    for (const auto& core : t["cores"]) {
      o << "  core " << core["core"].get<size_t>() << " busy   ";
      int n = 0;
      for (const auto& [name, e] : core["engines"].items()) {
        if (e["instructions"].get<uint64_t>() == 0)
          continue;
        o << (n++ % 5 == 0 && n > 1 ? "\n               " : "") << std::left << std::setw(11) << name
          << std::right << std::setw(5) << std::setprecision(1) << e["busy_percent"].get<double>() << "%  ";
      }
      o << "\n";
    }
    for (const auto& l : t["loops"]) {
      o << "  loop         core " << l["core"].get<uint32_t>() << " " << l["source"].get<std::string>()
        << ": " << l["trips"].get<uint64_t>() << " trips in " << l["entries"].get<uint64_t>()
        << " entries (at most " << l["max_trips"].get<int32_t>() << ")\n";
    }
  }
  const json& nm = s["numerics"];
  if (nm["checked"].get<bool>()) {
    o << "  numerics     " << (nm["passed"].get<bool>() ? "PASS" : "FAIL") << " (max-mode, rtol "
      << std::defaultfloat << nm["rtol"].get<double>() << ", atol " << nm["atol"].get<double>() << ")\n";
    for (const auto& [name, r] : nm["outputs"].items()) {
      o << "    " << name << ": " << r["detail"].get<std::string>() << "\n";
    }
  } else {
    o << "  numerics     not checked\n";
  }
  o << std::fixed << std::setprecision(2) << "  wall         " << s["wall_s"].get<double>() << " s ("
    << std::setprecision(0) << s["instructions_per_s"].get<double>() << " instructions/s, peak "
    << s["peak_rss_mb"].get<double>() << " MiB)\n";
  return o.str();
}

}  // namespace tn::cli
