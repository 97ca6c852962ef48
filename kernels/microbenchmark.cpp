#include "kernels/microbenchmark.hpp"

#include <algorithm>
#include <array>
#include <string>

#include "kernels/attention_cte.hpp"
#include "kernels/builder/program_builder.hpp"

namespace tn::kernels {

using namespace isa;

namespace {

constexpr std::array<std::pair<MicrobenchKind, std::string_view>, 6> kKindNames{{
    {MicrobenchKind::kScalarChain, "scalar_chain"},
    {MicrobenchKind::kScalarIndependent, "scalar_independent"},
    {MicrobenchKind::kVectorChain, "vector_chain"},
    {MicrobenchKind::kVectorIndependent, "vector_independent"},
    {MicrobenchKind::kGpSimdIndependent, "gpsimd_independent"},
    {MicrobenchKind::kDmaStream, "dma_stream"},
}};

// dma_stream loads into up to this many buffers in turn, so that a load waits only for the one that
// last wrote its buffer (count loads in flight: far more than the 16 engines need to stay busy).
constexpr int64_t kMaxDmaBuffers = 64;
constexpr int64_t kMaxCount = int64_t{1} << 20;

[[noreturn]] void reject(const std::string& param, const std::string& rule) {
  throw KernelParamError("microbenchmark: " + param + ": " + rule);
}

int64_t row_bytes(const MicrobenchmarkParams& p) { return p.elements * dtype_size(p.dtype); }

// The buffers of a dma_stream: as many as fit half of a partition, at most kMaxDmaBuffers and count.
int64_t dma_buffers(const MicrobenchmarkParams& p, const MemoryLimits& limits) {
  return std::clamp<int64_t>(limits.sbuf_partition_bytes / 2 / row_bytes(p), 1,
                             std::min(kMaxDmaBuffers, p.count));
}

}  // namespace

std::string_view microbench_kind_name(MicrobenchKind k) {
  for (const auto& [kind, name] : kKindNames) {
    if (kind == k)
      return name;
  }
  return "?";
}

MicrobenchKind microbench_kind_from_name(std::string_view name) {
  for (const auto& [kind, n] : kKindNames) {
    if (n == name)
      return kind;
  }
  reject("kind", "unknown kind '" + std::string(name) + "'");
}

void check_microbenchmark_params(const MicrobenchmarkParams& p, const MemoryLimits& limits) {
  if (p.count < 1 || p.count > kMaxCount)
    reject("count", "must be in 1..2^20");
  if (p.partitions < 1 || p.partitions > limits.num_partitions)
    reject("partitions", "must be in 1.." + std::to_string(limits.num_partitions));
  if (p.elements < 1 || p.elements > 65536)
    reject("elements", "must be in 1..65536 per partition");
  if (!dtype_is_float(p.dtype))
    reject("dtype", "must be a float dtype");
  if (p.load_dge == DgeMode::kHardware && limits.neuron_core_version < 3)
    reject("dge", "hwdge needs NeuronCore-v3 or later (hardware.md §1.8); this hardware is v" +
                      std::to_string(limits.neuron_core_version));
  if (p.load_dge == DgeMode::kHardware && p.load_dge_trigger != Engine::kSp &&
      p.load_dge_trigger != Engine::kAct)
    reject("dge_trigger", "must be Sync or Scalar");
  // Two tiles (the chains' ping-pong, or the loaded tile and the copies' destination) must fit a partition.
  if (2 * row_bytes(p) > limits.sbuf_partition_bytes) {
    reject("elements", "two tiles of " + std::to_string(row_bytes(p)) + " bytes must fit a " +
                           std::to_string(limits.sbuf_partition_bytes) + "-byte SBUF partition");
  }
}

// dma_stream: count loads and a store; the others: a load, count instructions and a store.
double microbenchmark_instruction_estimate(const MicrobenchmarkParams& p) {
  return double(p.count) + (p.kind == MicrobenchKind::kDmaStream ? 1 : 2);
}

Program build_microbenchmark(const MicrobenchmarkParams& p, const MemoryLimits& limits) {
  check_microbenchmark_params(p, limits);
  ProgramBuilder b("microbenchmark", limits);
  const int32_t x = b.hbm_tensor("x", p.dtype, {p.partitions, p.elements}, TensorKind::kInput);
  const int32_t y = b.hbm_tensor("y", p.dtype, {p.partitions, p.elements}, TensorKind::kOutput);
  const AccessPattern x_hbm = hbm_rows(x, p.dtype, 0, p.elements, 0, p.partitions, 0, p.elements);
  const AccessPattern y_hbm = hbm_rows(y, p.dtype, 0, p.elements, 0, p.partitions, 0, p.elements);
  // Named as the profiler names queues by who drives them (a Scalar-commanded hwdge queue, GpSimd's swdge).
  const bool scalar_dge = p.load_dge == DgeMode::kHardware && p.load_dge_trigger == Engine::kAct;
  const int32_t load_queue = b.dma_queue(p.load_dge == DgeMode::kSoftware ? "qGpSimdIO0"
                                         : scalar_dge                     ? "qScalarIO0"
                                                                          : "qSyncIO0",
                                         p.load_dge, p.load_dge_trigger);
  const int32_t store_queue = b.dma_queue("qSyncIO1");
  const auto tile = [&](const char* name) { return b.sbuf(name, p.dtype, p.partitions, {p.elements}).ap; };

  if (p.kind == MicrobenchKind::kDmaStream) {
    std::vector<AccessPattern> buffers;
    for (int64_t i = 0; i < dma_buffers(p, limits); ++i)
      buffers.push_back(tile("loaded"));
    for (int64_t i = 0; i < p.count; ++i)
      b.dma_copy(load_queue, buffers[size_t(i) % buffers.size()], x_hbm);
    b.dma_copy(store_queue, y_hbm, buffers[size_t(p.count - 1) % buffers.size()]);
    return b.finish();
  }

  const AccessPattern tiles[2] = {tile("ping"), tile("pong")};
  b.dma_copy(load_queue, tiles[0], x_hbm);
  const bool chain = p.kind == MicrobenchKind::kScalarChain || p.kind == MicrobenchKind::kVectorChain;
  for (int64_t i = 0; i < p.count; ++i) {
    // A chain copies ping -> pong -> ping ...; independent copies all read ping and write pong.
    const AccessPattern& src = chain ? tiles[i % 2] : tiles[0];
    const AccessPattern& dst = chain ? tiles[(i + 1) % 2] : tiles[1];
    switch (p.kind) {
      case MicrobenchKind::kScalarChain:
      case MicrobenchKind::kScalarIndependent:
        b.activation(dst, src, ActFunc::kCopy);
        break;
      case MicrobenchKind::kVectorChain:
      case MicrobenchKind::kVectorIndependent:
        b.tensor_copy(dst, src, Engine::kDve);
        break;
      case MicrobenchKind::kGpSimdIndependent:
        b.tensor_copy(dst, src, Engine::kPool);
        break;
      case MicrobenchKind::kDmaStream:
        break;
    }
  }
  b.dma_copy(store_queue, y_hbm, tiles[chain ? p.count % 2 : 1]);
  return b.finish();
}

}  // namespace tn::kernels
