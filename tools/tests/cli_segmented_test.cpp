// attention_segmented_cte end to end: one program whose runtime prior_tokens decides how many segments run,
// as the summary and the trace show it.
#include <doctest/doctest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "tools/tests/cli_harness.hpp"
#include "traces/perfetto_trace_reader.hpp"

namespace tn::cli::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Blocks of 128, segments of 512, a block table of 40 entries: P up to 40 * 128 - 256 = 4864.
std::string config_with_prior(int64_t prior) {
  return R"({"kernel": "attention_segmented_cte",
             "params": {"batch": 1, "num_q_heads": 2, "num_kv_heads": 1, "seqlen_q": 256, "d": 64,
                        "block_size": 128, "prior_seg_size": 512, "max_blocks": 40, "scale": 0.125,
                        "prior_tokens": )" +
         std::to_string(prior) + R"(}, "mode": "both"})";
}

// Runs `config` in scratch_dir(name) (outputs in its out/), which must succeed; its summary.
json run_config(const std::string& name, const std::string& config) {
  const CommandResult r = run_text(name, config);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return json::parse(read_text(scratch_path(name) / "out" / "summary.json"));
}

TEST_CASE("cli segmented: prior_tokens 0, 640 and 4096 run one program with different loop trips") {
  std::map<int64_t, json> s;
  for (const int64_t prior : {0, 640, 4096}) {
    s[prior] = run_config("segmented_p" + std::to_string(prior), config_with_prior(prior));
    CHECK(s[prior]["numerics"]["passed"].get<bool>());
  }
  CHECK(s[0]["program_hash"] == s[640]["program_hash"]);
  CHECK(s[0]["program_hash"] == s[4096]["program_hash"]);
  // Two loops per head (kernels.md §3.3): the partial segment (0 or 1 trip) and the full segments
  // (floor(P / 512) trips), each entered once per Q head.
  auto trips = [&](int64_t prior) {
    std::vector<uint64_t> t;
    for (const auto& l : s[prior]["timing"]["loops"]) {
      CHECK(l["entries"].get<uint64_t>() == 2);
      t.push_back(l["trips"].get<uint64_t>());
    }
    return t;
  };
  CHECK(trips(0) == std::vector<uint64_t>{0, 0});
  CHECK(trips(640) == std::vector<uint64_t>{2, 2});    // 640 = 1 full segment + 128 tokens
  CHECK(trips(4096) == std::vector<uint64_t>{0, 16});  // 8 full segments per head
  const double t0 = s[0]["timing"]["total_ns"], t640 = s[640]["timing"]["total_ns"],
               t4096 = s[4096]["timing"]["total_ns"];
  CHECK(t0 < t640);
  CHECK(t640 < t4096);
}

TEST_CASE("cli segmented: the trace shows each block gather on its DMA queue, naming its block index") {
  run_config("segmented_trace", config_with_prior(640));
  const trace::DecodedTrace decoded =
      trace::read_perfetto_trace_file(scratch_path("segmented_trace") / "out" / "trace.pftrace");
  for (const auto& p : trace::check_perfetto_trace(decoded))
    FAIL_CHECK(p);
  std::map<uint64_t, std::string> track_names;
  for (const auto& packet : decoded.packets) {
    if (packet.track_descriptor)
      track_names[packet.track_descriptor->uuid] = packet.track_descriptor->name;
  }
  // The table is 0..6 (P = 640 and 256 active tokens: 7 blocks of 128), then -1 padding that the partial
  // segment's speculative read of 4 blocks from block 4 reaches (entry 7).
  std::set<std::string> v_blocks;
  for (const auto& packet : decoded.packets) {
    if (!packet.track_event || packet.track_event->name != "dma_gather")
      continue;
    const std::string track = track_names[packet.track_event->track_uuid.value_or(0)];
    CAPTURE(track);
    CHECK(track.rfind("q", 0) == 0);  // a DMA queue's track
    for (const auto& a : packet.track_event->annotations) {
      const bool v_queue =
          track.rfind("qSyncDynamic1", 0) == 0 || track.rfind("qGpSimdIO1", 0) == 0;  // lanes too
      if (a.name == "indices" && v_queue)
        v_blocks.insert(std::get<std::string>(a.value));
    }
  }
  CHECK(v_blocks == std::set<std::string>{"-1", "0", "1", "2", "3", "4", "5", "6"});
}

TEST_CASE("cli segmented: LNC2 runs two programs, each core's segment loops in the summary") {
  // 3 Q heads: one per core, the third split by Q groups (core 0 group 0, core 1 group 1).
  const json s = run_config("segmented_lnc2", R"({"kernel": "attention_segmented_cte",
      "params": {"batch": 1, "num_q_heads": 3, "num_kv_heads": 1, "seqlen_q": 256, "d": 64,
                 "block_size": 128, "prior_seg_size": 512, "scale": 0.125, "prior_tokens": 640, "lnc": 2},
      "mode": "both"})");
  CHECK(s["numerics"]["passed"].get<bool>());
  CHECK(s["timing"]["cores"].size() == 2);
  // Each core enters its two loops once per head it works on (2), and P = 640 runs each once per entry.
  std::vector<std::pair<uint32_t, uint64_t>> loops;
  for (const auto& l : s["timing"]["loops"]) {
    CHECK(l["entries"].get<uint64_t>() == 2);
    loops.emplace_back(l["core"].get<uint32_t>(), l["trips"].get<uint64_t>());
  }
  CHECK(loops == std::vector<std::pair<uint32_t, uint64_t>>{{0, 2}, {0, 2}, {1, 2}, {1, 2}});
}

TEST_CASE("cli segmented: KV-parallel mode checks the statistics and rejects offsets with no reference") {
  auto config = [](const std::string& extra) {
    return R"({"kernel": "attention_segmented_cte",
               "params": {"batch": 1, "num_q_heads": 2, "num_kv_heads": 1, "seqlen_q": 128, "d": 64,
                          "block_size": 64, "prior_seg_size": 256, "scale": 0.125, "prior_tokens": 320)" +
           extra + R"(}, "mode": "functional"})";
  };
  const json s = run_config("segmented_kvp", config(R"(, "kvp_offset": 200)"));
  CHECK(s["numerics"]["passed"].get<bool>());
  for (const char* stat : {"neg_max", "sum_recip"}) {
    CAPTURE(stat);
    CHECK(s["numerics"]["outputs"][stat]["elements"].get<int64_t>() == 2 * 128);
    CHECK(s["numerics"]["outputs"][stat]["rtol"].get<double>() == 2e-2);  // attention_cte's statistics
  }
  CHECK(fs::exists(scratch_path("segmented_kvp") / "out" / "outputs" / "neg_max.npy"));

  expect_error("segmented_kvp_blind", config(R"(, "kvp_offset": -1)"),
               "$.params.kvp_offset: must be >= 0 unless a sink");
  expect_error(
      "segmented_kvp_swa", config(R"(, "kvp_offset": 10, "sliding_window": 64)"),
      "$.params.kvp_offset: attention_segmented_cte: kvp_offset: the KV-parallel mode has no sliding window");
}

}  // namespace
}  // namespace tn::cli::test
