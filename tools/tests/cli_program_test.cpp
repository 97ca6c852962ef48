// The "program" kernel: a program JSON (here what `trnsim disasm --json` wrote) run as it is, with .npy
// inputs and expected outputs, and what it says when the program, a file or an expectation is wrong.
#include <doctest/doctest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "kernels/reference/npy.hpp"
#include "tools/tests/cli_harness.hpp"

namespace tn::cli::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// An LNC2 attention config, run once (its inputs and outputs written) and disassembled to prog.json.
fs::path make_program(const std::string& name) {
  const fs::path dir = scratch_dir(name);
  write_text(dir / "kernel.json",
             R"({"kernel": "attention_cte", "params": {"bs": 2, "seqlen_q": 256, "seqlen_kv": 384,
      "d": 64, "lnc": 2, "scale": 0.7, "causal": true}, "mode": "functional"})");
  REQUIRE(
      trnsim("run " + (dir / "kernel.json").string() + " --out " + (dir / "kernel_out").string()).exit_code ==
      0);
  const CommandResult d = trnsim("disasm " + (dir / "kernel.json").string() + " --json");
  REQUIRE(d.exit_code == 0);
  write_text(dir / "prog.json", d.out);
  return dir;
}

std::string program_config(const std::string& program, const std::string& expected,
                           const std::string& extra = "") {
  return R"({"kernel": "program", "params": {"program": ")" + program + R"(", "expected": {"out": ")" +
         expected + R"("})" + extra +
         R"(}, "inputs": {"files": {"q": "kernel_out/inputs/q.npy", "k": "kernel_out/inputs/k.npy",
         "v": "kernel_out/inputs/v.npy"}}, "mode": "both"})";
}

CommandResult run_program(const fs::path& dir, const std::string& config, const std::string& out = "out") {
  write_text(dir / "p.json", config);
  return trnsim("run " + (dir / "p.json").string() + " --out " + (dir / out).string());
}

TEST_CASE("program: disasm --json's LNC2 program runs as it is and matches the expected outputs") {
  const fs::path dir = make_program("program_roundtrip");
  CHECK(json::parse(read_text(dir / "prog.json")).size() == 2);  // a list: one program per core
  const CommandResult r = run_program(dir, program_config("prog.json", "kernel_out/outputs/out.npy"));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("trnsim: program on trn2 (2 cores), mode both") != std::string::npos);
  CHECK(r.out.find("numerics     PASS") != std::string::npos);
  // The same program on the same inputs: the same bytes as the kernel's own run, in both modes.
  CHECK(read_text(dir / "out/outputs/out.npy") == read_text(dir / "kernel_out/outputs/out.npy"));
  const json s = json::parse(read_text(dir / "out/summary.json"));
  CHECK(s["functional_equals_timing"] == true);
  CHECK(s["timing"]["hardware_flops"].get<double>() > 0);
  CHECK(s["timing"]["model_flops"].get<double>() == 0);  // no model of an arbitrary program's useful work
}

TEST_CASE("program: expected values it does not reach fail the check; tolerances come from the config") {
  const fs::path dir = make_program("program_mismatch");
  ref::HostTensor out = ref::read_npy(dir / "kernel_out/outputs/out.npy");
  for (double& x : out.data)
    x *= 1.01;  // 1 % off: inside rtol 2e-2, outside 1e-3
  ref::write_npy(dir / "near.npy", out, DType::kFloat32);
  CHECK(run_program(dir, program_config("prog.json", "near.npy")).exit_code == 0);
  const CommandResult tight =
      run_program(dir, program_config("prog.json", "near.npy", R"(, "rtol": 1e-3, "atol": 0)"));
  CHECK(tight.exit_code == 1);
  CHECK(tight.out.find("numerics     FAIL (max-mode, rtol 0.001, atol 0)") != std::string::npos);
}

