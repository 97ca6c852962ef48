// tn_fuzz_seeds SOURCE_DIR OUT_DIR: the fuzz targets' seed corpora (OUT_DIR/<target>/) and dictionaries
// (OUT_DIR/<target>.dict), written from what the project itself holds and writes rather than copied blobs:
//   run_config:      configs/runs/*.json, and each kernel's example parameters (its table's) as a
//                    timing_only run, with hardware overrides, a launch and an input file;
//   hw_config:       configs/hw/*.json, configs/systems/*.json and override objects;
//   program_json:    the programs of the small kernel examples, as `trnsim disasm --json` writes them;
//   npy:             small tensors of every dtype through write_npy (values and narrow-float bits);
//   perfetto_trace:  a small trace through PerfettoTraceWriter (tracks, slices with args, counters, flows).
// A JSON target's dictionary holds every object key and short string value of its seeds, plus (run configs)
// every kernel parameter's name and choices, so the fuzzer can spell what the readers look for.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include "isa/dtype.hpp"
#include "isa/program_json.hpp"
#include "kernels/reference/npy.hpp"
#include "sim/io/json_file.hpp"
#include "sim/timing/hw_config.hpp"
#include "tools/kernel_catalog.hpp"
#include "tools/kernel_params.hpp"
#include "traces/perfetto_trace_writer.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace tn;

// Seeds above this size slow every execution that mutates them without covering more.
constexpr size_t kMaxSeedBytes = 64 * 1024;

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out)
    throw std::runtime_error(p.string() + ": cannot write");
}

class Corpus {
 public:
  Corpus(const fs::path& out, const std::string& target)
      : m_dir(out / target), m_dict(out / (target + ".dict")) {
    fs::remove_all(m_dir);
    fs::create_directories(m_dir);
  }
  ~Corpus() {
    std::string dict;
    for (const std::string& t : m_tokens)
      dict += json(t).dump() + "\n";  // a JSON string literal is a valid libFuzzer dictionary entry
    write_text(m_dict, dict);
  }

  void add_json(const std::string& name, const json& doc) {
    collect_tokens(doc);
    add_bytes(name, doc.dump(1));
  }
  void add_bytes(const std::string& name, const std::string& bytes) {
    if (bytes.size() <= kMaxSeedBytes)
      write_text(m_dir / name, bytes);
  }
  void add_token(const std::string& t) { m_tokens.insert("\"" + t + "\""); }
  const fs::path& dir() const { return m_dir; }

 private:
  void collect_tokens(const json& j) {
    if (j.is_object()) {
      for (const auto& [k, v] : j.items()) {
        add_token(k);
        collect_tokens(v);
      }
    } else if (j.is_array()) {
      for (const json& v : j)
        collect_tokens(v);
    } else if (j.is_string() && j.get<std::string>().size() <= 32) {
      add_token(j.get<std::string>());
    }
  }

  fs::path m_dir, m_dict;
  std::set<std::string> m_tokens;
};

void add_json_files(Corpus& c, const fs::path& folder, const std::string& prefix) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(folder)) {
    if (e.path().extension() == ".json")
      files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files)
    c.add_json(prefix + f.filename().string(), io::read_json(f.string()));
}

void write_npy_seeds(Corpus& c) {
  ref::HostTensor small;
  small.shape = {2, 3};
  small.data = {0.0, -1.5, 2.25, 1e30, -0.0, 7.0};
  ref::HostTensor ints = small;  // in every integer dtype's range
  ints.data = {0, 1, 2, 100, 127, 7};
  for (DType d : kAllDTypes) {
    const std::string name(dtype_name(d));
    ref::write_npy(c.dir() / (name + ".npy"), dtype_is_float(d) ? small : ints, d);
    if (dtype_is_float(d))
      ref::write_npy(c.dir() / (name + "_bits.npy"), small, d, ref::NarrowFloats::kAsBits);
  }
  ref::write_npy(c.dir() / "float64.npy", small);
  ref::HostTensor scalar;  // shape ()
  scalar.data = {3.5};
  ref::write_npy(c.dir() / "scalar.npy", scalar);
  ref::HostTensor empty;
  empty.shape = {0, 4};
  ref::write_npy(c.dir() / "empty.npy", empty);
}

