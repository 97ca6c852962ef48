// attention_cte's features through the CLI (kernels.md §1.1-§1.3, §2.2): each one passes numerics against
// the float64 reference; runtime values (cp_offset, prior_used_len) reach the kernel only as HBM inputs, so
// one program serves every value; the generated inputs are NumPy's; and parameter combinations the kernel
// rejects fail with the kernel's own reason at the parameter's JSON path.
//
// A feature the kernel does not generate yet makes it throw KernelParamError "... not supported yet"; the
// tests of that feature are then skipped with a MESSAGE saying so, and run once the kernel supports it.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "kernels/reference/npy.hpp"
#include "tools/tests/cli_harness.hpp"

namespace tn::cli::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Run {
  fs::path out;
  CommandResult result;
  json summary;  // empty unless the run succeeded
};

// `trnsim run` on {"kernel": "attention_cte", "params": params, ...extra}.
Run run_attention(const std::string& name, const json& params, const json& extra = json::object()) {
  json config = {{"kernel", "attention_cte"}, {"params", params}, {"mode", "both"}};
  config.update(extra);
  const fs::path dir = scratch_dir("features_" + name);
  write_text(dir / "config.json", config.dump(2));
  Run r;
  r.out = dir / "out";
  r.result = trnsim("run " + (dir / "config.json").string() + " --out " + r.out.string());
  if (r.result.exit_code == 0)
    r.summary = json::parse(read_text(r.out / "summary.json"));
  return r;
}

// True (after a MESSAGE) when the kernel says the feature is not generated yet: the caller skips the rest.
bool unsupported(const Run& r, const std::string& feature) {
  if (r.result.exit_code != 0 && r.result.err.find("not supported yet") != std::string::npos) {
    MESSAGE("skipped: the kernel does not support " << feature << " yet: " << r.result.err);
    return true;
  }
  return false;
}

// A small causal bf16 problem with scale 1 (SWA, prefix caching, CP and packing require it).
json base_params(int64_t sq = 256, int64_t skv = 512) {
  return {{"bs", 2}, {"bs_kv", 1},          {"seqlen_q", sq}, {"seqlen_kv", skv},
          {"d", 64}, {"dtype", "bfloat16"}, {"scale", 1.0},   {"causal", true}};
}

json with(json p, const json& changes) {
  p.update(changes);
  return p;
}

void check_passes(const Run& r, const std::vector<std::string>& outputs = {"out"}) {
  INFO(r.result.err);
  INFO(r.result.out);
  REQUIRE(r.result.exit_code == 0);
  CHECK(r.summary["numerics"]["checked"] == true);
  CHECK(r.summary["numerics"]["passed"] == true);
  CHECK(r.summary["functional_equals_timing"] == true);
  for (const auto& o : outputs) {
    CAPTURE(o);
    CHECK(r.summary["numerics"]["outputs"].contains(o));
    CHECK(fs::exists(r.out / "outputs" / (o + ".npy")));
  }
}

std::string output_bytes(const Run& r, const std::string& name = "out") {
  return read_text(r.out / "outputs" / (name + ".npy"));
}

struct FeatureCase {
  const char* name;
  json changes;
  std::vector<std::string> extra_inputs;
  std::vector<std::string> outputs = {"out"};
};

