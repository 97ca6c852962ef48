// The checker must catch what Perfetto would reject or misdraw; these traces are built by hand,
// field by field, to contain exactly one mistake each.
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

#include "traces/perfetto_fields.hpp"
#include "traces/perfetto_trace_reader.hpp"
#include "traces/protobuf_writer.hpp"

namespace tn::trace {
namespace {

struct SnapshotClock {
  uint32_t id = 0;
  uint64_t ts = 0;
  bool incremental = false;
};

struct Pkt {
  uint32_t seq = 1;
  uint32_t flags = 0;
  std::optional<uint64_t> ts{};
  std::optional<uint32_t> clock_id{};
  bool clock_snapshot = false;  // an empty one, unless `clocks`
  // A ClockSnapshot of BOOTTIME 500 and these clocks.
  std::vector<SnapshotClock> clocks{};
  std::optional<uint32_t> default_clock{};  // TracePacketDefaults
  std::optional<uint64_t> default_track{};
};

struct Ev {
  int type = pf::event::kTypeSliceBegin;
  std::optional<uint64_t> track{};
  std::string name{};
  uint64_t name_iid = 0;
  uint64_t annotation_name_iid = 0;
  uint64_t annotation_value_iid = 0;  // with annotation_name_iid: a string_value_iid instead of an int
  std::vector<uint64_t> flows{}, terminating{};
  std::optional<double> value{};
};

class Builder {
 public:
  template <typename Body>
  void packet(const Pkt& p, Body&& body) {
    m_w.begin_nested(pf::trace::kPacket);
    if (p.seq != 0) {
      m_w.varint(pf::packet::kTrustedPacketSequenceId, p.seq);
    }
    if (p.flags != 0) {
      m_w.varint(pf::packet::kSequenceFlags, p.flags);
    }
    if (p.ts) {
      m_w.varint(pf::packet::kTimestamp, *p.ts);
    }
    if (p.clock_id) {
      m_w.varint(pf::packet::kTimestampClockId, *p.clock_id);
    }
    if (p.default_clock || p.default_track) {
      m_w.begin_nested(pf::packet::kTracePacketDefaults);
      if (p.default_clock) {
        m_w.varint(pf::defaults::kTimestampClockId, *p.default_clock);
      }
      if (p.default_track) {
        m_w.begin_nested(pf::defaults::kTrackEventDefaults);
        m_w.varint(pf::defaults::kTrackUuid, *p.default_track);
        m_w.end_nested();
      }
      m_w.end_nested();
    }
    if (p.clock_snapshot || !p.clocks.empty()) {
      m_w.begin_nested(pf::packet::kClockSnapshot);
      if (!p.clocks.empty()) {
        write_clock(pf::clock::kBoottime, 500, false);
      }
      for (const SnapshotClock& c : p.clocks) {
        write_clock(c.id, c.ts, c.incremental);
      }
      m_w.end_nested();
    }
    body(m_w);
    m_w.end_nested();
  }
  void write_clock(uint32_t id, uint64_t ts, bool incremental) {
    m_w.begin_nested(pf::clock::kClocks);
    m_w.varint(pf::clock::kClockId, id);
    m_w.varint(pf::clock::kTimestamp, ts);
    if (incremental) {
      m_w.varint(pf::clock::kIsIncremental, 1);
    }
    m_w.end_nested();
  }
  void process(uint64_t uuid, int pid, std::optional<uint64_t> parent = {}, Pkt p = {}) {
    packet(p, [&](ProtoWriter& w) {
      w.begin_nested(pf::packet::kTrackDescriptor);
      w.varint(pf::track::kUuid, uuid);
      if (parent) {
        w.varint(pf::track::kParentUuid, *parent);
      }
      w.begin_nested(pf::track::kProcess);
      w.varint(pf::process::kPid, static_cast<uint64_t>(pid));
      w.bytes(pf::process::kProcessName, "NC" + std::to_string(pid));
      w.end_nested();
      w.end_nested();
    });
  }
  void track(uint64_t uuid, std::optional<uint64_t> parent, bool counter = false) {
    packet({}, [&](ProtoWriter& w) {
      w.begin_nested(pf::packet::kTrackDescriptor);
      w.varint(pf::track::kUuid, uuid);
      if (parent) {
        w.varint(pf::track::kParentUuid, *parent);
      }
      w.bytes(pf::track::kName, counter ? "counter" : "slices");
      if (counter) {
        w.begin_nested(pf::track::kCounter);
        w.end_nested();
      }
      w.end_nested();
    });
  }
  void intern(uint32_t field, uint64_t iid, std::string_view name, Pkt p) {
    packet(p, [&](ProtoWriter& w) {
      w.begin_nested(pf::packet::kInternedData);
      w.begin_nested(field);
      w.varint(pf::interned::kEntryIid, iid);
      w.bytes(pf::interned::kEntryName, name);
      w.end_nested();
      w.end_nested();
    });
  }
  void event(Pkt p, const Ev& e) {
    packet(p, [&](ProtoWriter& w) {
      w.begin_nested(pf::packet::kTrackEvent);
      w.varint(pf::event::kType, static_cast<uint64_t>(e.type));
      if (e.track) {
        w.varint(pf::event::kTrackUuid, *e.track);
      }
      if (e.name_iid != 0) {
        w.varint(pf::event::kNameIid, e.name_iid);
      } else if (!e.name.empty()) {
        w.bytes(pf::event::kName, e.name);
      }
      if (e.annotation_name_iid != 0) {
        w.begin_nested(pf::event::kDebugAnnotations);
        w.varint(pf::annotation::kNameIid, e.annotation_name_iid);
        if (e.annotation_value_iid != 0) {
          w.varint(pf::annotation::kStringValueIid, e.annotation_value_iid);
        } else {
          w.int64(pf::annotation::kIntValue, 1);
        }
        w.end_nested();
      }
      for (const uint64_t id : e.flows) {
        w.fixed64(pf::event::kFlowIds, id);
      }
      for (const uint64_t id : e.terminating) {
        w.fixed64(pf::event::kTerminatingFlowIds, id);
      }
      if (e.value) {
        w.double_(pf::event::kDoubleCounterValue, *e.value);
      }
      w.end_nested();
    });
  }
  void slice(uint64_t track, uint64_t begin, uint64_t end, std::string_view name = "s") {
    event({.ts = begin}, {.track = track, .name = std::string(name)});
    event({.ts = end}, {.type = pf::event::kTypeSliceEnd, .track = track});
  }
  // A sequence started as PerfettoTraceWriter starts one: cleared, clock 64 incremental from 0 (BOOTTIME
  // 500), and defaults of that clock and `track`.
  void incremental_sequence(uint32_t seq, uint64_t track) {
    packet({.seq = seq,
            .flags = pf::packet::kSeqIncrementalStateCleared,
            .clocks = {{64, 0, true}},
            .default_clock = 64,
            .default_track = track},
           [](ProtoWriter&) {});
  }
  // The valid preamble most cases start from: a cleared sequence, process 1, slice track 2 under it.
  static Builder with_tracks() {
    Builder b;
    b.process(1, 0, {}, {.flags = 3});
    b.track(2, 1);
    return b;
  }
  std::string_view bytes() const { return m_w.data(); }
  std::vector<std::string> problems(size_t max_problems = 100) const {
    return check_perfetto_trace(decoded(), max_problems);
  }
  DecodedTrace decoded() const { return decode_perfetto_trace(m_w.data()); }

