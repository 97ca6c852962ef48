// `mpirun -np 2 trnsim sweep`: both ranks run points, results.csv matches a local sweep's but for wall
// times, a rerun reuses every point, failing and timed-out points are recorded with a non-zero exit, and a
// trnsim without its MPI helper says where it looked. mpirun runs under `timeout`, so a hang fails the test
// (exit 124) instead of stalling CI.
#include <doctest/doctest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <vector>

#include "tools/tests/cli_harness.hpp"

namespace tn::cli::test {
namespace {

namespace fs = std::filesystem;

// As root (CI) Open MPI needs --allow-run-as-root; --oversubscribe lets 2 ranks run on fewer cores.
CommandResult mpi_trnsim(int ranks, const std::string& args) {
  return run_command("timeout -k 10 300 " TRNSIM_MPIEXEC " --allow-run-as-root --oversubscribe -np " +
                     std::to_string(ranks) + " " TRNSIM_EXE " " + args);
}

// A results.csv line without its wall_s field (the only one that differs between runs); the CI example's
// rows hold no quoted fields, so commas split them.
std::string without_wall(const std::string& line, size_t wall_column) {
  std::vector<std::string> fields;
  std::stringstream in(line);
  for (std::string f; std::getline(in, f, ',');)
    fields.push_back(f);
  if (line.back() == ',')
    fields.push_back("");
  REQUIRE(fields.size() > wall_column);
  fields.erase(fields.begin() + std::ptrdiff_t(wall_column));
  std::string out;
  for (const std::string& f : fields)
    out += f + ",";
  return out;
}

TEST_CASE(
    "sweep under MPI: two ranks share the CI example's points, tabulated as a local sweep, and a rerun "
    "reuses them all") {
  const fs::path dir = scratch_dir("sweep_mpi");
  const std::string spec = TRNSIM_SOURCE_DIR "/configs/sweeps/attention_cte_small.json";
  const CommandResult local = trnsim("sweep " + spec + " --out " + (dir / "local").string() + " -j 2");
  REQUIRE(local.exit_code == 0);

  const CommandResult r = mpi_trnsim(2, "sweep " + spec + " --out " + (dir / "mpi").string());
  INFO(r.out);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("8 points: 8 passed, 0 failed, 0 skipped (0 done before)") != std::string::npos);
  // Lines in point order, each naming the rank that ran it.
  const size_t first = r.out.find("PASS  point 0000  "), last = r.out.find("PASS  point 0007  ");
  CHECK(first != std::string::npos);
  CHECK(last != std::string::npos);
  CHECK(first < last);
  // The coordinator's closing line: both ranks ran points, 8 in all.
  std::smatch m;
  REQUIRE(std::regex_search(r.out, m,
                            std::regex("2 ranks on 1 host: rank 0 ran (\\d+) points, rank 1 ran (\\d+)")));
  const int by0 = std::stoi(m[1]), by1 = std::stoi(m[2]);
  CHECK(by0 > 0);
  CHECK(by1 > 0);
  CHECK(by0 + by1 == 8);
  // Each point's result.json says which rank ran it, agreeing with the line; its run folder is there.
  std::set<int> ranks;
  for (int i = 0; i < 8; ++i) {
    const fs::path point = dir / "mpi/points" / ("000" + std::to_string(i));
    const nlohmann::json result = nlohmann::json::parse(read_text(point / "result.json"));
    ranks.insert(result.at("rank").get<int>());
    CHECK(r.out.find("point 000" + std::to_string(i) + "  ") != std::string::npos);
    CHECK(fs::exists(point / "run/summary.json"));
  }
  CHECK(ranks == std::set<int>{0, 1});

  // Same rows as the local sweep's (values, verdicts, total_ns, MFU, busy %, numerics), but for wall_s.
  const std::vector<std::string> local_csv = lines_of(read_text(dir / "local/results.csv"));
  const std::vector<std::string> csv = lines_of(read_text(dir / "mpi/results.csv"));
  REQUIRE(csv.size() == 9);
  REQUIRE(local_csv.size() == 9);
  CHECK(csv[0] == local_csv[0]);
  const auto header = lines_of(std::regex_replace(csv[0], std::regex(","), "\n"));
  const size_t wall = size_t(std::find(header.begin(), header.end(), "wall_s") - header.begin());
  REQUIRE(wall < header.size());
  for (size_t i = 1; i < csv.size(); ++i) {
    CHECK(csv[i].find('"') == std::string::npos);
    CHECK(without_wall(csv[i], wall) == without_wall(local_csv[i], wall));
  }
  CHECK(csv[1].rfind("0000,true,256,64,0.125,PASS,", 0) == 0);

