// The bookkeeping both writers share for the TrackIds they hand out: ids are 1..n in creation order
// (0 is never valid) and each call checks it got the kind of track it needs, so a simulator bug
// (a counter sample sent to a slice track, say) fails loudly instead of writing a broken trace.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "traces/trace_sink.hpp"

namespace tn::trace {

enum class TrackKind : uint8_t { kProcess, kSlice, kCounter };

inline std::string_view track_kind_name(TrackKind k) {
  switch (k) {
    case TrackKind::kProcess:
      return "process";
    case TrackKind::kSlice:
      return "slice";
    case TrackKind::kCounter:
      return "counter";
  }
  return "?";
}

// `Track` is the writer's own per-track record; it must have a `TrackKind kind` member.
template <typename Track>
class TrackRegistry {
 public:
  TrackId add(Track t) {
    m_tracks.push_back(std::move(t));
    return m_tracks.size();
  }
  Track& get(TrackId id, TrackKind kind, std::string_view call) {
    return const_cast<Track&>(std::as_const(*this).get(id, kind, call));
  }
  const Track& get(TrackId id, TrackKind kind, std::string_view call) const {
    if (id == 0 || id > m_tracks.size()) {
      throw std::invalid_argument(std::string(call) + ": unknown TrackId " + std::to_string(id));
    }
    const Track& t = m_tracks[id - 1];
    if (t.kind != kind) {
      throw std::invalid_argument(std::string(call) + ": TrackId " + std::to_string(id) + " is a " +
                                  std::string(track_kind_name(t.kind)) + " track, expected a " +
                                  std::string(track_kind_name(kind)) + " track");
    }
    return t;
  }
  size_t size() const { return m_tracks.size(); }

 private:
  std::vector<Track> m_tracks;
};

}  // namespace tn::trace
