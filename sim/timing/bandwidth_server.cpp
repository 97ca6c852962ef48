#include "sim/timing/bandwidth_server.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "sim/timing/rounding.hpp"

namespace tn::timing {

BandwidthServer::BandwidthServer(double bytes_per_ns) : m_bytes_per_ns(bytes_per_ns) {
  if (!(bytes_per_ns > 0)) {
    throw std::invalid_argument("BandwidthServer: bandwidth must be positive");
  }
}

uint64_t BandwidthServer::duration_ps(uint64_t bytes, double efficiency) const {
  return static_cast<uint64_t>(
      round_half_away(static_cast<double>(bytes) * 1000.0 / (m_bytes_per_ns * efficiency)));
}

}  // namespace tn::timing
