// A run's estimate (tools/run_estimate.hpp) before anything is built: a run the machine cannot hold is
// refused at once naming the parameters behind the estimate, --max-memory sets the limit, and a long run says
// how long before it starts.
#include <doctest/doctest.h>

#include <chrono>

#include "tools/tests/cli_harness.hpp"

namespace tn::cli::test {
namespace {

const std::string kHuge =
    R"({"kernel": "attention_cte", "params": {"seqlen_q": 131072, "seqlen_kv": 131072, "d": 128, "bs": 64}})";
const std::string kSmall =
    R"({"kernel": "attention_cte", "params": {"seqlen_q": 512, "seqlen_kv": 512, "d": 64, "scale": 0.125}})";

CommandResult run_with(const std::string& name, const std::string& config, const std::string& options) {
  const auto dir = scratch_dir(name);
  write_text(dir / "c.json", config);
  return trnsim("run " + (dir / "c.json").string() + " --out " + (dir / "out").string() + " " + options);
}

TEST_CASE("run estimate: a run too large for the machine is refused at once, naming its parameters") {
  // With numerics its tensors alone are ~56 GiB; timing_only holds only the program (~100 M instructions, ~15
  // GiB), refused here below that by --max-memory (this machine class has 16-21 GiB available).
  for (const std::string mode : {"both", "timing_only"}) {
    const auto start = std::chrono::steady_clock::now();
    const CommandResult r = run_with("estimate_huge_" + mode, kHuge,
                                     "--mode " + mode + (mode == "both" ? "" : " --max-memory 8G"));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    INFO(r.err);
    CHECK(r.exit_code != 0);
    CHECK(seconds < 1.0);
    CHECK(r.err.find("$.params: attention_cte: bs * seqlen_q * seqlen_kv = 64 * 131072 * 131072 = 1099.5 G: "
                     "the program would have ~") != std::string::npos);
    CHECK(r.err.find(mode == "both" ? "available (MemAvailable, /proc/meminfo) (--max-memory to change)"
                                    : "more than the 8.0 GiB that --max-memory allows") != std::string::npos);
    CHECK(r.err.find(mode == "both" ? "tensors and reference" : "(timing_only)") != std::string::npos);
  }
}

TEST_CASE("run estimate: --max-memory refuses a normal run below its estimate and lets it run above") {
  const CommandResult small = run_with("estimate_small_limit", kSmall, "--max-memory 64K");
  INFO(small.err);
  CHECK(small.exit_code != 0);
  CHECK(small.err.find("bs * seqlen_q * seqlen_kv = 1 * 512 * 512 = 262.1 K") != std::string::npos);
  CHECK(small.err.find("more than the 64.0 KiB that --max-memory allows") != std::string::npos);
  const CommandResult enough = run_with("estimate_enough", kSmall, "--max-memory 1G");
  INFO(enough.err);
  CHECK(enough.exit_code == 0);
  CHECK(enough.err.empty());  // a short run prints no estimate
  const CommandResult bad = run_with("estimate_bad_size", kSmall, "--max-memory 12Q");
  CHECK(bad.exit_code != 0);
  CHECK(bad.err.find("--max-memory: expected a size") != std::string::npos);
}

TEST_CASE("run estimate: trnsim check passes --max-memory to each run") {
  const auto dir = scratch_dir("estimate_check");
  write_text(dir / "c.json", kSmall);
  const CommandResult refused = trnsim("check " + (dir / "c.json").string() + " --max-memory 64K");
  CHECK(refused.exit_code != 0);
  CHECK(refused.out.find("ERROR") != std::string::npos);
  CHECK(refused.out.find("that --max-memory allows") != std::string::npos);
  const CommandResult passed = trnsim("check " + (dir / "c.json").string() + " --max-memory 4G");
  INFO(passed.out);
  CHECK(passed.exit_code == 0);
  CHECK(passed.out.find("1 passed") != std::string::npos);
}

TEST_CASE("run estimate: a long run prints its instructions and expected time before it starts") {
  // 48K with numerics: ~174 K instructions at ~10 K/s. Its q file is missing, so the run stops at the inputs,
  // after the estimate was printed and the program built.
  const CommandResult r =
      run_with("estimate_long",
               R"({"kernel": "attention_cte", "params": {"seqlen_q": 49152, "seqlen_kv": 49152, "d": 128},
          "inputs": {"files": {"q": "missing_q.npy"}}})",
               "");
  INFO(r.err);
  CHECK(r.exit_code != 0);
  CHECK(r.err.find("trnsim: attention_cte: bs * seqlen_q * seqlen_kv = 1 * 49152 * 49152 = 2.4 G: ~") == 0);
  CHECK(r.err.find(" s at ~10.0 K instructions/s (with numerics and the reference") != std::string::npos);
  CHECK(r.err.find("missing_q.npy") != std::string::npos);
}

TEST_CASE("run estimate: a program declaring a huge tensor is refused before it is allocated") {
  // Was std::bad_alloc: the program kernel had no estimate.
  const auto dir = scratch_dir("estimate_program");
  write_text(dir / "prog.json",
             R"({"format": "trnsim-program-1", "kernel": "huge", "core_id": 0, "buffers": [],
    "tensors": [{"name": "out", "dtype": "float32", "shape": [1048576, 1048576], "kind": "output", "scope": "shared"}],
    "semaphores": [{"name": "Vector", "initial": 0}],
    "streams": [{"name": "Vector", "engine": "Vector", "completion_sem": 0, "instructions": []}]})");
  write_text(dir / "c.json",
             R"({"kernel": "program", "params": {"program": "prog.json"}, "check_numerics": false})");
  const CommandResult r = trnsim("run " + (dir / "c.json").string() + " --out " + (dir / "out").string());
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find(
            "$.params: program: " + (dir / "prog.json").string() +
            "'s largest tensor 'out' (1048576, 1048576) float32: the program would have ~0 instructions") !=
        std::string::npos);
  CHECK(r.err.find("(--max-memory to change)") != std::string::npos);
}

TEST_CASE("run estimate: a collective whose results outgrow the machine is refused before drawing inputs") {
  // Was 100 s and 10 GiB into drawing its inputs, on its way to 6 TiB.
  const CommandResult r = run_with(
      "estimate_collective",
      R"({"kernel": "collective", "params": {"kind": "all_gather", "bytes": 4194304, "ranks": 512}})", "");
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find(
            "$.params: collective: ranks * group size * bytes = 512 * 512 * 4194304 = 1099.5 G: the program "
            "would have ~3 instructions") != std::string::npos);
}

}  // namespace
}  // namespace tn::cli::test
