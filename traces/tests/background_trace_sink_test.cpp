// BackgroundTraceSink: the inner sink receives exactly the calls made, in order, with the same ids it
// handed out (translated), across many batches; an inner sink's exception reaches the caller.
#include "traces/background_trace_sink.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "traces/tee_trace_sink.hpp"

namespace tn::trace {
namespace {

// Records every call as text, with the ids it returns starting at 100 (so translation shows).
class RecordingSink final : public TraceSink {
 public:
  explicit RecordingSink(std::vector<std::string>& log, int fail_at = -1) : m_log(log), m_fail_at(fail_at) {}
  TrackId add_process(uint32_t pid, std::string_view name) override {
    note("process " + std::to_string(pid) + " " + std::string(name));
    return m_next++;
  }
  TrackId add_slice_track(TrackId process, std::string_view name, int rank) override {
    note("track " + std::to_string(process) + " " + std::string(name) + " " + std::to_string(rank));
    return m_next++;
  }
  TrackId add_counter_track(TrackId process, std::string_view name, std::string_view unit,
                            int rank) override {
    note("counter_track " + std::to_string(process) + " " + std::string(name) + " " + std::string(unit) +
         " " + std::to_string(rank));
    return m_next++;
  }
  void slice(TrackId track, std::string_view name, uint64_t start_ns, uint64_t end_ns,
             std::span<const Arg> args, std::span<const uint64_t> flows) override {
    std::string s = "slice " + std::to_string(track) + " " + std::string(name) + " " +
                    std::to_string(start_ns) + "-" + std::to_string(end_ns);
    for (const Arg& a : args) {
      s += " " + std::string(a.key) + "=";
      if (const auto* i = std::get_if<int64_t>(&a.value))
        s += std::to_string(*i);
      else if (const auto* d = std::get_if<double>(&a.value))
        s += std::to_string(*d);
      else
        s += std::string(std::get<std::string_view>(a.value));
    }
    for (uint64_t f : flows)
      s += " flow" + std::to_string(f);
    note(s);
  }
  void counter(TrackId track, uint64_t ts_ns, double value) override {
    note("count " + std::to_string(track) + " " + std::to_string(ts_ns) + " " + std::to_string(value));
  }
  void finish() override { note("finish"); }

