#include "sim/timing/collective_model.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace tn::timing {

namespace {

uint64_t ns_to_ps(double ns) { return uint64_t(std::llround(ns * 1000.0)); }

bool power_of_two(uint32_t g) { return g > 0 && (g & (g - 1)) == 0; }

}  // namespace

std::string_view algorithm_name(CollectiveAlgorithm a) {
  switch (a) {
    case CollectiveAlgorithm::kMesh:
      return "Mesh";
    case CollectiveAlgorithm::kRing:
      return "Ring";
    case CollectiveAlgorithm::kRdh:
      return "RDH";
    case CollectiveAlgorithm::kKangaRing:
      return "KangaRing";
  }
  return "?";
}

std::optional<CollectiveAlgorithm> algorithm_from_name(std::string_view name) {
  if (name == "mesh")
    return CollectiveAlgorithm::kMesh;
  if (name == "ring")
    return CollectiveAlgorithm::kRing;
  if (name == "rdh")
    return CollectiveAlgorithm::kRdh;
  if (name == "kangaring")
    return CollectiveAlgorithm::kKangaRing;
  return std::nullopt;
}

uint64_t CollectiveTiming::end() const {
  uint64_t e = start_ps;
  for (uint64_t t : end_ps)
    e = std::max(e, t);
  return e;
}

double CollectiveTiming::algbw_bytes_per_ns() const {
  const uint64_t ps = end() - start_ps;
  return ps > 0 ? double(message_bytes) * 1000.0 / double(ps) : 0.0;
}

double CollectiveTiming::busbw_bytes_per_ns(CollectiveKind kind, size_t group) const {
  const double factor =
      kind == CollectiveKind::kPermute || group == 0 ? 1.0 : double(group - 1) / double(group);
  return algbw_bytes_per_ns() * factor;
}

CollectiveModel::CollectiveModel(const SystemConfig& system, Fabric& fabric,
                                 std::optional<CollectiveAlgorithm> forced)
    : m_system(system),
      m_fabric(fabric),
      m_forced(forced),
      m_trigger_ps(ns_to_ps(system.cc_trigger_latency_ns)),
      m_hop_ps(ns_to_ps(system.cc_hop_latency_ns)) {}

CollectiveAlgorithm CollectiveModel::choose(CollectiveKind kind, uint64_t message_bytes, size_t group) const {
  if (kind == CollectiveKind::kPermute)
    return CollectiveAlgorithm::kRing;
  CollectiveAlgorithm a =
      m_forced                                                       ? *m_forced
      : message_bytes < uint64_t(m_system.algorithms_mesh_max_bytes) ? CollectiveAlgorithm::kMesh
      : message_bytes <= uint64_t(m_system.algorithms_rdh_max_bytes) ? CollectiveAlgorithm::kRdh
                                                                     : CollectiveAlgorithm::kKangaRing;
  // The forms that do not exist fall back to Ring (collectives.md §1: "Ring as fallback").
  if (a == CollectiveAlgorithm::kRdh && !power_of_two(uint32_t(group)))
    a = CollectiveAlgorithm::kRing;
  if (a == CollectiveAlgorithm::kKangaRing && kind == CollectiveKind::kAllToAll)
    a = CollectiveAlgorithm::kRing;
  return a;
}