TEST_CASE("cli features: each attention_cte feature passes numerics through the CLI") {
  const std::vector<FeatureCase> cases = {
      {"sliding window (W <= 128, range_select path)", {{"sliding_window", 100}}, {}},
      {"sliding window (W > 128)", {{"sliding_window", 300}}, {}},
      {"prefix caching",
       {{"prior_len", 700}, {"prior_used_len", 600}},
       {"k_prior", "v_prior", "prior_used_len"}},
      {"sink", {{"sink", true}}, {"sink"}},
      {"context parallelism, contiguous", {{"cp_degree", 2}, {"cp_rank_id", 1}}, {"cp_offset"}},
      {"context parallelism, strided",
       {{"cp_degree", 2}, {"cp_rank_id", 1}, {"cp_strided_q_slicing", true}},
       {"cp_offset"}},
      {"cache_softmax",
       {{"cache_softmax", true}, {"sink", true}},
       {"sink"},
       {"out", "out_neg_max", "out_sum_recip"}},
      {"cache_softmax with bfloat16 statistics",
       {{"cache_softmax", true}, {"softmax_dtype", "bfloat16"}},
       {},
       {"out", "out_neg_max", "out_sum_recip"}},
      {"sequence packing", {{"causal", false}, {"n_packed_sequences", 3}}, {"bound_min", "bound_max"}},
      {"skip_output_normalization (the unnormalised output and the raw sum)",
       {{"cache_softmax", true}, {"skip_output_normalization", true}},
       {},
       {"out", "out_neg_max", "out_sum"}},
      {"striped CP input with a float32 cp_offset (the ring's call)",
       {{"cp_degree", 4},
        {"cp_striped_input", true},
        {"cp_offset", 0},
        {"cp_offset_dtype", "float32"},
        {"cache_softmax", true},
        {"skip_output_normalization", true}},
       {"cp_offset"},
       {"out", "out_neg_max", "out_sum"}},
      {"sliding window + prefix caching + sink (the apc tests' mix)",
       {{"sliding_window", 128}, {"prior_len", 512}, {"prior_used_len", 300}, {"sink", true}},
       {"k_prior", "v_prior", "prior_used_len", "sink"}},
      {"context parallelism + prefix caching + sliding window",
       {{"cp_degree", 2},
        {"cp_rank_id", 1},
        {"prior_len", 512},
        {"prior_used_len", 512},
        {"sliding_window", 200}},
       {"k_prior", "v_prior", "prior_used_len", "cp_offset"}},
  };
  int index = 0;
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const Run r = run_attention("feature_" + std::to_string(index), with(base_params(), c.changes));
      if (unsupported(r, c.name))
        return;
      check_passes(r, c.outputs);
      for (const auto& input : c.extra_inputs) {
        CAPTURE(input);
        CHECK(fs::exists(r.out / "inputs" / (input + ".npy")));
      }
    }
    ++index;
  }
}

TEST_CASE("cli features: runtime cp_offset: one program, different outputs") {
  const json p = with(base_params(), {{"cp_degree", 4}});
  const Run a = run_attention("cp_offset_a", with(p, {{"cp_offset", 256}}));
  if (unsupported(a, "context parallelism"))
    return;
  const Run b = run_attention("cp_offset_b", with(p, {{"cp_offset", 768}}));
  check_passes(a);
  check_passes(b);
  CHECK(a.summary["program_hash"] == b.summary["program_hash"]);
  CHECK(output_bytes(a) != output_bytes(b));
  // The value reaches the kernel as an int32 (1, 1) HBM tensor.
  const ref::HostTensor offset = ref::read_npy(b.out / "inputs/cp_offset.npy");
  CHECK(offset.shape == std::vector<int64_t>{1, 1});
  CHECK(offset.data == std::vector<double>{768});
  CHECK(b.summary["params"]["cp_offset"] == 768);
}

TEST_CASE("cli features: runtime prior_used_len: one program, different outputs") {
  const json p = with(base_params(), {{"prior_len", 1000}});
  const Run a = run_attention("prior_used_a", with(p, {{"prior_used_len", 100}}));
  if (unsupported(a, "prefix caching"))
    return;
  const Run b = run_attention("prior_used_b", with(p, {{"prior_used_len", 900}}));
  const Run none = run_attention("prior_used_0", with(p, {{"prior_used_len", 0}}));
  check_passes(a);
  check_passes(b);
  check_passes(none);
  CHECK(a.summary["program_hash"] == b.summary["program_hash"]);
  CHECK(a.summary["program_hash"] == none.summary["program_hash"]);
  CHECK(output_bytes(a) != output_bytes(b));
  CHECK(output_bytes(a) != output_bytes(none));
  const ref::HostTensor used = ref::read_npy(b.out / "inputs/prior_used_len.npy");
  CHECK(used.shape == std::vector<int64_t>{1});
  CHECK(used.data == std::vector<double>{900});
}