  // A rerun under MPI reuses every point: nothing runs, results.csv stays as it was.
  const CommandResult again = mpi_trnsim(2, "sweep " + spec + " --out " + (dir / "mpi").string());
  INFO(again.out);
  INFO(again.err);
  CHECK(again.exit_code == 0);
  CHECK(again.out.find("8 points: 8 passed, 0 failed, 0 skipped (8 done before)") != std::string::npos);
  CHECK(again.out.find("rank 0 ran 0 points, rank 1 ran 0") != std::string::npos);
  CHECK(lines_of(read_text(dir / "mpi/results.csv")) == csv);
}

TEST_CASE(
    "sweep under MPI: a failing and a timed-out point are recorded, the exit status says so, no rank "
    "hangs") {
  const fs::path dir = scratch_dir("sweep_mpi_failing");
  // Point 1 is refused (d 0); point 2 is many seconds of numerics (16K x 16K), killed at 2 s.
  write_text(dir / "spec.json",
             R"({"base": {"kernel": "attention_cte", "params": {"seqlen_q": 128, "seqlen_kv": 128, "d": 64},
      "mode": "functional"},
      "zip": {"params.d": [64, 0, 128], "params.seqlen_q": [128, 128, 16384],
              "params.seqlen_kv": [128, 128, 16384]}})");
  const CommandResult r = mpi_trnsim(
      2, "sweep " + (dir / "spec.json").string() + " --out " + (dir / "out").string() + " --timeout 2");
  INFO(r.out);
  INFO(r.err);
  CHECK(r.exit_code != 0);
  CHECK(r.exit_code != 124);  // not ended by timeout(1)
  CHECK(r.out.find("ERROR point 0001  params.d=0, ") != std::string::npos);
  CHECK(r.out.find("3 points: 1 passed, 2 failed, 0 skipped (0 done before)") != std::string::npos);
  const std::vector<std::string> csv = lines_of(read_text(dir / "out/results.csv"));
  REQUIRE(csv.size() == 4);
  CHECK(csv[1].rfind("0000,64,128,128,PASS,", 0) == 0);
  CHECK(csv[2].rfind("0001,0,128,128,ERROR,", 0) == 0);
  CHECK(csv[2].find("head dimension must be in 1..128") != std::string::npos);
  CHECK(csv[3].rfind("0002,128,16384,16384,ERROR,", 0) == 0);
  CHECK(csv[3].find("timed out after 2 s") != std::string::npos);
}

TEST_CASE(
    "sweep under MPI: a trnsim without its MPI helper beside it names the path it looked for, and its "
    "rank ends the job") {
  const fs::path dir = scratch_dir("sweep_mpi_missing");
  fs::create_directories(dir / "bin");
  fs::copy_file(TRNSIM_EXE, dir / "bin/trnsim");
  const std::string spec = TRNSIM_SOURCE_DIR "/configs/sweeps/attention_cte_small.json";
  // PMI_RANK: how MPICH's launcher marks its ranks (Open MPI's is covered above).
  const CommandResult r = run_command("env PMI_RANK=0 " + (dir / "bin/trnsim").string() + " sweep " + spec +
                                      " --out " + (dir / "out").string());
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("PMI_RANK is set, so an MPI launcher started this sweep, which then runs in " +
                   (dir / "bin/trnsim-sweep-mpi").string() + "; it is missing") != std::string::npos);
  CHECK(!fs::exists(dir / "out"));

  // One rank lacking its helper ends the job rather than leave the other waiting for it (MPMD: rank 0 runs
  // the build's trnsim, rank 1 the copy).
  const CommandResult mixed = run_command(
      "timeout -k 10 300 " TRNSIM_MPIEXEC " --allow-run-as-root --oversubscribe -np 1 " TRNSIM_EXE " sweep " +
      spec + " --out " + (dir / "mixed").string() + " : -np 1 " + (dir / "bin/trnsim").string() + " sweep " +
      spec + " --out " + (dir / "mixed").string());
  INFO(mixed.out);
  INFO(mixed.err);
  CHECK(mixed.exit_code != 0);
  CHECK(mixed.exit_code != 124);
  CHECK(mixed.err.find("bin/trnsim-sweep-mpi; it is missing") != std::string::npos);
}

}  // namespace
}  // namespace tn::cli::test
