// `trnsim kernels`: every kernel's parameter table as the parser reads it, its tensors resolved by the
// kernel itself, and the examples it shows actually run.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "tools/tests/cli_harness.hpp"

namespace tn::cli::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json kernels_json(const std::string& args = "") {
  const CommandResult r = trnsim("kernels --json " + args);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return json::parse(r.out);
}

TEST_CASE("kernels: every kernel's table is the parser's: each key is accepted, defaults are what runs use") {
  const json all = kernels_json();
  REQUIRE(all["kernels"].size() == 10);
  const fs::path dir = scratch_dir("kernels_tables");
  for (const json& k : all["kernels"]) {
    const std::string kernel = k["kernel"];
    INFO(kernel);
    CHECK(!k["summary"].get<std::string>().empty());
    for (const json& p : k["params"]) {
      CHECK(!p["doc"].get<std::string>().empty());
      CHECK(p.contains("type"));
    }
    if (k["example"].is_null())
      continue;  // the program kernel: its tensors are a program file's
    REQUIRE(k.contains("tensors"));
    const json& t = k["tensors"];
    CHECK(!t["inputs"].empty());
    CHECK(!t["outputs"].empty());
    // A default the table states is the value the kernel's setup resolved (the parser takes it from the
    // table; a setup that substituted its own would show here).
    for (const json& p : k["params"]) {
      const std::string name = p["name"];
      if (!p.contains("default") || k["example"].contains(name) || !t["resolved_params"].contains(name))
        continue;
      INFO(name);
      CHECK(t["resolved_params"][name] == p["default"]);
    }
    // Every key in the table gets past the parser's unknown-key check; one outside it does not.
    for (const json& p : k["params"]) {
      json params = k["example"];
      params[p["name"].get<std::string>()] = nullptr;  // null: given, and read as absent
      write_text(dir / "c.json", json{{"kernel", kernel}, {"params", params}, {"mode", "functional"}}.dump());
      const CommandResult r = trnsim("disasm " + (dir / "c.json").string());
      INFO(p["name"] << ": " << r.err);
      CHECK(r.err.find("unknown key") == std::string::npos);
    }
    json bad = k["example"];
    bad["no_such_param"] = 1;
    write_text(dir / "c.json", json{{"kernel", kernel}, {"params", bad}}.dump());
    CHECK(trnsim("disasm " + (dir / "c.json").string()).err.find("$.params.no_such_param: unknown key") !=
          std::string::npos);
  }
}

TEST_CASE("kernels: the examples run and pass their numeric check") {
  const fs::path dir = scratch_dir("kernels_examples");
  size_t examples = 0;
  const json all = kernels_json();
  for (const json& k : all["kernels"]) {
    if (k["example"].is_null())
      continue;
    write_text(dir / (k["kernel"].get<std::string>() + ".json"),
               json{{"kernel", k["kernel"]}, {"params", k["example"]}, {"mode", "both"}}.dump());
    ++examples;
  }
  const CommandResult r = trnsim("check " + dir.string() + " -j 2");
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find(std::to_string(examples) + " passed, 0 failed, 0 skipped") != std::string::npos);
}

TEST_CASE("kernels: --params resolves the shapes; the text lists types, defaults and ranges") {
  const json t =
      kernels_json(R"(attention_cte --params '{"seqlen_q": 256, "seqlen_kv": 384, "d": 32, "tp_q": false}')");
  REQUIRE(t["kernels"].size() == 1);
  const json& inputs = t["kernels"][0]["tensors"]["inputs"];
  CHECK(
      inputs[0] ==
      json{{"name", "q"}, {"dtype", "bfloat16"}, {"shape", {1, 32, 256}}, {"fill", "random_sample [0, 1)"}});
  CHECK(inputs[1]["shape"] == json{1, 32, 384});

  const CommandResult text = trnsim("kernels attention_segmented_cte");
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("block_order") != std::string::npos);
  CHECK(text.out.find("sequential | shuffled") != std::string::npos);
  CHECK(text.out.find("(default: dtype)") != std::string::npos);
  CHECK(text.out.find("input   block_tables  int32") != std::string::npos);
  const CommandResult ring = trnsim("kernels ring_attention_spmd_fwd");
  CHECK(ring.out.find("2 ranks; drawn for the whole launch, then split:") != std::string::npos);
  CHECK(ring.out.find("rank output  out") != std::string::npos);
}

TEST_CASE("kernels: bad names and parameters are refused with the reason") {
  CommandResult r = trnsim("kernels no_such_kernel");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("unknown kernel \"no_such_kernel\" (known: attention_cte,") != std::string::npos);
  r = trnsim("kernels attention_cte --params '{\"seqlen_q\": 256'");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("--params: not JSON") != std::string::npos);
  r = trnsim("kernels attention_cte --params '{\"seqlen_q\": 256, \"seqlen_kv\": 256, \"d\": 300}'");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("$.params.d: attention_cte: d: head dimension must be in 1..128") != std::string::npos);
  r = trnsim("kernels --params '{}'");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("--params needs a kernel") != std::string::npos);
  r = trnsim("kernels --help");
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("usage: trnsim kernels [NAME] [options]") != std::string::npos);
}

}  // namespace
}  // namespace tn::cli::test