TEST_CASE("cli features: a cp_offset from inputs.files wins over the params and reaches the reference") {
  const json p = with(base_params(), {{"cp_degree", 4}, {"cp_rank_id", 3}});
  const Run derived = run_attention("cp_file_rank1", with(p, {{"cp_rank_id", 1}}));
  if (unsupported(derived, "context parallelism"))
    return;
  check_passes(derived);
  // cp_offset 256 = rank 1 * seqlen_q: the same output as cp_rank_id 1, although the params say rank 3.
  const fs::path file = scratch_dir("cp_file_npy") / "cp_offset.npy";
  ref::HostTensor t;
  t.shape = {1, 1};
  t.data = {256};
  ref::write_npy(file, t, DType::kInt32);
  const Run overridden =
      run_attention("cp_file", p, {{"inputs", {{"files", {{"cp_offset", file.string()}}}}}});
  check_passes(overridden);
  CHECK(output_bytes(overridden) == output_bytes(derived));
  CHECK(overridden.summary["program_hash"] == derived.summary["program_hash"]);
}

TEST_CASE("cli features: sink and packing inputs are NumPy's draws (kernels.md §2.2)") {
  SUBCASE("sink = np.random.uniform(15, 25, (bs, 1)) after q, k, v from the same generator") {
    // np.random.seed(s); random_sample((2, 256, 64)); random_sample((1, 64, 256)); random_sample((1, 256,
    // 64)); np.random.uniform(15, 25, size=(2, 1)).astype(np.float32)  (NumPy 1.24)
    for (const auto& [seed, expected] : std::vector<std::pair<int, std::vector<double>>>{
             {0, {16.356340408325195, 23.424331665039062}}, {5, {16.039276123046875, 24.913694381713867}}}) {
      CAPTURE(seed);
      const Run r =
          run_attention("sink_seed_" + std::to_string(seed), with(base_params(256, 256), {{"sink", true}}),
                        {{"inputs", {{"seed", seed}}}, {"mode", "functional"}});
      if (unsupported(r, "sink"))
        return;
      REQUIRE(r.result.exit_code == 0);
      const ref::HostTensor sink = ref::read_npy(r.out / "inputs/sink.npy");
      CHECK(sink.shape == std::vector<int64_t>{2, 1});
      CHECK(sink.data == expected);  // np.float32 values, exactly
    }
  }
  SUBCASE("bounds from np.random.RandomState(42) partition points") {
    // rs = RandomState(42); sorted(rs.rand(3)) * 512 -> lengths [192, 183, 112, 25] (NumPy 1.24).
    const Run r = run_attention("packing_bounds", with(base_params(512, 512), {{"n_packed_sequences", 4}}),
                                {{"mode", "functional"}});
    if (unsupported(r, "sequence packing"))
      return;
    REQUIRE(r.result.exit_code == 0);
    const ref::HostTensor lo = ref::read_npy(r.out / "inputs/bound_min.npy");
    const ref::HostTensor hi = ref::read_npy(r.out / "inputs/bound_max.npy");
    REQUIRE(lo.shape == std::vector<int64_t>{512, 1});
    REQUIRE(hi.shape == std::vector<int64_t>{512, 1});
    const std::vector<std::pair<double, double>> segments = {{0, 192}, {192, 375}, {375, 487}, {487, 512}};
    for (const auto& [start, end] : segments) {
      for (auto i = static_cast<size_t>(start); i < static_cast<size_t>(end); ++i) {
        CAPTURE(i);
        CHECK(lo.data[i] == start);
        CHECK(hi.data[i] == end);
      }
    }
  }
}

TEST_CASE("cli features: the cases' cp_degree 1 rows run as no context parallelism, strided or not") {
  // attention_cte_cases.json has cp_degree 1 rows (cp_apc idx 7, cp_bk idx 20) with cp_strided_q_slicing
  // true and cp_offset 0: one rank's queries are 0..Sq-1 either way.
  const json p = with(base_params(), {{"cp_degree", 1}, {"cp_rank_id", 0}, {"cp_offset", 0}});
  const Run strided = run_attention("cp1_strided", with(p, {{"cp_strided_q_slicing", true}}));
  const Run plain = run_attention("cp1_plain", base_params());
  check_passes(strided);
  check_passes(plain);
  CHECK(output_bytes(strided) == output_bytes(plain));
  CHECK(strided.summary["program_hash"] == plain.summary["program_hash"]);
  CHECK_FALSE(fs::exists(strided.out / "inputs/cp_offset.npy"));
}

