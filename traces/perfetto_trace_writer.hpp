// TraceSink that writes native Perfetto protobuf (.pftrace) with our own encoder, the primary output
// recommended in peers-perfetto-profiler.md §2(c). It streams: every TracePacket is framed as field 1
// of Trace and handed to the stream as soon as it is encoded (through a ~1 MiB staging buffer), so
// memory does not grow with trace length. Same calls in, same bytes out.
//
// Layout (§2(b) "Semantics that matter"):
//  - track descriptors go on sequence kDescriptorSequenceId; the events of each lane of a slice track,
//    and of each counter track, go on a packet sequence of their own, as the Perfetto SDK does per thread
//    (src/tracing/internal/track_event_internal.cc, ResetIncrementalState / NewTracePacket): the sequence's
//    first packet sets SEQ_INCREMENTAL_STATE_CLEARED, TracePacketDefaults{timestamp_clock_id = 64,
//    track_event_defaults.track_uuid = the lane} and a ClockSnapshot{BOOTTIME = 0, clock 64 = 0,
//    incremental}; every later packet sets SEQ_NEEDS_INCREMENTAL_STATE and carries its timestamp as the
//    nanoseconds since the sequence's previous one, and no track_uuid. A lane never goes back in time
//    (LaneAllocator), so deltas are never negative; a timestamp before the sequence's last one (a caller's
//    out-of-order counter) is written absolute with timestamp_clock_id = BOOTTIME, which leaves the
//    incremental clock alone, as the SDK does. Decoded times are the same plain ns as with no clocks;
//  - a process is a root TrackDescriptor with a ProcessDescriptor and child_ordering = EXPLICIT; slice
//    and counter tracks are its children, ordered by sibling_order_rank = the rank the caller gave;
//  - a slice is a SLICE_BEGIN packet (interned name, debug annotations, flows) and a SLICE_END packet,
//    both written at once; annotation names and string values are interned too, per sequence (operands
//    and source lines repeat across slices: inline they were half the trace), each table capped at
//    kMaxInternedStrings; overlapping slices of one track go to lanes: extra sibling tracks with the same
//    name, rank and sibling_merge_key, so the UI shows them as one merged row;
//  - counters are counter tracks (CounterDescriptor.unit_name) fed TYPE_COUNTER events: counter_value
//    (int64) when the value is a whole number of magnitude below 2^53, double_counter_value otherwise;
//    trace_processor reads both into the same double.
#pragma once
#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iosfwd>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "traces/flow_pairer.hpp"
#include "traces/lane_allocator.hpp"
#include "traces/protobuf_writer.hpp"
#include "traces/string_interner.hpp"
#include "traces/trace_sink.hpp"
#include "traces/track_registry.hpp"

namespace tn::trace {

class PerfettoTraceWriter final : public TraceSink {
 public:
  // The sequence of the track descriptors (any non-zero id works); event sequences are 2, 3, ... in
  // order of first use.
  static constexpr uint32_t kDescriptorSequenceId = 1;
  // The sequence-scoped, incremental clock of every event sequence (the SDK's kClockIdIncremental).
  static constexpr uint32_t kIncrementalClockId = 64;
  // Interning tables stop growing at this many entries; later new strings are written inline, which
  // keeps memory bounded if a caller puts unbounded data into names or string values.
  static constexpr size_t kMaxInternedStrings = 1u << 16;

  // Writes to `out`, which must outlive the writer. Nothing is written to it after finish().
  explicit PerfettoTraceWriter(std::ostream& out);
  // Creates (truncates) `path`; throws std::runtime_error if it cannot be opened.
  explicit PerfettoTraceWriter(const std::filesystem::path& path);
  ~PerfettoTraceWriter() override;  // finishes if finish() was not called (errors swallowed)

  PerfettoTraceWriter(const PerfettoTraceWriter&) = delete;
  PerfettoTraceWriter& operator=(const PerfettoTraceWriter&) = delete;

  TrackId add_process(uint32_t pid, std::string_view name) override;
  TrackId add_slice_track(TrackId process, std::string_view name, int rank) override;
  TrackId add_counter_track(TrackId process, std::string_view name, std::string_view unit, int rank) override;
  // Throws std::invalid_argument for a TrackId that is not a slice track. An end before the start is
  // clamped to the start.
  void slice(TrackId track, std::string_view name, uint64_t start_ns, uint64_t end_ns,
             std::span<const Arg> args, std::span<const uint64_t> flow_ids = {}) override;
  // Keeps, per lane and key, the bytes of the repeated args' annotations and copies them into later
  // slices with that key: the same bytes as slice() writes.
  void slice_with_repeats(TrackId track, std::string_view name, uint64_t start_ns, uint64_t end_ns,
                          std::span<const Arg> args, std::span<const uint64_t> flow_ids,
                          const RepeatedArgs& repeats) override;
  void counter(TrackId track, uint64_t ts_ns, double value) override;
  // Flushes; throws std::runtime_error if the stream failed. Later calls throw std::logic_error.
  void finish() override;

  // Bytes produced so far (written or staged); lets callers warn about traces too big for the UI.
  uint64_t bytes_written() const { return m_flushed_bytes + m_pw.size(); }
  // Lanes a slice track has needed so far (1 until two of its slices overlap).
  uint32_t lane_count(TrackId slice_track) const;

