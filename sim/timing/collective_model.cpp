#include "sim/timing/collective_model.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <stdexcept>

#include "sim/timing/rounding.hpp"

namespace tn::timing {

namespace {

uint64_t ns_to_ps(double ns) { return uint64_t(round_half_away(ns * 1000.0)); }

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

uint64_t CollectiveModel::round(const CollectiveRank& a, const CollectiveRank& b,
                                const std::vector<uint32_t>& route, uint64_t bytes, uint64_t ready_ps) {
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
  return end;
}

std::unique_ptr<CollectiveRun> CollectiveModel::start(CollectiveKind kind, uint64_t src_bytes,
                                                      std::vector<CollectiveRank> members, uint64_t now_ps) {
  const uint32_t g = uint32_t(members.size());
  CollectiveTiming t;
  t.message_bytes = kind == CollectiveKind::kAllGather ? src_bytes * g : src_bytes;
  t.algorithm = choose(kind, t.message_bytes, g);
  t.start_ps = now_ps;
  auto steps = steps_of(kind, t.algorithm, src_bytes, g);
  t.steps = uint32_t(steps.size());
  return std::unique_ptr<CollectiveRun>(new CollectiveRun(*this, t, std::move(members), std::move(steps)));
}

CollectiveTiming CollectiveModel::run(CollectiveKind kind, uint64_t src_bytes,
                                      const std::vector<CollectiveRank>& members, uint64_t now_ps) {
  const auto r = start(kind, src_bytes, members, now_ps);
  while (!r->done()) {
    if (r->next_ps() == UINT64_MAX)
      throw std::logic_error("CollectiveRun: flows left that can never start");
    r->advance(r->next_ps());
  }
  return r->timing();
}

CollectiveRun::CollectiveRun(CollectiveModel& model, CollectiveTiming timing,
                             std::vector<CollectiveRank> members,
                             std::vector<std::vector<CollectiveModel::Transfer>> steps)
    : m_model(model), m_timing(std::move(timing)), m_members(std::move(members)) {
  const size_t g = m_members.size(), n_steps = steps.size();
  // A round moves one packet per DMA engine of the sender's cores.
  m_round_bytes = uint64_t(model.m_system.cc_packet_bytes) * uint64_t(m_members[0].dma[0]->num_engines()) *
                  uint64_t(m_members[0].dma.size());
  m_open.assign(n_steps, std::vector<uint32_t>(g, 0));
  m_arrived.assign(n_steps, std::vector<uint64_t>(g, 0));
  for (uint32_t s = 0; s < n_steps; ++s) {
    for (const CollectiveModel::Transfer& x : steps[s]) {
      Flow f;
      f.step = s;
      f.from = x.from;
      f.to = x.to;
      f.left = x.bytes;
      f.route = model.m_fabric.route(m_members[x.from].chip, m_members[x.to].chip);
      m_flows.push_back(std::move(f));
      ++m_open[s][x.from];
      if (x.to != x.from)
        ++m_open[s][x.to];
    }
  }
  m_remaining = m_flows.size();
  m_timing.end_ps.assign(g, m_timing.start_ps);
  m_step_of.assign(g, 0);
  const uint64_t first = m_timing.start_ps + model.m_trigger_ps;
  for (uint32_t m = 0; m < g; ++m)
    begin_step(m, 0, first);
}

void CollectiveRun::begin_step(uint32_t member, uint32_t step, uint64_t at_ps) {
  // A member whose step involves nothing of it goes straight on; past the last step it is done.
  while (step < m_open.size() && m_open[step][member] == 0) {
    at_ps = std::max(at_ps, m_arrived[step][member]);
    ++step;
  }
  m_step_of[member] = step;
  if (step >= m_open.size()) {
    m_timing.end_ps[member] = at_ps;
    return;
  }
  for (Flow& f : m_flows) {
    if (f.step == step && f.from == member)
      f.ready_ps = at_ps;  // its sends of this step may start
  }
  m_arrived[step][member] = std::max(m_arrived[step][member], at_ps);
}

uint64_t CollectiveRun::next_ps() const {
  uint64_t next = UINT64_MAX;
  for (const Flow& f : m_flows) {
    if (!f.done)
      next = std::min(next, f.ready_ps);
  }
  return next;
}

void CollectiveRun::advance(uint64_t now_ps) {
  for (bool any = true; any;) {
    any = false;
    for (Flow& f : m_flows) {
      if (f.done || f.ready_ps > now_ps)
        continue;
      any = true;
      const uint64_t bytes = std::min(f.left, m_round_bytes);
      const uint64_t end = m_model.round(m_members[f.from], m_members[f.to], f.route, bytes, f.ready_ps);
      f.left -= bytes;
      m_timing.link_bytes += bytes * f.route.size();
      if (f.left > 0) {
        f.ready_ps = end;
        continue;
      }
      f.done = true;
      --m_remaining;
      // A rank's copy of its own chunk is a plain DMA; a transfer to another rank pays a hop per link (one on
      // the same chip: the semaphore exchange between the ranks' CC-cores).
      const uint64_t arrival =
          f.from == f.to ? end : end + m_model.m_hop_ps * std::max<uint64_t>(1, f.route.size());
      for (uint32_t m : {f.from, f.to}) {
        m_arrived[f.step][m] = std::max(m_arrived[f.step][m], arrival);
        if (--m_open[f.step][m] == 0 && m_step_of[m] == f.step)
          begin_step(m, f.step + 1, m_arrived[f.step][m]);
        if (f.from == f.to)
          break;
      }
    }
  }
}

}  // namespace tn::timing
