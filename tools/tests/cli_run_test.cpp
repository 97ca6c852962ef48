// `trnsim run` end to end: the files it writes, what they hold, and that runs are deterministic.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "kernels/reference/npy.hpp"
#include "tools/tests/cli_harness.hpp"
#include "traces/perfetto_trace_reader.hpp"

namespace tn::cli::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const char* kSmallCausal = R"({
  "description": "small causal bf16 run for the CLI tests",
  "kernel": "attention_cte",
  "params": {"bs": 2, "bs_kv": 1, "seqlen_q": 256, "seqlen_kv": 640, "d": 64, "dtype": "bfloat16",
             "scale": 0.125, "causal": true},
  "mode": "both",
  "trace": {"json": true, "flows": true}
})";

struct RunDir {
  fs::path dir, out;
  CommandResult result;
};

RunDir run_config(const std::string& name, const std::string& config, const std::string& extra = "") {
  RunDir r;
  r.dir = scratch_dir(name);
  r.out = r.dir / "out";
  write_text(r.dir / "config.json", config);
  r.result = trnsim("run " + (r.dir / "config.json").string() + " --out " + r.out.string() + " " + extra);
  return r;
}

const trace::DecodedAnnotation* annotation(const trace::DecodedTrackEvent& e, const std::string& name) {
  for (const auto& a : e.annotations) {
    if (a.name == name)
      return &a;
  }
  return nullptr;
}

TEST_CASE("cli: run writes summary, inputs, outputs and traces, and the numerics pass") {
  const RunDir r = run_config("run_files", kSmallCausal);
  INFO(r.result.err);
  REQUIRE(r.result.exit_code == 0);
  CHECK(r.result.out.find("numerics     PASS") != std::string::npos);
  for (const char* f : {"summary.json", "trace.pftrace", "trace.json", "inputs/q.npy", "inputs/k.npy",
                        "inputs/v.npy", "outputs/out.npy"}) {
    CAPTURE(f);
    CHECK(fs::exists(r.out / f));
  }
  const json s = json::parse(read_text(r.out / "summary.json"));
  CHECK(s["kernel"] == "attention_cte");
  CHECK(s["params"]["seqlen_kv"] == 640);
  CHECK(s["hardware"]["name"] == "trn2");
  CHECK(s["total_ns"].get<double>() > 0);
  CHECK(s["schema_version"] == 3);
  CHECK(s["trnsim_version"].get<std::string>().rfind("0.1.0 (", 0) == 0);
  for (const char* key : {"wall_s", "instructions", "instructions_per_s", "program_hash"}) {
    CAPTURE(key);
    CHECK(s.contains(key));
  }
  const json& t = s["timing"];
  for (const char* key : {"mfu_estimated_percent", "hfu_estimated_percent", "mbu_estimated_percent",
                          "model_flops", "hardware_flops", "opcode_counts", "hbm", "cores"}) {
    CAPTURE(key);
    CHECK(t.contains(key));
  }
  CHECK(t["hbm"]["read_bytes"].get<double>() > 0);
  CHECK(t["hbm"]["achieved_GBps"].get<double>() > 0);
  // trn2: one chip's 2.9 TB/s (configs/hw/trn2.json); MBU is the share of it the run reached.
  CHECK(t["hbm"]["peak_GBps"].get<double>() == doctest::Approx(2900));
  CHECK(t["mbu_estimated_percent"].get<double>() ==
        doctest::Approx(100 * t["hbm"]["achieved_GBps"].get<double>() / t["hbm"]["peak_GBps"].get<double>()));
  CHECK(t["opcode_counts"]["multiply_moving"].get<int>() > 0);
  const json& pe = t["cores"][0]["engines"]["Tensor"];
  CHECK(pe["engine"] == "Tensor");
  CHECK(pe["busy_ns"].get<double>() > 0);
  CHECK(pe["busy_percent"].get<double>() > 0);
  CHECK(pe["busy_percent"].get<double>() <= 100);
  CHECK(s["functional_equals_timing"] == true);
  CHECK(s["numerics"]["checked"] == true);
  CHECK(s["numerics"]["passed"] == true);
  CHECK(s["numerics"]["outputs"]["out"]["max_abs_err"].get<double>() < 0.02);

  const ref::HostTensor out = ref::read_npy(r.out / "outputs/out.npy");
  CHECK(out.shape == std::vector<int64_t>{2, 256, 64});
  const ref::HostTensor q = ref::read_npy(r.out / "inputs/q.npy");
  CHECK(q.shape == std::vector<int64_t>{2, 256, 64});
  // np.random.seed(0); np.random.random_sample() = 0.5488135039273248, rounded to bf16.
  CHECK(q.data[0] == doctest::Approx(0.546875));
  CHECK(json::parse(read_text(r.out / "trace.json")).contains("traceEvents"));
}

