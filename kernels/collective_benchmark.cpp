#include "kernels/collective_benchmark.hpp"

#include <algorithm>
#include <numeric>
#include <set>

#include "kernels/builder/program_builder.hpp"

namespace tn::kernels {

using namespace isa;

namespace {

[[noreturn]] void reject(const std::string& param, const std::string& rule) {
  throw KernelParamError("collective: " + param + ": " + rule);
}

// [128, n / 128] when that divides (the DMA deals 128 rows over its 16 engines), else one row.
AccessPattern flat(int32_t tensor, DType dt, int64_t n) {
  const int64_t rows = n % 128 == 0 ? 128 : 1;
  return hbm_ap(tensor, dt, 0, {n / rows, static_cast<int32_t>(rows)}, {{1, n / rows}});
}

}  // namespace

ReplicaGroup CollectiveBenchmarkParams::effective_group() const {
  if (!group.empty())
    return group;
  std::vector<int32_t> row(static_cast<size_t>(ranks));
  std::iota(row.begin(), row.end(), 0);
  return {row};
}

int64_t CollectiveBenchmarkParams::dst_elements() const {
  const int64_t g = int64_t(effective_group()[0].size());
  return kind == CollectiveBenchKind::kAllGather ? elements * g : elements;
}

void check_collective_benchmark_params(const CollectiveBenchmarkParams& p) {
  if (p.ranks < 1 || p.ranks > 4096)
    reject("ranks", "must be in 1..4096");
  if (p.lnc != 1 && p.lnc != 2)
    reject("lnc", "must be 1 or 2");
  if (p.elements < 1 || p.elements > (int64_t{1} << 30) / int64_t(dtype_size(p.dtype)))
    reject("bytes", "each rank's source must hold 1 element up to 1 GiB");
  // The rows must split the ranks: each rank exactly once, all rows one size.
  std::set<int32_t> seen;
  const ReplicaGroup g = p.effective_group();
  for (const auto& row : g) {
    if (row.size() != g[0].size())
      reject("replica_groups", "rows must have one size");
    for (int32_t r : row) {
      if (r < 0 || r >= p.ranks || !seen.insert(r).second)
        reject("replica_groups",
               "every rank 0.." + std::to_string(p.ranks - 1) + " must appear exactly once");
    }
  }
  if (int64_t(seen.size()) != p.ranks)
    reject("replica_groups", "every rank 0.." + std::to_string(p.ranks - 1) + " must appear exactly once");
  if (p.kind == CollectiveBenchKind::kAllToAll && p.elements % int64_t(g[0].size()) != 0) {
    reject("bytes", "all_to_all sends one equal chunk to each of the row's " + std::to_string(g[0].size()) +
                        " ranks: the source must divide by it");
  }
  if (p.dst_elements() > (int64_t{1} << 32))
    reject("bytes", "each rank's result must stay below 2^32 elements");
}

std::vector<Program> build_collective_benchmark(const CollectiveBenchmarkParams& p,
                                                const MemoryLimits& limits) {
  check_collective_benchmark_params(p);
  std::vector<Program> programs;
  for (int32_t core = 0; core < p.lnc; ++core) {
    ProgramBuilder b("collective", limits, static_cast<uint32_t>(core));
    const int64_t n = p.elements, m = p.dst_elements();
    const int32_t src = b.hbm_tensor("src", p.dtype, {n}, TensorKind::kInput);
    const int32_t dst = b.hbm_tensor("dst", p.dtype, {m}, TensorKind::kOutput);
    const int32_t send = b.hbm_tensor("send", p.dtype, {n}, TensorKind::kInternal);
    const int32_t recv = b.hbm_tensor("recv", p.dtype, {m}, TensorKind::kInternal);
    const int32_t group = b.replica_group(p.effective_group());
    const int32_t queue = b.dma_queue("qSyncIO0");
    const int32_t cc = b.cc_core(0);
    if (core == 0)
      b.dma_copy(queue, flat(send, p.dtype, n), flat(src, p.dtype, n));
    const AccessPattern s = flat(send, p.dtype, n), d = flat(recv, p.dtype, m);
    switch (p.kind) {
      case CollectiveBenchKind::kAllGather:
        b.all_gather(cc, d, s, group);
        break;
      case CollectiveBenchKind::kAllToAll:
        b.all_to_all(cc, d, s, group);
        break;
      case CollectiveBenchKind::kPermute:
        b.collective_permute(cc, d, s, group);
        break;
    }
    if (core == 0)
      b.dma_copy(queue, flat(dst, p.dtype, m), flat(recv, p.dtype, m));
    programs.push_back(b.finish());
  }
  return programs;
}

}  // namespace tn::kernels