std::vector<std::vector<CollectiveModel::Transfer>> CollectiveModel::steps_of(CollectiveKind kind,
                                                                              CollectiveAlgorithm a,
                                                                              uint64_t n, uint32_t g) const {
  std::vector<std::vector<Transfer>> steps;
  const auto step = [&]() -> std::vector<Transfer>& { return steps.emplace_back(); };
  if (kind == CollectiveKind::kPermute) {
    auto& s = step();
    for (uint32_t i = 0; i < g; ++i)
      s.push_back({i, (i + 1) % g, n});
    return steps;
  }
  if (kind == CollectiveKind::kAllGather) {
    auto& first = step();
    for (uint32_t i = 0; i < g; ++i)
      first.push_back({i, i, n});  // the own chunk into dst
    switch (a) {
      case CollectiveAlgorithm::kMesh:
        for (uint32_t i = 0; i < g; ++i) {
          for (uint32_t d = 1; d < g; ++d)
            steps[0].push_back({i, (i + d) % g, n});
        }
        break;
      case CollectiveAlgorithm::kRing:
        for (uint32_t s = 0; s + 1 < g; ++s) {
          auto& st = s == 0 ? steps[0] : step();
          for (uint32_t i = 0; i < g; ++i)
            st.push_back({i, (i + 1) % g, n});
        }
        break;
      case CollectiveAlgorithm::kRdh:
        for (uint32_t k = 0; (1u << k) < g; ++k) {
          auto& st = k == 0 ? steps[0] : step();
          for (uint32_t i = 0; i < g; ++i)
            st.push_back({i, i ^ (1u << k), n << k});
        }
        break;
      case CollectiveAlgorithm::kKangaRing: {
        const uint32_t forward = g / 2, backward = (g - 1) / 2;  // chunks each way: ceil, floor of (G-1)/2
        for (uint32_t s = 0; s < forward; ++s) {
          auto& st = s == 0 ? steps[0] : step();
          for (uint32_t i = 0; i < g; ++i) {
            st.push_back({i, (i + 1) % g, n});
            if (s < backward)
              st.push_back({i, (i + g - 1) % g, n});
          }
        }
        break;
      }
    }
    return steps;
  }
  // all_to_all: n is each rank's whole buffer, c = n / G per destination.
  const uint64_t c = n / g;
  auto& first = step();
  for (uint32_t i = 0; i < g; ++i)
    first.push_back({i, i, c});
  if (a == CollectiveAlgorithm::kMesh) {
    for (uint32_t i = 0; i < g; ++i) {
      for (uint32_t d = 1; d < g; ++d)
        steps[0].push_back({i, (i + d) % g, c});
    }
  } else if (a == CollectiveAlgorithm::kRdh) {
    for (uint32_t k = 0; (1u << k) < g; ++k) {
      auto& st = k == 0 ? steps[0] : step();
      for (uint32_t i = 0; i < g; ++i)
        st.push_back({i, i ^ (1u << k), n / 2});
    }
  } else {
    for (uint32_t s = 1; s < g; ++s) {
      auto& st = s == 1 ? steps[0] : step();
      for (uint32_t i = 0; i < g; ++i)
        st.push_back({i, (i + s) % g, c});
    }
  }
  return steps;
}

uint64_t CollectiveModel::transfer(const CollectiveRank& a, const CollectiveRank& b, uint64_t bytes,
                                   uint64_t ready_ps, uint64_t& link_bytes) {
  const std::vector<uint32_t> route = m_fabric.route(a.chip, b.chip);
  uint64_t end = ready_ps;
  const uint64_t packet = uint64_t(m_system.cc_packet_bytes);
  const size_t cores = a.dma.size();
  for (size_t k = 0; k < cores; ++k) {
    // An even share per core of the sender (LNC2 ranks use both cores' engines and stacks).
    const uint64_t share = bytes * (k + 1) / cores - bytes * k / cores;
    if (share == 0)
      continue;
    end = std::max(end, a.dma[k]->move_packets(ready_ps, share, packet).end_ps);
    end = std::max(end, a.hbm[k]->reserve(ready_ps, share).end_ps);                 // read
    end = std::max(end, b.hbm[k % b.hbm.size()]->reserve(ready_ps, share).end_ps);  // write
  }
  for (uint32_t l : route) {
    const TimeInterval iv = m_fabric.link(l).reserve(ready_ps, bytes);
    end = std::max(end, iv.end_ps);
    if (m_observer)
      m_observer(l, iv, bytes);
  }
  link_bytes += bytes * route.size();
  // A rank's copy of its own chunk is a plain DMA; a transfer to another rank pays a hop per link (one
  // on the same chip: the semaphore exchange between the ranks' CC-cores).
  if (&a == &b)
    return end;
  return end + m_hop_ps * std::max<uint64_t>(1, route.size());
}

CollectiveTiming CollectiveModel::run(CollectiveKind kind, uint64_t src_bytes,
                                      const std::vector<CollectiveRank>& members, uint64_t now_ps) {
  const uint32_t g = uint32_t(members.size());
  CollectiveTiming t;
  t.message_bytes = kind == CollectiveKind::kAllGather ? src_bytes * g : src_bytes;
  t.algorithm = choose(kind, t.message_bytes, g);
  t.start_ps = now_ps;
  std::vector<uint64_t> ready(g, now_ps + m_trigger_ps);
  const auto steps = steps_of(kind, t.algorithm, src_bytes, g);
  for (const auto& step : steps) {
    std::vector<uint64_t> next = ready;
    for (const Transfer& x : step) {
      const uint64_t arrived = transfer(members[x.from], members[x.to], x.bytes, ready[x.from], t.link_bytes);
      next[x.from] = std::max(next[x.from], arrived);
      next[x.to] = std::max(next[x.to], arrived);
    }
    ready = std::move(next);
  }
  t.steps = uint32_t(steps.size());
  t.end_ps = ready;
  return t;
}

}  // namespace tn::timing