TEST_CASE(
    "cli: one engine vocabulary, the profiler's: the summary, the trace and disasm name engines alike") {
  const RunDir r = run_config("run_engine_names", kSmallCausal);
  REQUIRE(r.result.exit_code == 0);
  const json s = json::parse(read_text(r.out / "summary.json"));
  const trace::TraceSummary trace =
      trace::summarize_perfetto_trace(trace::read_perfetto_trace_file(r.out / "trace.pftrace"));
  const trace::ProcessSummary* nc0 = trace.find("NC0");
  REQUIRE(nc0);
  const CommandResult disasm = trnsim("disasm " + (r.dir / "config.json").string());
  REQUIRE(disasm.exit_code == 0);
  std::set<std::string> engines;
  for (const auto& [stream, e] : s["timing"]["cores"][0]["engines"].items()) {
    CAPTURE(stream);
    engines.insert(e["engine"].get<std::string>());
    const std::string engine = e["engine"].get<std::string>();
    // A stream keyed by its name: an engine's own stream is its engine's name; a DMA queue its queue's.
    CHECK((stream == engine) == (engine != "DMA"));
    CHECK(disasm.out.find("\n" + stream + ":  ; " + engine + " engine,") != std::string::npos);
    if (e["instructions"].get<uint64_t>() > 0)
      CHECK(nc0->find(stream));  // the trace's row for it
  }
  CHECK(engines == std::set<std::string>{"Tensor", "Scalar", "Vector", "GpSimd", "Sync", "DMA"});
  // The one-screen summary names them alike.
  CHECK(r.result.out.find("Tensor ") != std::string::npos);
  for (const char* old : {" pe ", " act ", " dve ", " pool "}) {
    CAPTURE(old);
    CHECK(r.result.out.find(old) == std::string::npos);
  }
}

TEST_CASE("cli: the Perfetto trace decodes, passes the checker and has the profiler's rows and fields") {
  const RunDir r = run_config("run_trace", kSmallCausal);
  REQUIRE(r.result.exit_code == 0);
  const trace::DecodedTrace decoded = trace::read_perfetto_trace_file(r.out / "trace.pftrace");
  const auto problems = trace::check_perfetto_trace(decoded);
  for (const auto& p : problems)
    FAIL_CHECK(p);
  const trace::TraceSummary summary = trace::summarize_perfetto_trace(decoded);
  INFO(summary.to_string());
  const trace::ProcessSummary* nc0 = summary.find("NC0");
  REQUIRE(nc0);
  for (const char* track : {"Tensor", "TensorMatrix", "Vector", "Scalar", "GpSimd", "qSyncIO0", "qSyncIO1",
                            "qSyncIO2", "qSyncIO3", "qScalarIO0"}) {
    CAPTURE(track);
    const trace::TrackSummary* t = nc0->find(track);
    REQUIRE(t);
    CHECK(t->slices > 0);
  }
  const auto names = nc0->track_names();
  CHECK(std::find(names.begin(), names.end(), "Tensor") < std::find(names.begin(), names.end(), "qSyncIO0"));
  for (const char* counter : {"SBUF used (bytes/partition)", "PSUM used (bytes/partition)",
                              "HBM bandwidth (GB/s)", "DMAs in flight"}) {
    CAPTURE(counter);
    const trace::TrackSummary* t = nc0->find(counter);
    REQUIRE(t);
    CHECK(t->is_counter);
    CHECK(t->counter_samples > 0);
  }
  CHECK(summary.flows > 0);
  // One multiply_moving slice, with the fields the Neuron profiler shows per instruction (sem_wait_ns
  // only where the instruction waited: some slice has it).
  bool found = false, waited = false;
  for (const auto& packet : decoded.packets) {
    if (packet.track_event && annotation(*packet.track_event, "sem_wait_ns")) {
      waited = std::get<int64_t>(annotation(*packet.track_event, "sem_wait_ns")->value) > 0;
      break;
    }
  }
  CHECK(waited);
  for (const auto& packet : decoded.packets) {
    if (!packet.track_event || packet.track_event->name != "multiply_moving")
      continue;
    const auto& e = *packet.track_event;
    for (const char* field :
         {"opcode", "operands", "bytes", "flops", "start_cycle", "end_cycle", "source", "pc"}) {
      CAPTURE(field);
      CHECK(annotation(e, field));
    }
    const auto* source = annotation(e, "source");
    REQUIRE(source);
    CHECK(std::get<std::string>(source->value).rfind("kernels/attention_cte.cpp:", 0) == 0);
    found = true;
    break;
  }
  CHECK(found);
}

TEST_CASE(
    "cli: the same config gives byte-identical traces and outputs, and summaries equal but for wall time") {
  const RunDir a = run_config("determinism_a", kSmallCausal);
  const RunDir b = run_config("determinism_b", kSmallCausal);
  REQUIRE(a.result.exit_code == 0);
  REQUIRE(b.result.exit_code == 0);
  CHECK(read_text(a.out / "trace.pftrace") == read_text(b.out / "trace.pftrace"));
  CHECK(read_text(a.out / "trace.json") == read_text(b.out / "trace.json"));
  CHECK(read_text(a.out / "outputs/out.npy") == read_text(b.out / "outputs/out.npy"));
  json sa = json::parse(read_text(a.out / "summary.json")),
       sb = json::parse(read_text(b.out / "summary.json"));
  for (json* s : {&sa, &sb}) {
    for (const char* wall : {"wall_s", "prepare_wall_s", "simulate_wall_s", "reference_wall_s",
                             "reference_wait_wall_s", "instructions_per_s", "peak_rss_mb", "config"})
      s->erase(wall);
  }
  CHECK(sa == sb);
}

