// attention_cte and attention_segmented_cte as sub-kernels: two calls on one builder, each on its own bound
// tensors, give each call's reference; the public kernels are the same generators behind a wrapper.
#include <doctest/doctest.h>

#include "kernels/attention_cte_reference_params.hpp"
#include "kernels/attention_segmented_cte.hpp"
#include "kernels/attention_segmented_cte_reference_params.hpp"
#include "kernels/builder/program_builder.hpp"
#include "kernels/reference/dtype_rounding.hpp"
#include "kernels/reference/max_all_close.hpp"
#include "kernels/tests/kernel_harness.hpp"

namespace tn::kernels {
namespace {

using test::HarnessTensor;

const isa::MemoryLimits kTrn2;

TEST_CASE("attention_cte sub-kernel: two calls on one builder, each with its own tensors") {
  AttentionCteParams p;
  p.seqlen_q = 256;
  p.seqlen_kv = 384;
  p.d = 64;
  p.scale = 0.7;
  ProgramBuilder b("two_attentions", kTrn2);
  std::vector<HarnessTensor> in, out;
  for (const std::string call : {"a_", "b_"}) {
    std::map<std::string, int32_t> bind;
    for (const KernelTensor& t : attention_cte_inputs(p)) {
      bind[t.name] = b.hbm_tensor(call + t.name, t.dtype, t.shape, isa::TensorKind::kInput);
      in.push_back({call + t.name, t.dtype, t.shape});
    }
    for (const KernelTensor& t : attention_cte_outputs(p)) {
      bind[t.name] = b.hbm_tensor(call + t.name, t.dtype, t.shape, isa::TensorKind::kOutput);
      out.push_back({call + t.name, t.dtype, t.shape});
    }
    attention_cte_subkernel(b, p, 0, bind);
  }
  CHECK(b.sbuf_high_water() > 0);
  const std::vector<isa::Program> programs = {b.finish()};
  const auto inputs = test::seeded_inputs(in, 3);
  const auto got = test::run_functional(programs, inputs, in, out, kTrn2);
  for (const std::string call : {"a_", "b_"}) {
    CAPTURE(call);
    ref::AttentionCteRefInputs ri;
    ri.q = &inputs.at(call + "q");
    ri.k = &inputs.at(call + "k");
    ri.v = &inputs.at(call + "v");
    const auto want = ref::rounded_to(ref::attention_cte_reference(reference_params(p), ri).out, p.dtype);
    const auto r = ref::max_all_close(got.at(call + "out"), want);
    INFO(r.description);
    CHECK(r.passed);
  }
  // The calls read different inputs: their outputs differ.
  CHECK(got.at("a_out").data != got.at("b_out").data);
}

TEST_CASE("attention_segmented_cte sub-kernel: two calls with their own scratch and runtime values") {
  AttentionSegmentedCteParams p;
  p.seqlen_q = 128;
  p.d = 32;
  p.block_size = 16;
  p.prior_seg_size = 64;
  p.max_blocks = 24;
  p.num_blocks = 24;
  p.scale = 0.5;
  ProgramBuilder b("two_segmented", kTrn2);
  std::vector<HarnessTensor> in, out;
  const std::map<std::string, int64_t> prior = {{"a_", 64}, {"b_", 160}};
  for (const auto& [call, tokens] : prior) {
    SegmentedCteBindings bind;
    bind.scratch_prefix = call;
    for (const KernelTensor& t : attention_segmented_cte_inputs(p)) {
      bind.tensors[t.name] = b.hbm_tensor(call + t.name, t.dtype, t.shape, isa::TensorKind::kInput);
      in.push_back({call + t.name, t.dtype, t.shape});
    }
    for (const KernelTensor& t : attention_segmented_cte_outputs(p)) {
      bind.tensors[t.name] = b.hbm_tensor(call + t.name, t.dtype, t.shape, isa::TensorKind::kOutput);
      out.push_back({call + t.name, t.dtype, t.shape});
    }
    attention_segmented_cte_subkernel(b, p, bind);
  }
  const std::vector<isa::Program> programs = {b.finish()};
  auto inputs = test::seeded_inputs(in, 5);
  for (const auto& [call, tokens] : prior) {
    ref::HostTensor& table = inputs.at(call + "block_tables");
    for (size_t i = 0; i < table.data.size(); ++i)
      table.data[i] = double(i);  // sequential blocks
    inputs.at(call + "prior_tokens").data = {double(tokens)};
  }
  const auto got = test::run_functional(programs, inputs, in, out, kTrn2);
  for (const auto& [call, tokens] : prior) {
    CAPTURE(call);
    std::map<std::string, ref::HostTensor> mine;
    for (const KernelTensor& t : attention_segmented_cte_inputs(p))
      mine[t.name] = inputs.at(call + t.name);
    const auto want = ref::rounded_to(attention_segmented_cte_reference_for(p, mine).out, p.dtype);
    const auto r = ref::max_all_close(got.at(call + "out"), want, ref::kAttentionSegmentedCteRtol,
                                      ref::kAttentionSegmentedCteAtol);
    INFO(r.description);
    CHECK(r.passed);
  }
  CHECK_THROWS_AS(
      [&] {
        ProgramBuilder c("lnc2", kTrn2);
        AttentionSegmentedCteParams q = p;
        q.lnc = 2;
        attention_segmented_cte_subkernel(c, q, {});
      }(),
      KernelParamError);
}

}  // namespace
}  // namespace tn::kernels