 private:
  ProtoWriter m_w;
};

std::string joined(const std::vector<std::string>& problems) {
  std::string s;
  for (const std::string& p : problems) {
    s += p + "\n";
  }
  return s;
}

// Checks that exactly one problem was reported and that it mentions `needle`; shows them all if not.
#define CHECK_REPORTS(problems_expr, needle)                                       \
  do {                                                                             \
    const std::vector<std::string> problems_ = (problems_expr);                    \
    INFO(joined(problems_));                                                       \
    CHECK(problems_.size() == 1);                                                  \
    CHECK((!problems_.empty() && problems_[0].find(needle) != std::string::npos)); \
  } while (0)

TEST_CASE("checker: a minimal well-formed trace passes") {
  Builder b = Builder::with_tracks();
  b.track(3, 1, /*counter=*/true);
  b.slice(2, 0, 10);
  b.slice(2, 10, 20);  // touching is fine
  b.event({.ts = 5}, {.type = pf::event::kTypeCounter, .track = 3, .value = 1.0});
  CHECK(b.problems().empty());
}

TEST_CASE("checker: overlapping slices on one track") {
  Builder b = Builder::with_tracks();
  b.event({.ts = 0}, {.track = 2, .name = "a"});
  b.event({.ts = 5}, {.track = 2, .name = "b"});
  b.event({.ts = 10}, {.type = pf::event::kTypeSliceEnd, .track = 2});
  b.event({.ts = 15}, {.type = pf::event::kTypeSliceEnd, .track = 2});
  CHECK_REPORTS(b.problems(), "overlaps");
}

TEST_CASE("checker: undefined tracks") {
  SUBCASE("never defined") {
    Builder b = Builder::with_tracks();
    b.slice(99, 0, 10);
    const auto p = b.problems();
    REQUIRE(p.size() == 2);  // both BEGIN and END
    CHECK(p[0].find("track_uuid 99 that is not defined earlier") != std::string::npos);
  }
  SUBCASE("defined after first use") {
    Builder b;
    b.process(1, 0, {}, {.flags = 3});
    b.event({.ts = 0}, {.track = 2, .name = "early"});
    b.track(2, 1);
    b.event({.ts = 1}, {.type = pf::event::kTypeSliceEnd, .track = 2});
    const auto p = b.problems();
    REQUIRE(!p.empty());
    CHECK(p[0].find("not defined earlier") != std::string::npos);
  }
  SUBCASE("event without track_uuid") {
    Builder b = Builder::with_tracks();
    b.event({.ts = 0}, {.type = pf::event::kTypeInstant, .name = "i"});
    CHECK_REPORTS(b.problems(), "without track_uuid");
  }
}

TEST_CASE("checker: track descriptor rules") {
  SUBCASE("uuid 0") {
    Builder b = Builder::with_tracks();
    b.track(0, 1);
    CHECK_REPORTS(b.problems(), "uuid 0");
  }
  SUBCASE("duplicate uuid") {
    Builder b = Builder::with_tracks();
    b.track(2, 1);
    CHECK_REPORTS(b.problems(), "duplicate track uuid 2");
  }
  SUBCASE("process track with a parent") {
    Builder b = Builder::with_tracks();
    b.process(5, 1, /*parent=*/1);
    CHECK_REPORTS(b.problems(), "must be a root");
  }
  SUBCASE("parent defined nowhere") {
    Builder b = Builder::with_tracks();
    b.track(3, 42);
    CHECK_REPORTS(b.problems(), "parent_uuid 42");
  }
}

TEST_CASE("checker: slice balance and timestamps") {
  SUBCASE("BEGIN never ended") {
    Builder b = Builder::with_tracks();
    b.event({.ts = 0}, {.track = 2, .name = "open"});
    CHECK_REPORTS(b.problems(), "never ended");
  }
  SUBCASE("END without BEGIN") {
    Builder b = Builder::with_tracks();
    b.event({.ts = 0}, {.type = pf::event::kTypeSliceEnd, .track = 2});
    CHECK_REPORTS(b.problems(), "SLICE_END without an open slice");
  }
  SUBCASE("time goes backwards on a track") {
    Builder b = Builder::with_tracks();
    b.slice(2, 100, 200);
    b.slice(2, 50, 60);
    CHECK_REPORTS(b.problems(), "goes backwards");
  }
  SUBCASE("backwards across different tracks is fine") {
    Builder b = Builder::with_tracks();
    b.track(3, 1);
    b.slice(2, 100, 200);
    b.slice(3, 50, 60);
    CHECK(b.problems().empty());
  }
  SUBCASE("event without timestamp") {
    Builder b = Builder::with_tracks();
    b.event({}, {.type = pf::event::kTypeInstant, .track = 2, .name = "i"});
    CHECK_REPORTS(b.problems(), "without timestamp");
  }
}

TEST_CASE("checker: counters and slices stay on their kind of track") {
  SUBCASE("counter on a slice track") {
    Builder b = Builder::with_tracks();
    b.event({.ts = 0}, {.type = pf::event::kTypeCounter, .track = 2, .value = 1.0});
    CHECK_REPORTS(b.problems(), "COUNTER event on non-counter");
  }
  SUBCASE("slice on a counter track") {
    Builder b = Builder::with_tracks();
    b.track(3, 1, true);
    b.slice(3, 0, 1);
    CHECK_REPORTS(b.problems(), "SLICE_BEGIN on counter");
  }
  SUBCASE("counter without a value") {
    Builder b = Builder::with_tracks();
    b.track(3, 1, true);
    b.event({.ts = 0}, {.type = pf::event::kTypeCounter, .track = 3});
    CHECK_REPORTS(b.problems(), "without a value");
  }
}

TEST_CASE("checker: sequences and interning") {
  SUBCASE("sequence id 0") {
    Builder b = Builder::with_tracks();
    b.event({.seq = 0, .ts = 0}, {.type = pf::event::kTypeInstant, .track = 2, .name = "i"});
    CHECK_REPORTS(b.problems(), "trusted_packet_sequence_id");
  }
  SUBCASE("proper interning passes") {
    Builder b = Builder::with_tracks();
    b.intern(pf::interned::kEventNames, 1, "MatMul", {.flags = 2});
    b.intern(pf::interned::kDebugAnnotationNames, 1, "pc", {.flags = 2});
    b.event({.flags = 2, .ts = 0}, {.track = 2, .name_iid = 1, .annotation_name_iid = 1});
    b.event({.ts = 1}, {.type = pf::event::kTypeSliceEnd, .track = 2});
    CHECK(b.problems().empty());
    const DecodedTrace t = decode_perfetto_trace(b.bytes());
    const DecodedTrackEvent& e = t.packets.at(4).track_event.value();
    CHECK(e.name == "MatMul");
    CHECK(e.annotations.at(0).name == "pc");
  }
  SUBCASE("interned annotation string values resolve") {
    Builder b = Builder::with_tracks();
    b.intern(pf::interned::kDebugAnnotationNames, 1, "operands", {.flags = 2});
    b.intern(pf::interned::kDebugAnnotationStringValues, 5, "dst=sbuf[0:128]", {.flags = 2});
    b.event({.flags = 2, .ts = 0},
            {.track = 2, .name = "MatMul", .annotation_name_iid = 1, .annotation_value_iid = 5});
    b.event({.ts = 1}, {.type = pf::event::kTypeSliceEnd, .track = 2});
    CHECK(b.problems().empty());
    const DecodedTrace t = decode_perfetto_trace(b.bytes());
    const DecodedPacket& interned = t.packets.at(3);
    REQUIRE(interned.interned_string_values.size() == 1);
    CHECK(interned.interned_string_values[0] == DecodedInternedString{5, "dst=sbuf[0:128]"});
    const DecodedAnnotation& a = t.packets.at(4).track_event.value().annotations.at(0);
    CHECK(a.name == "operands");
    CHECK(a.value_iid == 5);
    CHECK(a.value_resolved);
    CHECK(std::get<std::string>(a.value) == "dst=sbuf[0:128]");
  }
  SUBCASE("undefined annotation string value iid") {
    Builder b = Builder::with_tracks();
    b.intern(pf::interned::kDebugAnnotationNames, 1, "operands", {.flags = 2});
    b.event({.flags = 2, .ts = 0}, {.type = pf::event::kTypeInstant,
                                    .track = 2,
                                    .name = "i",
                                    .annotation_name_iid = 1,
                                    .annotation_value_iid = 4});
    CHECK_REPORTS(b.problems(), "string_value_iid 4 is not defined");
  }
  SUBCASE("string value iid used without SEQ_NEEDS_INCREMENTAL_STATE") {
    Builder b = Builder::with_tracks();
    b.packet({.flags = 2}, [](ProtoWriter& w) {
      w.begin_nested(pf::packet::kInternedData);
      w.begin_nested(pf::interned::kDebugAnnotationStringValues);
      w.varint(pf::interned::kEntryIid, 1);
      w.bytes(pf::interned::kEntryName, "x");
      w.end_nested();
      w.end_nested();
    });
    b.packet({.ts = 0}, [](ProtoWriter& w) {  // no flags, yet its annotation value is an iid
      w.begin_nested(pf::packet::kTrackEvent);
      w.varint(pf::event::kType, pf::event::kTypeInstant);
      w.varint(pf::event::kTrackUuid, 2);
      w.bytes(pf::event::kName, "j");
      w.begin_nested(pf::event::kDebugAnnotations);
      w.bytes(pf::annotation::kName, "v");
      w.varint(pf::annotation::kStringValueIid, 1);
      w.end_nested();
      w.end_nested();
    });
    CHECK_REPORTS(b.problems(), "without SEQ_NEEDS_INCREMENTAL_STATE");
  }
  SUBCASE("undefined event name iid") {
    Builder b = Builder::with_tracks();
    b.event({.flags = 2, .ts = 0}, {.type = pf::event::kTypeInstant, .track = 2, .name_iid = 7});
    CHECK_REPORTS(b.problems(), "name_iid 7 is not defined");
  }
  SUBCASE("undefined annotation name iid") {
    Builder b = Builder::with_tracks();
    b.event({.flags = 2, .ts = 0},
            {.type = pf::event::kTypeInstant, .track = 2, .name = "i", .annotation_name_iid = 3});
    CHECK_REPORTS(b.problems(), "debug annotation name_iid 3");
  }
  SUBCASE("iid used without SEQ_NEEDS_INCREMENTAL_STATE") {
    Builder b = Builder::with_tracks();
    b.intern(pf::interned::kEventNames, 1, "MatMul", {.flags = 2});
    b.event({.ts = 0}, {.type = pf::event::kTypeInstant, .track = 2, .name_iid = 1});
    CHECK_REPORTS(b.problems(), "without SEQ_NEEDS_INCREMENTAL_STATE");
  }
  SUBCASE("interned data on a sequence that was never cleared") {
    Builder b = Builder::with_tracks();
    b.intern(pf::interned::kEventNames, 1, "MatMul", {.seq = 2, .flags = 2});
    b.event({.seq = 2, .flags = 2, .ts = 0}, {.type = pf::event::kTypeInstant, .track = 2, .name_iid = 1});
    const auto p = b.problems();
    REQUIRE(p.size() == 2);
    CHECK(p[0].find("interned_data before SEQ_INCREMENTAL_STATE_CLEARED") != std::string::npos);
    CHECK(p[1].find("before SEQ_INCREMENTAL_STATE_CLEARED") != std::string::npos);
  }
  SUBCASE("interning is per sequence") {
    Builder b = Builder::with_tracks();
    b.intern(pf::interned::kEventNames, 1, "MatMul", {.flags = 2});
    b.packet({.seq = 2, .flags = 3}, [](ProtoWriter&) {});
    b.event({.seq = 2, .flags = 2, .ts = 0}, {.type = pf::event::kTypeInstant, .track = 2, .name_iid = 1});
    CHECK_REPORTS(b.problems(), "not defined on sequence 2");
  }
  SUBCASE("clearing the state forgets earlier iids") {
    Builder b = Builder::with_tracks();
    b.intern(pf::interned::kEventNames, 1, "MatMul", {.flags = 2});
    b.packet({.flags = 3}, [](ProtoWriter&) {});
    b.event({.flags = 2, .ts = 0}, {.type = pf::event::kTypeInstant, .track = 2, .name_iid = 1});
    CHECK_REPORTS(b.problems(), "name_iid 1 is not defined");
  }
}

TEST_CASE("checker: flows and clocks") {
  SUBCASE("flow id seen once") {
    Builder b = Builder::with_tracks();
    b.event({.ts = 0}, {.track = 2, .name = "a", .flows = {7}});
    b.event({.ts = 1}, {.type = pf::event::kTypeSliceEnd, .track = 2});
    CHECK_REPORTS(b.problems(), "flow id 7 appears only once");
  }
  SUBCASE("flow with a terminating end passes") {
    Builder b = Builder::with_tracks();
    b.event({.ts = 0}, {.track = 2, .name = "a", .flows = {7}});
    b.event({.ts = 1}, {.type = pf::event::kTypeSliceEnd, .track = 2});
    b.event({.ts = 2}, {.track = 2, .name = "b", .terminating = {7}});
    b.event({.ts = 3}, {.type = pf::event::kTypeSliceEnd, .track = 2});
    CHECK(b.problems().empty());
  }
  SUBCASE("timestamp_clock_id without ClockSnapshot") {
    Builder b = Builder::with_tracks();
    b.event({.ts = 0, .clock_id = 64}, {.type = pf::event::kTypeInstant, .track = 2, .name = "i"});
    CHECK_REPORTS(b.problems(), "ClockSnapshot");
  }
  SUBCASE("a ClockSnapshot that does not define the clock does not help") {
    Builder b = Builder::with_tracks();
    b.packet({.clock_snapshot = true}, [](ProtoWriter&) {});
    b.event({.ts = 0, .clock_id = 64}, {.type = pf::event::kTypeInstant, .track = 2, .name = "i"});
    CHECK_REPORTS(b.problems(), "no earlier ClockSnapshot defines");
  }
  SUBCASE("a sequence clock is defined only on its own sequence") {
    Builder b = Builder::with_tracks();
    b.packet({.seq = 5, .clocks = {{64, 1000, false}}}, [](ProtoWriter&) {});
    b.event({.seq = 6, .ts = 0, .clock_id = 64}, {.type = pf::event::kTypeInstant, .track = 2, .name = "i"});
    CHECK_REPORTS(b.problems(), "no earlier ClockSnapshot defines");
  }
  SUBCASE("timestamp_clock_id after a ClockSnapshot that defines it passes, mapped to BOOTTIME") {
    Builder b = Builder::with_tracks();
    b.packet({.clocks = {{64, 1000, false}}}, [](ProtoWriter&) {});  // clock 64 at 1000 is BOOTTIME 500
    b.event({.ts = 1200, .clock_id = 64}, {.type = pf::event::kTypeInstant, .track = 2, .name = "i"});
    CHECK(b.problems().empty());
    CHECK(b.decoded().packets.back().timestamp == 700);
  }
  SUBCASE("incremental defaults: deltas add up, the track comes from the defaults") {
    Builder b = Builder::with_tracks();
    b.incremental_sequence(7, 2);
    const Pkt needs{.seq = 7, .flags = pf::packet::kSeqNeedsIncrementalState};
    Pkt at = needs;
    at.ts = 100;
    b.event(at, {.name = "a"});
    at.ts = 25;
    b.event(at, {.type = pf::event::kTypeSliceEnd});
    CHECK(b.problems().empty());
    const DecodedTrace t = b.decoded();
    CHECK(t.packets[t.packets.size() - 2].timestamp == 600);  // BOOTTIME 500 + 100
    CHECK(t.packets.back().timestamp == 625);
    CHECK(t.packets.back().track_event->track_uuid == 2);
    CHECK(t.packets.back().track_event->track_uuid_from_defaults);
  }
  SUBCASE("relying on defaults without SEQ_NEEDS_INCREMENTAL_STATE") {
    Builder b = Builder::with_tracks();
    b.incremental_sequence(7, 2);
    b.event({.seq = 7, .ts = 100}, {.type = pf::event::kTypeInstant, .name = "a"});
    CHECK_REPORTS(b.problems(), "relies on TracePacketDefaults without SEQ_NEEDS_INCREMENTAL_STATE");
  }
  SUBCASE("defaults before SEQ_INCREMENTAL_STATE_CLEARED") {
    Builder b = Builder::with_tracks();
    b.packet({.seq = 7, .default_clock = 6, .default_track = 2}, [](ProtoWriter&) {});
    CHECK_REPORTS(b.problems(), "trace_packet_defaults before SEQ_INCREMENTAL_STATE_CLEARED");
  }
  SUBCASE("an incremental global clock") {
    Builder b = Builder::with_tracks();
    b.packet({.clocks = {{3, 0, true}}}, [](ProtoWriter&) {});
    CHECK_REPORTS(b.problems(), "ClockSnapshot makes global clock 3 incremental");
  }
  SUBCASE("a track event in a ClockSnapshot packet") {
    Builder b = Builder::with_tracks();
    b.packet({.ts = 0, .clocks = {{64, 0, false}}}, [](ProtoWriter& w) {
      w.begin_nested(pf::packet::kTrackEvent);
      w.varint(pf::event::kType, pf::event::kTypeInstant);
      w.varint(pf::event::kTrackUuid, 2);
      w.end_nested();
    });
    CHECK_REPORTS(b.problems(), "track_event in a ClockSnapshot packet");
  }
}

TEST_CASE("checker: the problem list is capped") {
  Builder b = Builder::with_tracks();
  for (int i = 0; i < 50; ++i) {
    b.event({.ts = 0}, {.type = pf::event::kTypeInstant, .track = 1000, .name = "i"});
  }
  const auto p = b.problems(10);
  REQUIRE(p.size() == 11);
  CHECK(p[10] == "... and 40 more problems");
}

}  // namespace
}  // namespace tn::trace