 private:
  static constexpr size_t kCachedPositions = 32;
  struct KeyAt {
    const char* data = nullptr;
    size_t size = 0;
    uint64_t iid = 0;
  };
  // One packet sequence: a lane of a slice track or a counter track, with its own interning tables
  // (interned data is scoped to a sequence) and its incremental clock.
  struct Sequence {
    uint32_t id = 0;
    uint64_t last_ns = 0;  // the incremental clock: the last delta-encoded timestamp
    // Pointer caches are small: names, keys and most values are stable text (intern_stable's exact table).
    StringInterner event_names{kMaxInternedStrings, 16};
    StringInterner annotation_names{kMaxInternedStrings, 16};
    StringInterner string_values{kMaxInternedStrings, 256};
    // The annotation name iid last seen at each arg position, and the iid of the stable string value last
    // seen there (an engine's lane repeats its opcode and source line slice after slice): stable_iid_at.
    std::array<KeyAt, kCachedPositions> key_at{};
    std::array<KeyAt, kCachedPositions> value_at{};
    std::array<KeyAt, 1> event_name_at{};  // the same for the event's name
    // RepeatedArgs encodings by key: open addressing (key 0 empty), a power of two in size, at most half
    // full; the bytes, prefix then suffix, in `repeated_bytes`.
    struct Repeated {
      uint64_t key = 0;
      uint32_t offset = 0;
      uint16_t prefix_bytes = 0, suffix_bytes = 0;
    };
    std::vector<Repeated> repeated = std::vector<Repeated>(16);
    size_t repeated_count = 0;
    std::string repeated_bytes;
    size_t first_slot_of(uint64_t key) const;
    const Repeated* find_repeated(uint64_t key) const;
    void add_repeated(const Repeated& r);
  };
  struct Track {
    TrackKind kind = TrackKind::kProcess;
    uint64_t uuid = 0;         // the track's own uuid (lane 0 for slice tracks)
    uint64_t parent_uuid = 0;  // process track, for slice/counter tracks
    int rank = 0;
    std::string name;
    LaneAllocator lanes;
    std::vector<uint64_t> lane_uuids;  // slice tracks: uuid per lane, [0] == uuid
    // Per lane (one for a counter track): 1 + index into m_sequences, 0 until the lane's first event.
    std::vector<uint32_t> lane_sequences;
  };
  struct FlowEnd {
    uint64_t start_ns;
  };

  void check_open(std::string_view call) const;
  // Track uuids are 1, 2, 3, ... in creation order (lanes included): deterministic, and small, since
  // every event repeats its track_uuid as a varint. Traces are not meant to be merged by
  // concatenation (the sequence id and interned ids would clash anyway).
  uint64_t new_uuid() { return ++m_uuid_count; }
  // Returns the iid of `s`, interning it (and queueing it for this packet's interned_data) on first
  // use; 0 when the table is full and `s` must be written inline.
  // `stable`: s stays valid and unchanged until finish() (StringInterner::intern_stable).
  static uint64_t intern(StringInterner& table, std::vector<uint64_t>& fresh, std::string_view s,
                         bool stable = false);
  // The iid of stable text (TraceSink keys, Arg::stable_text values) seen at arg `position`, interned in
  // `table` on first use: a caller passes the same keys and often the same values (string literals,
  // texts kept for the run) at the same position slice after slice, so the text last seen at a position
  // is remembered in `cache` by its address.
  uint64_t stable_iid_at(std::span<KeyAt> cache, size_t position, StringInterner& table,
                         std::vector<uint64_t>& fresh, std::string_view text);
  // One arg's DebugAnnotation, given its name and (string) value iids, 0 where written inline.
  void write_annotation(const Arg& a, uint64_t key_iid, uint64_t value_iid);
  void write_interned(uint32_t field, const StringInterner& table, const std::vector<uint64_t>& fresh);
  // The sequence of `lane` of `t`, started (its first packet written) on first use.
  Sequence& sequence_of(Track& t, size_t lane, uint64_t track_uuid);
  void begin_descriptor_packet();
  // An event packet's first fields (sequence id, timestamp, clock if absolute, flags), at most
  // kMaxEventHeader bytes, written at `p`; returns the end. Advances the sequence's clock.
  static constexpr size_t kMaxEventHeader = 2 + 6 + 11 + 3 + 2;
  static char* put_event_header(char* p, Sequence& seq, uint64_t ts_ns);
  // Opens an event packet on `seq` at `ts_ns` (delta-encoded, see the layout above).
  void begin_event_packet(Sequence& seq, uint64_t ts_ns);
  // A whole SLICE_END packet.
  void write_slice_end(Sequence& seq, uint64_t ts_ns);
  void end_packet();
  void flush_if_full();  // hands the staged bytes to the stream once kFlushBytes have built up
  void write_slice_track_descriptor(const Track& t, uint64_t uuid);
  void flush();

  std::unique_ptr<std::ofstream> m_file;
  std::ostream* m_out;
  ProtoWriter m_pw;
  uint64_t m_flushed_bytes = 0;
  bool m_finished = false;
  uint64_t m_uuid_count = 0;
  TrackRegistry<Track> m_tracks;
  std::vector<std::unique_ptr<Sequence>> m_sequences;  // sequence id = index + 2
  FlowPairer<FlowEnd> m_flows;
  // Per-packet scratch, kept to avoid allocating per slice: the iids first used by this packet, and
  // per arg its name iid and (string values) its value iid.
  std::vector<uint64_t> m_fresh_event_names;
  std::vector<uint64_t> m_fresh_annotation_names;
  std::vector<uint64_t> m_fresh_string_values;
  std::vector<std::pair<uint64_t, uint64_t>> m_arg_iids;
};

}  // namespace tn::trace
