// `trnsim sweep`: the grid of points, results.csv, reruns that reuse what is done, failing points recorded
// while the others run, and spec errors named by JSON path.
#include <doctest/doctest.h>

#include <sstream>
#include <vector>

#include "tools/tests/cli_harness.hpp"

namespace tn::cli::test {
namespace {

namespace fs = std::filesystem;

TEST_CASE("sweep: the CI example's grid runs every point, tabulates it, and a rerun reuses it all") {
  const fs::path dir = scratch_dir("sweep_example");
  const std::string spec = TRNSIM_SOURCE_DIR "/configs/sweeps/attention_cte_small.json";
  const CommandResult r = trnsim("sweep " + spec + " --out " + (dir / "out").string() + " -j 2");
  INFO(r.out);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("8 points: 8 passed, 0 failed, 0 skipped (0 done before)") != std::string::npos);
  const std::vector<std::string> csv = lines_of(read_text(dir / "out/results.csv"));
  REQUIRE(csv.size() == 9);
  CHECK(csv[0] ==
        "point,params.causal,params.seqlen_q,params.d,params.scale,verdict,total_ns,mfu_estimated_percent,"
        "hfu_estimated_percent,mbu_estimated_percent,busy_Tensor_percent,busy_Scalar_percent,"
        "busy_Vector_percent,busy_GpSimd_percent,busy_Sync_percent,busy_DMA_max_percent,numerics,wall_s,message");
  // Product keys in key order, the first slowest; the zip's tuples innermost.
  CHECK(csv[1].rfind("0000,true,256,64,0.125,PASS,", 0) == 0);
  CHECK(csv[2].rfind("0001,true,256,128,0.0884,PASS,", 0) == 0);
  CHECK(csv[3].rfind("0002,true,512,64,0.125,PASS,", 0) == 0);
  CHECK(csv[8].rfind("0007,false,512,128,0.0884,PASS,", 0) == 0);
  CHECK(csv[8].find(",pass,") != std::string::npos);
  // Each point's run folder, and its config with the swept values in place.
  CHECK(read_text(dir / "out/points/0007/config.json").find("\"seqlen_q\": 512") != std::string::npos);
  CHECK(fs::exists(dir / "out/points/0007/run/summary.json"));

  const CommandResult again = trnsim("sweep " + spec + " --out " + (dir / "out").string());
  CHECK(again.exit_code == 0);
  CHECK(again.out.find("8 points: 8 passed, 0 failed, 0 skipped (8 done before)") != std::string::npos);
  CHECK(lines_of(read_text(dir / "out/results.csv")) == csv);
}

TEST_CASE("sweep: a failing point is recorded and the others run, a rerun retries it, and a changed point") {
  const fs::path dir = scratch_dir("sweep_failing");
  const std::string spec =
      R"({"base": {"kernel": "attention_cte", "params": {"seqlen_q": 128, "seqlen_kv": 128, "d": 64},
      "mode": "functional"}, "product": {"params.d": [64, 0, 32]}})";
  write_text(dir / "spec.json", spec);
  const std::string cmd = "sweep " + (dir / "spec.json").string() + " --out " + (dir / "out").string();
  const CommandResult r = trnsim(cmd);
  INFO(r.out);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("ERROR point 0001  params.d=0  ") != std::string::npos);
  CHECK(r.out.find("3 points: 2 passed, 1 failed, 0 skipped (0 done before)") != std::string::npos);
  const std::vector<std::string> csv = lines_of(read_text(dir / "out/results.csv"));
  REQUIRE(csv.size() == 4);
  CHECK(csv[2].rfind("0001,0,ERROR,", 0) == 0);
  CHECK(csv[2].find("$.params.d: attention_cte: d: head dimension must be in 1..128") != std::string::npos);

  // The error is tried again; the two passes are not. A changed value reruns that point only.
  write_text(dir / "spec.json",
             R"({"base": {"kernel": "attention_cte", "params": {"seqlen_q": 128, "seqlen_kv": 128,
      "d": 64}, "mode": "functional"}, "product": {"params.d": [64, 0, 16]}})");
  const CommandResult again = trnsim(cmd);
  CHECK(again.out.find("3 points: 2 passed, 1 failed, 0 skipped (1 done before)") != std::string::npos);
  CHECK(again.out.find("PASS  point 0000  params.d=64  ") != std::string::npos);
  CHECK(again.out.find("done before]") != std::string::npos);
}

