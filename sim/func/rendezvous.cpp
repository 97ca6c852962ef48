#include "sim/func/rendezvous.hpp"

#include <algorithm>

#include "isa/validator.hpp"
#include "sim/func/collectives.hpp"
#include "sim/func/executor.hpp"

namespace tn::sim {

namespace {

int32_t group_of(const isa::Operation& op) {
  if (const auto* g = std::get_if<isa::AllGather>(&op))
    return g->group;
  if (const auto* a = std::get_if<isa::AllToAll>(&op))
    return a->group;
  if (const auto* p = std::get_if<isa::CollectivePermute>(&op))
    return p->group;
  return -1;
}

std::string list(const std::vector<int32_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i)
    s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

}  // namespace

Rendezvous::Rendezvous(uint32_t cores_per_rank) : m_cores(cores_per_rank) {}

std::string Rendezvous::describe(const Arrival& a) const {
  std::string who = "rank " + std::to_string(a.rank);
  if (m_cores > 1)
    who += " core " + std::to_string(a.core);
  return who + ": " + isa::describe_instruction(*a.program, a.stream, a.index);
}

std::optional<Rendezvous::Meeting> Rendezvous::arrive(const Arrival& a) {
  const isa::Operation& op = a.op();
  const bool barrier = std::holds_alternative<isa::CoreBarrier>(op);
  Key key;
  size_t expected = 0;
  std::vector<int32_t> row;
  std::string what;
  if (barrier) {
    const uint64_t seq = m_barriers_issued[{a.rank, a.core}]++;
    key = Key{1, -1, int64_t(a.rank), std::string(), seq};
    expected = m_cores;
    what = "core barrier #" + std::to_string(seq) + " of rank " + std::to_string(a.rank);
  } else {
    const int32_t group = group_of(op);
    const std::vector<int32_t>* r = replica_row(*a.program, group, a.rank);
    if (!r) {
      throw ExecutionError(describe(a) + ": rank " + std::to_string(a.rank) +
                           " is in no row of replica group " + std::to_string(group));
    }
    const auto& rows = a.program->replica_groups[size_t(group)];
    const int64_t row_index = r - rows.data();
    const std::string& stream = a.program->streams[a.stream].name;
    const uint64_t seq = m_collectives_issued[{a.rank, a.core, group, stream}]++;
    key = Key{0, group, row_index, stream, seq};
    expected = r->size() * m_cores;
    row = *r;
    what = "collective #" + std::to_string(seq) + " of " + stream + " on replica group " +
           std::to_string(group) + " row " + list(*r);
  }
  Pending& p = m_pending[key];
  if (!p.arrivals.empty()) {
    const Arrival& first = p.arrivals.front();
    const isa::Operation& fop = first.op();
    const bool same = fop.index() == op.index() && (!barrier || std::get<isa::CoreBarrier>(fop).barrier ==
                                                                    std::get<isa::CoreBarrier>(op).barrier);
    if (!same) {
      throw ExecutionError(
          "collective mismatch at " + what + ": " + describe(a) + " meets " + describe(first) +
          (barrier ? " (barrier numbers " + std::to_string(std::get<isa::CoreBarrier>(op).barrier) + " and " +
                         std::to_string(std::get<isa::CoreBarrier>(fop).barrier) + ")"
                   : " (the ranks issue different collectives in this order)"));
    }
  }
  p.arrivals.push_back(a);
  p.expected = expected;
  p.row = row;
  m_waiting[{a.rank, a.core, a.stream}] = key;
  if (p.arrivals.size() < p.expected)
    return std::nullopt;

  Meeting m;
  m.barrier = barrier;
  m.group = barrier ? -1 : std::get<1>(key);
  m.row = p.row;
  m.stream = std::get<3>(key);
  m.sequence = std::get<4>(key);
  m.arrivals = std::move(p.arrivals);
  const auto position = [&](const Arrival& x) -> int64_t {
    if (barrier)
      return 0;
    return std::find(m.row.begin(), m.row.end(), int32_t(x.rank)) - m.row.begin();
  };
  std::sort(m.arrivals.begin(), m.arrivals.end(), [&](const Arrival& x, const Arrival& y) {
    return std::make_pair(position(x), x.core) < std::make_pair(position(y), y.core);
  });
  for (const Arrival& x : m.arrivals)
    m_waiting.erase({x.rank, x.core, x.stream});
  m_pending.erase(key);
  return m;
}

std::string Rendezvous::waiting_for(uint32_t rank, uint32_t core, uint32_t stream) const {
  const auto w = m_waiting.find({rank, core, stream});
  if (w == m_waiting.end())
    return "";
  const Pending& p = m_pending.at(w->second);
  const bool barrier = std::get<0>(w->second) == 1;
  std::string arrived, missing;
  const auto name = [&](uint32_t r, uint32_t c) {
    return "rank " + std::to_string(r) + (m_cores > 1 ? " core " + std::to_string(c) : "");
  };
  const auto has = [&](uint32_t r, uint32_t c) {
    return std::any_of(p.arrivals.begin(), p.arrivals.end(),
                       [&](const Arrival& x) { return x.rank == r && x.core == c; });
  };
  std::vector<uint32_t> ranks;
  if (barrier)
    ranks.push_back(rank);
  for (int32_t r : p.row)
    ranks.push_back(uint32_t(r));
  for (uint32_t r : ranks) {
    for (uint32_t c = 0; c < m_cores; ++c) {
      std::string& to = has(r, c) ? arrived : missing;
      to += (to.empty() ? "" : ", ") + name(r, c);
    }
  }
  const std::string what = barrier ? "core barrier #" + std::to_string(std::get<4>(w->second))
                                   : "collective #" + std::to_string(std::get<4>(w->second)) + " of " +
                                         std::get<3>(w->second) + " on replica group " +
                                         std::to_string(std::get<1>(w->second)) + " row " + list(p.row);
  return "waits at " + what + " for " + missing + " (arrived: " + arrived + ")";
}

}  // namespace tn::sim
