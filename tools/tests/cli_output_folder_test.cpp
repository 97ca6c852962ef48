// `trnsim run --out DIR` owns DIR: an earlier run's files are replaced, never left beside the new ones, and a
// folder no run wrote is refused rather than mixed with.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tools/tests/cli_harness.hpp"

namespace tn::cli::test {
namespace {

namespace fs = std::filesystem;

const std::string kTimed =
    R"({"kernel": "attention_cte", "params": {"seqlen_q": 128, "seqlen_kv": 128, "d": 64}, "mode": "timing",
        "trace": {"json": true}})";
const std::string kFloor =
    R"({"kernel": "floor_nisa_kernel", "params": {"p_size": 4, "f_size": 8}, "mode": "functional"})";

CommandResult run_into(const fs::path& dir, const std::string& name, const std::string& config,
                       const fs::path& out) {
  write_text(dir / name, config);
  return trnsim("run " + (dir / name).string() + " --out " + out.string());
}

TEST_CASE("run: a second run into a folder replaces the first run's files, and leaves others' alone") {
  const fs::path dir = scratch_dir("out_folder_rerun");
  const fs::path out = dir / "out";
  const CommandResult first = run_into(dir, "timed.json", kTimed, out);
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  REQUIRE(fs::exists(out / "trace.pftrace"));
  REQUIRE(fs::exists(out / "trace.json"));
  REQUIRE(fs::exists(out / "inputs/q.npy"));
  REQUIRE(fs::exists(out / ".trnsim-run"));
  write_text(out / "notes.txt", "mine");  // a file no run writes

  const CommandResult second = run_into(dir, "floor.json", kFloor, out);
  INFO(second.err);
  REQUIRE(second.exit_code == 0);
  // The functional run of another kernel: no trace, and only its own inputs and outputs.
  CHECK(!fs::exists(out / "trace.pftrace"));
  CHECK(!fs::exists(out / "trace.json"));
  std::vector<std::string> inputs;
  for (const auto& e : fs::directory_iterator(out / "inputs"))
    inputs.push_back(e.path().filename().string());
  CHECK(inputs == std::vector<std::string>{"x.npy"});  // not attention's q, k and v
  CHECK(fs::exists(out / "summary.json"));
  CHECK(read_text(out / "summary.json").find("floor_nisa_kernel") != std::string::npos);
  CHECK(read_text(out / "notes.txt") == "mine");
  // The closing line lists what this run wrote, and no trace.
  CHECK(second.out.find("outputs      " + out.string() + "/{summary.json,inputs/,outputs/}") !=
        std::string::npos);
}

TEST_CASE("run: a non-empty folder no run wrote is refused before any work, and kept as it was") {
  const fs::path dir = scratch_dir("out_folder_foreign");
  const fs::path out = dir / "mine";
  fs::create_directories(out / "data");
  write_text(out / "a.txt", "keep me");
  const CommandResult r = run_into(dir, "timed.json", kTimed, out);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("--out " + out.string() + ": the folder holds '") != std::string::npos);
  CHECK(r.err.find(
            "and 1 more and no trnsim run wrote it (no .trnsim-run in it): give a new or empty folder") !=
        std::string::npos);
  CHECK(read_text(out / "a.txt") == "keep me");
  CHECK(!fs::exists(out / "summary.json"));

  // An empty folder, and a path that is a file.
  fs::create_directories(dir / "empty");
  CHECK(run_into(dir, "floor.json", kFloor, dir / "empty").exit_code == 0);
  write_text(dir / "file", "");
  const CommandResult f = run_into(dir, "floor.json", kFloor, dir / "file");
  CHECK(f.exit_code == 1);
  CHECK(f.err.find("exists and is not a folder") != std::string::npos);
}

TEST_CASE("run: a folder an earlier trnsim wrote before the marker existed is recognised by its summary") {
  const fs::path dir = scratch_dir("out_folder_legacy");
  const fs::path out = dir / "out";
  fs::create_directories(out / "inputs");
  write_text(out / "summary.json", R"({"kernel": "attention_cte", "program_hash": "0123456789abcdef"})");
  write_text(out / "inputs/old.npy", "");
  const CommandResult r = run_into(dir, "floor.json", kFloor, out);
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(!fs::exists(out / "inputs/old.npy"));
}

}  // namespace
}  // namespace tn::cli::test