 private:
  void note(std::string s) {
    if (int(m_log.size()) == m_fail_at)
      throw std::runtime_error("disk full");
    m_log.push_back(std::move(s));
  }
  std::vector<std::string>& m_log;
  int m_fail_at;
  TrackId m_next = 100;
};

// Formats a deferred slice from its record (a track and a number) and the text and flows handed with it,
// counting the calls.
class NumberedSlices final : public SliceFormatter {
 public:
  struct Fields {
    TrackId track;
    int64_t n;
  };
  void format_slice(TraceSink& sink, const SliceRecord& record, std::span<const uint64_t> flows,
                    std::string_view text) override {
    const auto f = record.as<Fields>();
    const Arg args[] = {{"n", f.n}, {"text", text}};
    sink.slice(f.track, "deferred", uint64_t(f.n), uint64_t(f.n + 1), args, flows);
    ++formatted;
  }
  int formatted = 0;
};

// The same calls, on any sink: tracks, then 20000 slices (several batches) with reused buffers, every
// fifth also as a deferred slice.
void drive(TraceSink& sink, NumberedSlices& numbered) {
  const TrackId p = sink.add_process(1, "NC0");
  const TrackId t = sink.add_slice_track(p, "Vector", 2);
  const TrackId c = sink.add_counter_track(p, "SBUF", "bytes", 3);
  std::string buffer;
  for (int i = 0; i < 20000; ++i) {
    buffer = "operands " + std::to_string(i);  // one buffer reused: the sink must copy
    const Arg args[] = {{"text", std::string_view(buffer)}, {"n", int64_t(i)}, {"x", 0.5 * i}};
    const uint64_t flows[] = {uint64_t(i), uint64_t(i) + 1};
    sink.slice(t, i % 2 ? "tensor_copy" : "memset", uint64_t(i), uint64_t(i + 3), args,
               std::span<const uint64_t>(flows, size_t(i % 3)));
    if (i % 7 == 0)
      sink.counter(c, uint64_t(i), 2.0 * i);
    if (i % 5 == 0)
      sink.deferred_slice(numbered, SliceRecord::of(NumberedSlices::Fields{t, i}),
                          std::span<const uint64_t>(flows, size_t(i % 3)), buffer);
    if (i == 9000)
      sink.add_slice_track(p, "late track", 9);
  }
}

}  // namespace

TEST_CASE(
    "background sink: a stable text reaches the inner sink as the caller's own view, others as copies") {
  // The inner sink keeps the address of each text it is handed.
  class AddressSink final : public TraceSink {
   public:
    TrackId add_process(uint32_t, std::string_view) override { return 1; }
    TrackId add_slice_track(TrackId, std::string_view, int) override { return 2; }
    TrackId add_counter_track(TrackId, std::string_view, std::string_view, int) override { return 3; }
    void slice(TrackId, std::string_view, uint64_t, uint64_t, std::span<const Arg> args,
               std::span<const uint64_t>) override {
      for (const Arg& a : args)
        seen.push_back(std::get<std::string_view>(a.value).data());
    }
    void counter(TrackId, uint64_t, double) override {}
    void finish() override {}
    std::vector<const char*> seen;
  };
  auto inner = std::make_unique<AddressSink>();
  AddressSink& addresses = *inner;
  static const std::string kept = "operands kept for the run";
  std::string temporary = "a temporary";
  BackgroundTraceSink sink(std::move(inner));
  const TrackId t = sink.add_slice_track(sink.add_process(0, "NC0"), "Vector", 0);
  const Arg args[] = {{"operands", std::string_view(kept), true}, {"indices", std::string_view(temporary)}};
  sink.slice(t, "memset", 0, 1, args, {});
  sink.finish();
  REQUIRE(addresses.seen.size() == 2);
  CHECK(addresses.seen[0] == kept.data());
  CHECK(addresses.seen[1] != temporary.data());
}

TEST_CASE("background sink and tee: which args repeat reaches the inner sinks with the slice") {
  // Keeps the RepeatedArgs each slice came with (none: a plain slice()).
  class RepeatsSink final : public TraceSink {
   public:
    TrackId add_process(uint32_t, std::string_view) override { return 1; }
    TrackId add_slice_track(TrackId, std::string_view, int) override { return 2; }
    TrackId add_counter_track(TrackId, std::string_view, std::string_view, int) override { return 3; }
    void slice(TrackId, std::string_view, uint64_t, uint64_t, std::span<const Arg>,
               std::span<const uint64_t>) override {
      seen.push_back({});
    }
    void slice_with_repeats(TrackId, std::string_view, uint64_t, uint64_t, std::span<const Arg> args,
                            std::span<const uint64_t>, const RepeatedArgs& r) override {
      seen.push_back({r.key, r.prefix, r.suffix, args.size()});
    }
    void counter(TrackId, uint64_t, double) override {}
    void finish() override {}
    struct Seen {
      uint64_t key = 0;
      uint32_t prefix = 0, suffix = 0;
      size_t args = 0;
    };
    std::vector<Seen> seen;
  };
  class Repeating final : public SliceFormatter {
   public:
    TrackId track = 0;
    void format_slice(TraceSink& sink, const SliceRecord& record, std::span<const uint64_t>,
                      std::string_view) override {
      const Arg args[] = {{"opcode", std::string_view("memset"), true}, {"pc", record.as<int64_t>()}};
      sink.slice_with_repeats(track, "memset", 0, 1, args, {}, RepeatedArgs{7, 1, 0});
    }
  };
  Repeating formatter;
  auto first = std::make_unique<RepeatsSink>(), second = std::make_unique<RepeatsSink>();
  RepeatsSink &a = *first, &b = *second;
  std::vector<std::unique_ptr<TraceSink>> both;
  both.push_back(std::move(first));
  both.push_back(std::move(second));
  BackgroundTraceSink sink(std::make_unique<TeeTraceSink>(std::move(both)));
  const TrackId t = sink.add_slice_track(sink.add_process(0, "NC0"), "Vector", 0);
  formatter.track = t;
  sink.deferred_slice(formatter, SliceRecord::of(int64_t(5)), {}, {});
  sink.slice(t, "plain", 0, 1, {}, {});
  sink.finish();
  for (const RepeatsSink* s : {&a, &b}) {
    REQUIRE(s->seen.size() == 2);
    CHECK(s->seen[0].key == 7);
    CHECK(s->seen[0].prefix == 1);
    CHECK(s->seen[0].suffix == 0);
    CHECK(s->seen[0].args == 2);
    CHECK(s->seen[1].key == 0);
  }
}

TEST_CASE("background sink: the inner sink sees the direct calls, in order, ids translated") {
  std::vector<std::string> direct, background;
  NumberedSlices formatter;
  {
    RecordingSink d(direct);
    drive(d, formatter);
    d.finish();
  }
  BackgroundTraceSink bg(std::make_unique<RecordingSink>(background));
  drive(bg, formatter);
  bg.finish();
  CHECK(formatter.formatted == 2 * 4000);
  CHECK(background.size() == direct.size());
  CHECK(background == direct);
  CHECK_THROWS_AS(bg.finish(), std::logic_error);
}

TEST_CASE("background sink: an inner sink's exception reaches the caller, at the latest from finish()") {
  std::vector<std::string> log;
  BackgroundTraceSink bg(std::make_unique<RecordingSink>(log, 5000));
  std::string caught;
  NumberedSlices formatter;
  try {
    drive(bg, formatter);
    bg.finish();
  } catch (const std::runtime_error& e) {
    caught = e.what();
  }
  CHECK(caught == "disk full");
  CHECK(log.size() == 5000);
}

}  // namespace tn::trace

namespace tn::trace {

TEST_CASE("background sink: drain() returns once every deferred slice is formatted") {
  std::vector<std::string> log;
  BackgroundTraceSink bg(std::make_unique<RecordingSink>(log));
  const TrackId t = bg.add_slice_track(bg.add_process(0, "NC0"), "Vector", 0);
  {
    NumberedSlices formatter;  // gone before finish(): drain() is what makes that safe
    for (int i = 0; i < 10000; ++i)
      bg.deferred_slice(formatter, SliceRecord::of(NumberedSlices::Fields{t, i}), {}, "x");
    bg.drain();
    CHECK(formatter.formatted == 10000);
  }
  bg.finish();
  CHECK(log.size() == 2 + 10000 + 1);
}

TEST_CASE("background sink: a formatter that adds a track fails loudly") {
  class AddsTracks final : public SliceFormatter {
   public:
    void format_slice(TraceSink& sink, const SliceRecord&, std::span<const uint64_t>,
                      std::string_view) override {
      sink.add_process(9, "late");
    }
  } formatter;
  std::vector<std::string> log;
  BackgroundTraceSink bg(std::make_unique<RecordingSink>(log));
  bg.deferred_slice(formatter, SliceRecord{}, {}, {});
  CHECK_THROWS_AS(bg.drain(), std::logic_error);
  CHECK_THROWS_AS(bg.finish(), std::logic_error);
}

}  // namespace tn::trace
