// TraceSink that writes the JSON Trace Event format ({"traceEvents":[...]}), the secondary output of
// peers-perfetto-profiler.md §2(c): readable and diffable, but lossy and bulky, so meant for small
// runs. It streams events as they come (through a ~1 MiB staging buffer).
//
// Mapping (§2(a)):
//  - add_process -> `M` process_name + process_sort_index (creation order); pid = the given pid;
//  - slice track -> one tid per lane with `M` thread_name + thread_sort_index. Lane 0 carries the
//    track's name, lane k >= 1 is named "<name> #k"; sort_index = rank * 2^20 + lane keeps lanes
//    next to each other. Tids are kTidBase + 1, + 2, ... so they never equal a pid (Perfetto keeps
//    one tid namespace for all processes and treats tid == pid as the main thread);
//  - slice -> `X` event, ts/dur in microseconds with exactly 3 decimals (ns resolution), args;
//  - counter -> `C` event with one arg named after the unit ("value" if the unit is empty), which
//    Perfetto shows as the counter track "<name> <unit>";
//  - flows -> written when a flow id's second slice arrives, as a v1 `s` / `f`("bp":"e") pair bound
//    to the earlier and the later slice (at each slice's midpoint, so the enclosing slice is
//    unambiguous). v2 `bind_id` cannot be used: it allows one id per event, a slice may carry several,
//    and the first slice is already written before the direction is known.
// Strings are escaped for JSON and invalid UTF-8 is replaced by U+FFFD, so the output always parses.
// Non-finite doubles are written as null.
#pragma once
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "traces/flow_pairer.hpp"
#include "traces/lane_allocator.hpp"
#include "traces/trace_sink.hpp"
#include "traces/track_registry.hpp"

namespace tn::trace {

class ChromeJsonTraceWriter final : public TraceSink {
 public:
  static constexpr uint32_t kTidBase = 1000000;
  static constexpr int64_t kLaneSortStride = int64_t{1} << 20;

  explicit ChromeJsonTraceWriter(std::ostream& out);
  explicit ChromeJsonTraceWriter(const std::filesystem::path& path);
  ~ChromeJsonTraceWriter() override;  // finishes if finish() was not called (errors swallowed)

  ChromeJsonTraceWriter(const ChromeJsonTraceWriter&) = delete;
  ChromeJsonTraceWriter& operator=(const ChromeJsonTraceWriter&) = delete;

  TrackId add_process(uint32_t pid, std::string_view name) override;
  TrackId add_slice_track(TrackId process, std::string_view name, int rank) override;
  TrackId add_counter_track(TrackId process, std::string_view name, std::string_view unit, int rank) override;
  void slice(TrackId track, std::string_view name, uint64_t start_ns, uint64_t end_ns,
             std::span<const Arg> args, std::span<const uint64_t> flow_ids = {}) override;
  void counter(TrackId track, uint64_t ts_ns, double value) override;
  // Closes the JSON document and flushes; throws std::runtime_error if the stream failed.
  void finish() override;

  uint64_t bytes_written() const { return m_flushed_bytes + m_buf.size(); }
  uint32_t lane_count(TrackId slice_track) const;

 private:
  struct Track {
    TrackKind kind = TrackKind::kProcess;
    uint32_t pid = 0;
    int rank = 0;
    std::string name;
    std::string counter_key;  // counter tracks: the arg name of the `C` events
    LaneAllocator lanes;
    std::vector<uint32_t> lane_tids;
  };
  struct FlowEnd {
    uint32_t pid;
    uint32_t tid;
    uint64_t mid_ns;  // where the flow event is placed: inside the slice
    uint64_t start_ns;
  };

  void check_open(std::string_view call) const;
  void begin_event();  // separator + "{"
  void end_event();    // "}" + flush when the staging buffer is full
  uint32_t add_lane(Track& t);
  void write_flow_event(char phase, uint64_t id, const FlowEnd& at);
  void flush();

  std::unique_ptr<std::ofstream> m_file;
  std::ostream* m_out;
  std::string m_buf;
  uint64_t m_flushed_bytes = 0;
  bool m_first_event = true;
  bool m_finished = false;
  uint32_t m_process_count = 0;
  uint32_t m_tid_count = 0;
  TrackRegistry<Track> m_tracks;
  FlowPairer<FlowEnd> m_flows;
};

}  // namespace tn::trace