void expect_rejected(const std::string& name, const json& params, const std::vector<std::string>& messages) {
  const Run r = run_attention(name, params);
  INFO(r.result.err);
  CHECK(r.result.exit_code != 0);
  for (const auto& m : messages) {
    CAPTURE(m);
    CHECK(r.result.err.find(m) != std::string::npos);
  }
}

TEST_CASE("cli features: combinations the kernel rejects fail with the kernel's reason at the JSON path") {
  // "attention_cte: <param>: <rule>" is the kernel's KernelParamError: the CLI adds only the file and path.
  expect_rejected("swa_noncausal", with(base_params(), {{"sliding_window", 64}, {"causal", false}}),
                  {"$.params.sliding_window: attention_cte: sliding_window:", "causal"});
  expect_rejected("prefix_scale",
                  with(base_params(), {{"prior_len", 512}, {"prior_used_len", 10}, {"scale", 0.125}}),
                  {"$.params.scale: attention_cte: scale:", "1"});
  expect_rejected("cp_noncausal",
                  with(base_params(), {{"cp_degree", 2}, {"cp_rank_id", 0}, {"causal", false}}),
                  {"$.params.cp_degree: attention_cte:", "causal"});
  expect_rejected("cache_softmax_sq", with(base_params(200, 512), {{"cache_softmax", true}}),
                  {"$.params.cache_softmax: attention_cte: cache_softmax:", "128"});
  expect_rejected(
      "packing_prefix",
      with(base_params(), {{"n_packed_sequences", 2}, {"prior_len", 512}, {"prior_used_len", 10}}),
      {"$.params.n_packed_sequences: attention_cte:", "prefix"});
  expect_rejected("cp_degree_33", with(base_params(), {{"cp_degree", 33}, {"cp_rank_id", 0}}),
                  {"$.params.cp_degree: attention_cte:"});
}

TEST_CASE("cli features: an expected kernel rejection passes trnsim check") {
  const fs::path dir = scratch_dir("features_expected_failure");
  // attention_cte_cases.json test_ranged_attn_cte_sweep_nocp_manual idx 10: cache_softmax with Sq = 123.
  write_text(dir / "neg.json", json{{"kernel", "attention_cte"},
                                    {"params", with(base_params(123, 123), {{"cache_softmax", true},
                                                                            {"sink", true},
                                                                            {"prior_len", 30909},
                                                                            {"prior_used_len", 30000},
                                                                            {"expect_failure", true}})}}
                                   .dump());
  const CommandResult r = trnsim("check " + (dir / "neg.json").string());
  INFO(r.out);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("expected failure: attention_cte: ") != std::string::npos);
}

TEST_CASE("cli features: runtime values the CLI cannot turn into tensors name their JSON path") {
  auto error = [](const std::string& name, const json& params, const std::string& message) {
    const Run r = run_attention(name, params);
    INFO(r.result.err);
    CHECK(r.result.exit_code != 0);
    CHECK(r.result.err.find(message) != std::string::npos);
  };
  error("used_too_long", with(base_params(), {{"prior_len", 100}, {"prior_used_len", 101}}),
        "$.params.prior_used_len: the runtime prior length 101 must be in 0..prior_len (100)");
  error("used_without_prior", with(base_params(), {{"prior_used_len", 5}}),
        "$.params.prior_used_len: needs prior_len");
  error("cp_without_offset", with(base_params(), {{"cp_degree", 2}}), "$.params.cp_offset: missing");
  error("cp_rank_range", with(base_params(), {{"cp_degree", 2}, {"cp_rank_id", 2}}),
        "$.params.cp_rank_id: must be in");
  error("cp_offset_vs_rank", with(base_params(), {{"cp_degree", 2}, {"cp_rank_id", 1}, {"cp_offset", 1}}),
        "$.params.cp_offset: 1 disagrees with cp_rank_id 1");
  error("offset_without_cp", with(base_params(), {{"cp_offset", 5}}), "$.params.cp_offset: must be 0");
  error("packing_zero", with(base_params(), {{"n_packed_sequences", 0}}),
        "$.params.n_packed_sequences: must be in 1..256, got 0");
  error("sections",
        with(base_params(), {{"prior_len", 10000}, {"prior_used_len", 1}, {"num_kv_sections", 1}}),
        "$.params.num_kv_sections: the case says 1 flash sections; attention_cte derives 2");
}

}  // namespace
}  // namespace tn::cli::test