TEST_CASE("cli: --perturb-schedule moves the timeline but not one output byte") {
  const RunDir plain = run_config("perturb_plain", kSmallCausal);
  REQUIRE(plain.result.exit_code == 0);
  const json s0 = json::parse(read_text(plain.out / "summary.json"));
  CHECK_FALSE(s0.contains("schedule_perturbation_seed"));
  for (const char* seed : {"1", "424242"}) {
    CAPTURE(seed);
    const RunDir r =
        run_config(std::string("perturb_") + seed, kSmallCausal, std::string("--perturb-schedule ") + seed);
    INFO(r.result.err);
    REQUIRE(r.result.exit_code == 0);
    const json s = json::parse(read_text(r.out / "summary.json"));
    CHECK(s["schedule_perturbation_seed"] == std::stoull(seed));
    CHECK(s["functional_equals_timing"] == true);
    CHECK(s["total_ns"] != s0["total_ns"]);  // the perturbation took effect
    CHECK(read_text(r.out / "outputs/out.npy") == read_text(plain.out / "outputs/out.npy"));
  }
  const RunDir timing = run_config("perturb_timing", kSmallCausal, "--perturb-schedule 3 --mode timing");
  CHECK(timing.result.exit_code != 0);
  CHECK(timing.result.err.find("--perturb-schedule: needs mode both") != std::string::npos);
}

TEST_CASE("cli: LNC2 runs two NeuronCores and the trace shows both") {
  const RunDir r = run_config("lnc2", R"({"kernel": "attention_cte",
    "params": {"bs": 3, "seqlen_q": 1024, "seqlen_kv": 512, "d": 32, "dtype": "bfloat16", "scale": 0.125,
               "causal": true, "lnc": 2}, "mode": "both"})");
  INFO(r.result.err);
  REQUIRE(r.result.exit_code == 0);
  const auto summary =
      trace::summarize_perfetto_trace(trace::read_perfetto_trace_file(r.out / "trace.pftrace"));
  REQUIRE(summary.find("NC0"));
  REQUIRE(summary.find("NC1"));
  CHECK(summary.find("NC1")->find("TensorMatrix")->slices > 0);
  const json s = json::parse(read_text(r.out / "summary.json"));
  CHECK(s["cores"] == 2);
  CHECK(s["numerics"]["passed"] == true);
}

TEST_CASE("cli: timing_only runs skip numerics but keep the timeline") {
  const RunDir r = run_config("timing_only", kSmallCausal, "--mode timing_only");
  REQUIRE(r.result.exit_code == 0);
  const json s = json::parse(read_text(r.out / "summary.json"));
  CHECK(s["numerics"]["checked"] == false);
  CHECK(s["total_ns"].get<double>() > 0);
  CHECK_FALSE(fs::exists(r.out / "outputs/out.npy"));
}

TEST_CASE("cli: inputs from .npy files replace the seeded ones") {
  const RunDir first = run_config("npy_inputs_a", kSmallCausal);
  REQUIRE(first.result.exit_code == 0);
  // Feed the first run's inputs back in, with a different seed: same output bytes.
  const std::string cfg = std::string(R"({"kernel": "attention_cte",
    "params": {"bs": 2, "bs_kv": 1, "seqlen_q": 256, "seqlen_kv": 640, "d": 64, "dtype": "bfloat16", "scale": 0.125},
    "inputs": {"seed": 7, "files": {"q": ")") +
                          (first.out / "inputs/q.npy").string() + R"(", "k": ")" +
                          (first.out / "inputs/k.npy").string() + R"(", "v": ")" +
                          (first.out / "inputs/v.npy").string() + R"("}}, "mode": "functional"})";
  const RunDir second = run_config("npy_inputs_b", cfg);
  INFO(second.result.err);
  REQUIRE(second.result.exit_code == 0);
  CHECK(read_text(first.out / "outputs/out.npy") == read_text(second.out / "outputs/out.npy"));
}

TEST_CASE("cli: disasm lists every stream with waits and kernel source lines") {
  const fs::path dir = scratch_dir("disasm");
  write_text(dir / "c.json", kSmallCausal);
  const CommandResult r = trnsim("disasm " + (dir / "c.json").string());
  REQUIRE(r.exit_code == 0);
  for (const char* text :
       {"Tensor:  ; Tensor engine", "Scalar:  ; Scalar engine", "Vector:  ; Vector engine",
        "qSyncIO0:  ; DMA engine", "multiply_moving", "wait S[", "kernels/attention_cte.cpp:"}) {
    CAPTURE(text);
    CHECK(r.out.find(text) != std::string::npos);
  }
}

}  // namespace
}  // namespace tn::cli::test