void write_trace_seed(Corpus& c) {
  trace::PerfettoTraceWriter w(c.dir() / "small.pftrace");
  const trace::TrackId nc0 = w.add_process(1, "NC0");
  const trace::TrackId pe = w.add_slice_track(nc0, "Tensor", 0);
  const trace::TrackId act = w.add_slice_track(nc0, "Scalar", 1);
  const trace::TrackId sbuf = w.add_counter_track(nc0, "SBUF used", "bytes", 2);
  const trace::Arg args[] = {
      {"opcode", std::string_view("matmul")}, {"flops", int64_t(4096)}, {"ratio", 0.5}};
  const uint64_t flow[] = {7};
  w.slice(pe, "matmul", 0, 100, args, flow);
  w.slice(pe, "matmul", 50, 150, args);  // overlaps: a second lane
  w.slice(act, "activation", 120, 300, args, flow);
  w.counter(sbuf, 0, 0);
  w.counter(sbuf, 100, 65536);
  w.finish();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: tn_fuzz_seeds SOURCE_DIR OUT_DIR\n");
    return 2;
  }
  const fs::path source = argv[1], out = argv[2];
  try {
    const timing::HwConfig trn2 = timing::load_hw_config("trn2");
    Corpus npy(out, "npy");
    write_npy_seeds(npy);
    {
      Corpus runs(out, "run_config");
      add_json_files(runs, source / "configs/runs", "");
      for (const std::string& kernel : cli::kernel_names()) {
        const cli::KernelParamTable& table = *cli::kernel_param_table(kernel);
        for (const cli::ParamSpec& p : table.params) {
          runs.add_token(p.name);
          for (const std::string& choice : p.choices)
            runs.add_token(choice);
        }
        if (table.example.is_null())
          continue;
        runs.add_json(kernel + "_example.json",
                      {{"kernel", kernel}, {"params", table.example}, {"mode", "timing_only"}});
        runs.add_json(kernel + "_overrides.json",
                      {{"kernel", kernel},
                       {"params", table.example},
                       {"hardware", {{"preset", "trn2"}, {"overrides", {{"dma", {{"engines", 8}}}}}}},
                       {"launch", {{"placement", "one_per_chip"}}},
                       {"trace", {{"perfetto", false}}}});
      }
      for (DType d : kAllDTypes)
        runs.add_token(std::string(dtype_name(d)));
      runs.add_json("matmul_file_input.json",
                    {{"kernel", "matmul"},
                     {"params", cli::kernel_param_table("matmul")->example},
                     {"inputs", {{"seed", 3}, {"files", {{"a", (npy.dir() / "float32.npy").string()}}}}}});
    }
    {
      Corpus hw(out, "hw_config");
      add_json_files(hw, source / "configs/hw", "hw_");
      add_json_files(hw, source / "configs/systems", "system_");
      hw.add_json("overrides_hw.json",
                  {{"dma", {{"engines", 8}, {"fixed_latency_ns", 1000.5}}}, {"pe", {{"clock_mhz", 1400}}}});
      hw.add_json("overrides_system.json",
                  {{"torus", {{"x_link_gb_per_s", 128}}}, {"cc", {{"packet_bytes", 4096}}}});
    }
    {
      Corpus programs(out, "program_json");
      for (const std::string& kernel : {"floor_nisa_kernel", "ceil_nisa_kernel", "matmul", "attention_cte"}) {
        const cli::KernelParamTable& table = *cli::kernel_param_table(kernel);
        const cli::JsonObject params(table.example, "example", "$.params");
        const cli::KernelSetup k = cli::setup_kernel(kernel, params, trn2.memory_limits());
        json list = json::array();
        for (const isa::Program& p : k.programs)
          list.push_back(isa::program_to_json(p));
        programs.add_json(kernel + ".json", list.size() == 1 ? list[0] : list);
      }
    }
    Corpus traces(out, "perfetto_trace");
    write_trace_seed(traces);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tn_fuzz_seeds: %s\n", e.what());
    return 1;
  }
  return 0;
}
