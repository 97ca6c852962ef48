// Pairs the two slices that share a flow id (TraceSink::slice's `flow_ids`). Slices may arrive in any
// order, so the writers remember the first slice seen for each open id and decide the arrow's
// direction when the second arrives, by start time (Perfetto's FlowTracker also orders by timestamp).
// Memory is bounded by the number of flows still waiting for their second slice.
#pragma once
#include <cstdint>
#include <optional>
#include <unordered_map>

namespace tn::trace {

template <typename Endpoint>
class FlowPairer {
 public:
  // Records `here` for `id`. On the id's second sighting returns the first endpoint and forgets the
  // id (so a later third sighting starts a new pair); otherwise returns nothing.
  std::optional<Endpoint> match(uint64_t id, const Endpoint& here) {
    auto [it, inserted] = m_open.try_emplace(id, here);
    if (inserted) {
      return std::nullopt;
    }
    Endpoint first = it->second;
    m_open.erase(it);
    return first;
  }
  size_t open_count() const { return m_open.size(); }

 private:
  std::unordered_map<uint64_t, Endpoint> m_open;
};

}  // namespace tn::trace
