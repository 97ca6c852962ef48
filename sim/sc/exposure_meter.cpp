#include "sim/sc/exposure_meter.hpp"

#include <algorithm>
#include <stdexcept>

namespace tn::sc {

void ExposureMeter::advance(Rank& r, uint64_t t) {
  if (t < r.last_ps)
    return;  // already accounted (events of one instant may arrive in any order)
  const uint64_t idle_from = std::max(r.last_ps, r.busy_until_ps);
  if (t > idle_from && !r.in_flight.empty())
    r.in_flight.front().exposed_ps += t - idle_from;
  r.last_ps = t;
}

void ExposureMeter::compute(uint32_t rank, uint64_t start_ps, uint64_t end_ps) {
  Rank& r = m_ranks.at(rank);
  advance(r, start_ps);
  r.busy_until_ps = std::max(r.busy_until_ps, end_ps);
}

void ExposureMeter::collective_started(uint32_t rank, uint64_t id, uint64_t now_ps) {
  Rank& r = m_ranks.at(rank);
  advance(r, now_ps);
  r.in_flight.push_back({id, 0});
}

uint64_t ExposureMeter::collective_ended(uint32_t rank, uint64_t id, uint64_t now_ps) {
  Rank& r = m_ranks.at(rank);
  advance(r, now_ps);
  const auto it =
      std::find_if(r.in_flight.begin(), r.in_flight.end(), [id](const InFlight& f) { return f.id == id; });
  if (it == r.in_flight.end())
    throw std::logic_error("ExposureMeter: collective " + std::to_string(id) + " is not in flight");
  const uint64_t exposed = it->exposed_ps;
  r.in_flight.erase(it);
  return exposed;
}

}  // namespace tn::sc