// A sweep's points live in DIR/points/NNNN/, but the files their base names sit beside the file that named
// them: the base file, or the spec for an inline base. A run config says where its paths resolve from with
// "paths_relative_to" (relative to its own folder).
TEST_CASE("sweep: relative input paths resolve beside the file that names them, and paths_relative_to") {
  const fs::path dir = scratch_dir("sweep_paths");
  const std::string params =
      R"("params": {"seqlen_q": 128, "seqlen_kv": 128, "d": 64}, "mode": "functional")";
  // Seed 7, not the default 0: a point that drew its inputs afresh would not hold these.
  write_text(dir / "make.json", R"({"kernel": "attention_cte", "inputs": {"seed": 7}, )" + params + "}");
  REQUIRE(trnsim("run " + (dir / "make.json").string() + " --out " + (dir / "data").string()).exit_code == 0);
  const std::string files = R"("inputs": {"files": {"q": "data/inputs/q.npy"}})";
  write_text(dir / "base.json", R"({"kernel": "attention_cte", )" + params + ", " + files + "}");
  const std::string sweep = R"(, "product": {"params.scale": [0.5, 2.0]}})";
  write_text(dir / "from_file.json", R"({"base": "base.json")" + sweep);
  write_text(dir / "inline.json",
             R"({"base": {"kernel": "attention_cte", )" + params + ", " + files + "}" + sweep);
  for (const char* spec : {"from_file.json", "inline.json"}) {
    const CommandResult r =
        trnsim("sweep " + (dir / spec).string() + " --out " + (dir / "out" / spec).string());
    INFO(spec << "\n" << r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("2 points: 2 passed") != std::string::npos);
  }
  // The inputs the points read are the file's, not fresh draws.
  CHECK(read_text(dir / "out/inline.json/points/0001/run/inputs/q.npy") ==
        read_text(dir / "data/inputs/q.npy"));

  fs::create_directories(dir / "elsewhere");
  write_text(dir / "elsewhere/moved.json",
             R"({"kernel": "attention_cte", "paths_relative_to": "..", )" + params + ", " + files + "}");
  const CommandResult moved =
      trnsim("run " + (dir / "elsewhere/moved.json").string() + " --out " + (dir / "moved_out").string());
  INFO(moved.err);
  CHECK(moved.exit_code == 0);
  write_text(dir / "elsewhere/missing.json", R"({"kernel": "attention_cte", )" + params + ", " + files + "}");
  const CommandResult missing =
      trnsim("run " + (dir / "elsewhere/missing.json").string() + " --out " + (dir / "missing_out").string());
  CHECK(missing.exit_code != 0);
  CHECK(missing.err.find("$.inputs.files.q") != std::string::npos);
  CHECK(missing.err.find((dir / "elsewhere/data/inputs/q.npy").string()) != std::string::npos);
}

TEST_CASE("sweep: spec errors are named by JSON path") {
  const fs::path dir = scratch_dir("sweep_errors");
  const auto error_of = [&](const std::string& spec) {
    write_text(dir / "spec.json", spec);
    const CommandResult r =
        trnsim("sweep " + (dir / "spec.json").string() + " --out " + (dir / "out").string());
    CHECK(r.exit_code != 0);
    return r.err;
  };
  const std::string base =
      R"("base": {"kernel": "attention_cte", "params": {"seqlen_q": 128, "seqlen_kv": 128, "d": 64}})";
  CHECK(error_of("{" + base + R"(, "grid": {}})").find("$.grid") != std::string::npos);
  CHECK(error_of("{" + base + R"(, "zip": {"params.d": [64, 32], "params.scale": [0.1]}})")
            .find("$.zip.params.scale: has 1 values; the zip's first list has 2") != std::string::npos);
  CHECK(error_of("{" + base + R"(, "product": {"params.d": []}})")
            .find("$.product.params.d: expected a non-empty list of values") != std::string::npos);
  CHECK(error_of("{" + base + "}").find("give \"product\" or \"zip\" lists to sweep") != std::string::npos);
  CHECK(error_of(R"({"base": "nowhere.json", "product": {"mode": ["timing"]}})").find("$.base: ") !=
        std::string::npos);
  CHECK(error_of("{" + base + R"(, "product": {"params..d": [1]}})").find("a swept key is a dotted path") !=
        std::string::npos);
}

}  // namespace
}  // namespace tn::cli::test