TEST_CASE("program: bad programs, files and expectations are named by JSON path") {
  const fs::path dir = make_program("program_errors");
  json prog = json::parse(read_text(dir / "prog.json"));
  prog[0]["streams"][0]["instructions"][0]["opcode"] = "frobnicate";
  write_text(dir / "bad_op.json", prog.dump());
  CommandResult r = run_program(dir, program_config("bad_op.json", "kernel_out/outputs/out.npy"));
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("$.params.program: " + (dir / "bad_op.json").string() +
                   "[0]: $.streams[0].instructions[0].opcode: unknown instruction \"frobnicate\"") !=
        std::string::npos);

  // A program the validator refuses: an access past the SBUF partition, named with the kernel source line.
  prog = json::parse(read_text(dir / "prog.json"));
  const std::string loc = prog[0]["streams"][0]["instructions"][0]["loc"];
  prog[0]["streams"][0]["instructions"][0]["stationary"]["offset"] = 1000000000;
  write_text(dir / "bad_sbuf.json", prog.dump());
  r = run_program(dir, program_config("bad_sbuf.json", "kernel_out/outputs/out.npy"));
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("program failed validation") != std::string::npos);
  CHECK(r.err.find("(" + loc + "): stationary: bytes [1000000000, 1000000256) overflow") !=
        std::string::npos);

  r = run_program(dir, program_config("missing.json", "kernel_out/outputs/out.npy"));
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("$.params.program: ") != std::string::npos);
  CHECK(r.err.find((dir / "missing.json").string()) != std::string::npos);

  r = run_program(
      dir, R"({"kernel": "program", "params": {"program": "prog.json", "expected": {"lse": "x.npy"}}})");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("$.params.expected.lse: the program has no output 'lse'") != std::string::npos);

  r = run_program(dir, R"({"kernel": "program", "params": {"program": "prog.json"}, "mode": "functional"})");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("$.params.expected: no expected values for output 'out'") != std::string::npos);

  ref::write_npy(dir / "wrong_shape.npy", ref::HostTensor::zeros({3, 4}), DType::kFloat32);
  r = run_program(dir, program_config("prog.json", "wrong_shape.npy"));
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("$.params.expected.out: " + (dir / "wrong_shape.npy").string() +
                   " has shape (3, 4), the program's 'out' is (2, 256, 64)") != std::string::npos);
}

// kTiles tiles, each written twice by Vector (1.0, then 2.0) and copied out by a DMA queue that waits for the
// first write only: the missing wait is the copy's on the second write. The functional pass runs Vector to
// its end first (every copy sees 2.0); a perturbed timed pass starts some copy between the two writes.
json racy_program(int tiles) {
  json vector = json::array(), queue = json::array();
  for (int i = 0; i < tiles; ++i) {
    const json tile = {{"mem", "sbuf"},
                       {"offset", 64 * i},
                       {"partitions", {0, 128}},
                       {"dtype", "float32"},
                       {"dims", {{1, 16}}}};
    vector.push_back({{"opcode", "memset"}, {"dst", tile}, {"value", 1.0}, {"loc", "racy.cpp:10"}});
    vector.push_back({{"opcode", "memset"}, {"dst", tile}, {"value", 2.0}, {"loc", "racy.cpp:11"}});
    const json out = {{"mem", "hbm"},           {"tensor", 0},        {"offset", i * 128 * 16},
                      {"partition", {16, 128}}, {"dtype", "float32"}, {"dims", {{1, 16}}}};
    queue.push_back({{"opcode", "dma_copy"},
                     {"dst", out},
                     {"src", tile},
                     {"waits", {{0, 2 * i + 1}}},
                     {"loc", "racy.cpp:12"}});
  }
  return {{"format", "trnsim-program-1"},
          {"kernel", "racy"},
          {"core_id", 0},
          {"buffers", json::array()},
          {"tensors",
           {{{"name", "out"},
             {"dtype", "float32"},
             {"shape", {tiles, 128, 16}},
             {"kind", "output"},
             {"scope", "shared"}}}},
          {"semaphores", {{{"name", "Vector"}, {"initial", 0}}, {{"name", "qSyncIO0"}, {"initial", 0}}}},
          {"streams",
           {{{"name", "Vector"}, {"engine", "Vector"}, {"completion_sem", 0}, {"instructions", vector}},
            {{"name", "qSyncIO0"}, {"engine", "DMA"}, {"completion_sem", 1}, {"instructions", queue}}}}};
}

TEST_CASE("program: --perturb-schedule names the two instructions of a missing wait") {
  const fs::path dir = scratch_dir("program_race");
  constexpr int kTiles = 32;
  write_text(dir / "racy.json", racy_program(kTiles).dump());
  ref::HostTensor twos = ref::HostTensor::zeros({kTiles, 128, 16});
  std::fill(twos.data.begin(), twos.data.end(), 2.0);
  ref::write_npy(dir / "twos.npy", twos, DType::kFloat32);
  const std::string config =
      R"({"kernel": "program", "params": {"program": "racy.json", "expected": {"out": "twos.npy"}}, "mode": "both"})";
  // Unperturbed, the race hides: the timed schedule happens to order every copy after its second write.
  const CommandResult plain = run_program(dir, config, "plain");
  INFO(plain.err);
  CHECK(plain.exit_code == 0);
  const CommandResult perturbed = trnsim("run " + (dir / "p.json").string() + " --out " +
                                         (dir / "perturbed").string() + " --perturb-schedule 1");
  INFO(perturbed.err);
  CHECK(perturbed.exit_code == 1);
  CHECK(perturbed.err.find(
            "output 'out' differs between timing and functional mode under the schedule perturbed "
            "with seed 1 (first at byte 2): a race the semaphores do not cover. qSyncIO0[0] dma_copy "
            "(racy.cpp:12) is the first instruction to read other data than in the functional pass: "
            "in the timed pass it ran before Vector[1] memset (racy.cpp:11), which writes memory it "
            "reads, and in the functional pass after it; no semaphore orders the two") != std::string::npos);
}

}  // namespace
}  // namespace tn::cli::test
