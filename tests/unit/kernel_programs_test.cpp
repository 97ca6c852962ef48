// The real kernels built through the builder: every generated program must pass isa::validate with no
// issues and survive a JSON round trip unchanged; invalid parameters are rejected by name.
#include <doctest/doctest.h>

#include <array>
#include <string>
#include <vector>

#include "isa/program_json.hpp"
#include "isa/validator.hpp"
#include "kernels/attention_cte.hpp"
#include "kernels/matmul.hpp"

namespace {

using namespace tn;
using namespace tn::isa;
using namespace tn::kernels;

const MemoryLimits kLimits{};

std::string describe(const AttentionCteParams& p) {
  return "bs=" + std::to_string(p.bs) + " bs_kv=" + std::to_string(p.bs_kv) +
         " seqlen_q=" + std::to_string(p.seqlen_q) + " seqlen_kv=" + std::to_string(p.seqlen_kv) +
         " d=" + std::to_string(p.d) + " dtype=" + std::string(dtype_name(p.dtype)) +
         " causal=" + std::to_string(p.causal) + " tp_q=" + std::to_string(p.tp_q) +
         " tp_k=" + std::to_string(p.tp_k) + " tp_out=" + std::to_string(p.tp_out) +
         " lnc=" + std::to_string(p.lnc);
}

// The first few issues, for the failure message.
std::string issues_text(const std::vector<ValidationIssue>& issues) {
  std::string out;
  for (size_t i = 0; i < issues.size() && i < 5; ++i)
    out += issues[i].to_string() + "\n";
  if (issues.size() > 5)
    out += "... " + std::to_string(issues.size()) + " issues in all\n";
  return out;
}

// Validates and round-trips every program; returns false on the first failure (after reporting it) so a
// broken kernel does not flood the output with one failure per parameter set.
bool check_programs(const std::vector<Program>& programs, const std::string& what, size_t expected_count) {
  INFO(what);
  CHECK(programs.size() == expected_count);
  size_t instructions = 0;  // a core may have nothing to do (e.g. one short batch on two cores)
  for (const Program& p : programs)
    instructions += p.num_instructions();
  CHECK(instructions > 0);
  for (size_t core = 0; core < programs.size(); ++core) {
    const Program& p = programs[core];
    CAPTURE(core);
    CHECK(p.core_id == core);
    const auto issues = validate(p, kLimits);
    INFO(issues_text(issues));
    CHECK(issues.empty());
    const bool round_trips = program_from_json(program_to_json(p)) == p;
    CHECK(round_trips);
    if (!issues.empty() || !round_trips)
      return false;
  }
  return true;
}

AttentionCteParams params(int64_t bs, int64_t sq, int64_t skv, int64_t d, DType dt, bool causal, int flags,
                          int32_t lnc) {
  AttentionCteParams p;
  p.bs = bs;
  p.bs_kv = bs;
  p.seqlen_q = sq;
  p.seqlen_kv = skv;
  p.d = d;
  p.dtype = dt;
  p.scale = 0.125;
  p.causal = causal;
  p.tp_q = flags & 1;
  p.tp_k = flags & 2;
  p.tp_out = flags & 4;
  p.lnc = lnc;
  return p;
}

// The message of the KernelParamError that `f` throws, or "no error".
template <class F>
std::string param_error(F&& f) {
  try {
    f();
  } catch (const KernelParamError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("attention_cte programs validate and round-trip for every layout, mask, dtype and LNC") {
  // Every layout flag combination x causal x dtype x lnc runs every seqlen_q; seqlen_kv, bs and d rotate
  // with the combination, so that together the combinations cover every (seqlen_q, seqlen_kv) pair.
  const int64_t seqlens[] = {128, 300, 512, 1024};
  const DType dtypes[] = {DType::kBFloat16, DType::kFloat16, DType::kFloat32};
  int combination = 0;
  for (int32_t lnc : {1, 2}) {
    for (DType dt : dtypes) {
      for (bool causal : {true, false}) {
        for (int flags = 0; flags < 8; ++flags, ++combination) {
          for (int i = 0; i < 4; ++i) {
            const int k = i + combination;
            const AttentionCteParams p =
                params(1 + k % 2, seqlens[i], seqlens[k % 4], (k / 2) % 2 ? 128 : 64, dt, causal, flags, lnc);
            if (!check_programs(build_attention_cte(p, kLimits), describe(p), static_cast<size_t>(lnc)))
              return;
          }
        }
      }
    }
  }
}

TEST_CASE("attention_cte programs validate for all seqlen pairs in the default layout") {
  for (int64_t sq : {128, 300, 512, 1024}) {
    for (int64_t skv : {128, 300, 512, 1024}) {
      for (int32_t lnc : {1, 2}) {
        const AttentionCteParams p = params(2, sq, skv, 128, DType::kBFloat16, true, 1, lnc);
        if (!check_programs(build_attention_cte(p, kLimits), describe(p), static_cast<size_t>(lnc)))
          return;
      }
    }
  }
}

TEST_CASE("attention_cte programs validate with grouped-query batches and odd batch counts on two cores") {
  AttentionCteParams p = params(4, 300, 512, 64, DType::kBFloat16, true, 1, 2);
  p.bs_kv = 2;
  CHECK(check_programs(build_attention_cte(p, kLimits), describe(p), 2));
  p = params(3, 1024, 1024, 128, DType::kBFloat16, true, 1, 2);  // the odd batch is Q-sharded
  CHECK(check_programs(build_attention_cte(p, kLimits), describe(p), 2));
  p = params(3, 300, 300, 128, DType::kFloat16, false, 7, 2);  // core 0 runs the odd batch whole
  CHECK(check_programs(build_attention_cte(p, kLimits), describe(p), 2));
}

TEST_CASE("matmul programs validate and round-trip") {
  for (DType dt : {DType::kBFloat16, DType::kFloat16, DType::kFloat32}) {
    for (const auto [m, k, n] :
         {std::array<int64_t, 3>{128, 128, 512}, {256, 384, 1024}, {512, 1024, 2048}}) {
      const MatmulParams p{m, k, n, dt};
      const std::string what = "m=" + std::to_string(m) + " k=" + std::to_string(k) +
                               " n=" + std::to_string(n) + " dtype=" + std::string(dtype_name(dt));
      if (!check_programs({build_matmul(p, kLimits)}, what, 1))
        return;
    }
  }
}

TEST_CASE("invalid attention_cte parameters throw KernelParamError naming the parameter") {
  const AttentionCteParams good = params(2, 512, 512, 128, DType::kBFloat16, true, 1, 1);
  CHECK_NOTHROW(check_attention_cte_params(good));
  AttentionCteParams p = good;
  p.d = 129;
  CHECK(param_error([&] { build_attention_cte(p, kLimits); }).rfind("attention_cte: d: ", 0) == 0);
  p = good;
  p.bs_kv = 3;  // 2 % 3 != 0
  CHECK(param_error([&] { build_attention_cte(p, kLimits); }).rfind("attention_cte: bs_kv: ", 0) == 0);
  p = good;
  p.lnc = 3;
  CHECK(param_error([&] { build_attention_cte(p, kLimits); }).rfind("attention_cte: lnc: ", 0) == 0);
  p = good;
  p.dtype = DType::kFloat8E4M3;
  CHECK(param_error([&] { build_attention_cte(p, kLimits); }).rfind("attention_cte: dtype: ", 0) == 0);
  p = good;
  p.seqlen_q = 0;
  CHECK(param_error([&] { build_attention_cte(p, kLimits); }).rfind("attention_cte: seqlen_q: ", 0) == 0);
}

TEST_CASE("invalid matmul parameters throw KernelParamError naming the parameter") {
  CHECK(param_error([] {
          build_matmul({100, 128, 512, DType::kBFloat16}, kLimits);
        }).rfind("matmul: m: ", 0) == 0);
  CHECK(param_error([] {
          build_matmul({128, 129, 512, DType::kBFloat16}, kLimits);
        }).rfind("matmul: k: ", 0) == 0);
  CHECK(param_error([] {
          build_matmul({128, 128, 500, DType::kBFloat16}, kLimits);
        }).rfind("matmul: n: ", 0) == 0);
  CHECK(param_error([] {
          build_matmul({128, 128, 512, DType::kInt8}, kLimits);
        }).rfind("matmul: dtype: ", 0) == 0);
  CHECK(param_error([] {
          build_matmul({128 * 128, 128 * 8, 512, DType::kFloat32}, kLimits);
        }).rfind("matmul: m, k: ", 0) == 0);
}
