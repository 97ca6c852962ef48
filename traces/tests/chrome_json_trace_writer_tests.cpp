#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "traces/chrome_json_trace_writer.hpp"
#include "traces/tests/scenario.hpp"

namespace tn::trace {
namespace {

using nlohmann::json;

std::string scenario_text() {
  std::ostringstream out;
  ChromeJsonTraceWriter w(out);
  testing::write_scenario(w);
  return out.str();
}

std::vector<json> events_with_phase(const json& doc, std::string_view ph) {
  std::vector<json> out;
  for (const json& e : doc.at("traceEvents")) {
    if (e.at("ph") == ph) {
      out.push_back(e);
    }
  }
  return out;
}

// Perfetto's conversion of a JSON `ts`/`dur` (microseconds) to ns (§2(a)).
uint64_t ns(const json& us) { return static_cast<uint64_t>(std::llround(us.get<double>() * 1000)); }

TEST_CASE("ChromeJsonTraceWriter: the scenario is valid JSON with the expected events") {
  const std::string text = scenario_text();
  const json doc = json::parse(text);  // throws on invalid JSON
  REQUIRE(doc.at("traceEvents").is_array());

  // Metadata: names, process order, one tid per lane with its name and sort index.
  std::map<uint32_t, std::string> process_names;
  std::map<uint64_t, std::string> thread_names;
  std::map<uint64_t, int64_t> thread_sort;
  std::map<uint32_t, int64_t> process_sort;
  for (const json& m : events_with_phase(doc, "M")) {
    const std::string name = m.at("name");
    if (name == "process_name") {
      process_names[m.at("pid")] = m.at("args").at("name");
    } else if (name == "process_sort_index") {
      process_sort[m.at("pid")] = m.at("args").at("sort_index");
    } else if (name == "thread_name") {
      thread_names[m.at("tid")] = m.at("args").at("name");
    } else if (name == "thread_sort_index") {
      thread_sort[m.at("tid")] = m.at("args").at("sort_index");
    }
  }
  CHECK(process_names == std::map<uint32_t, std::string>{{0, "NC0"}, {1, testing::kQuotedProcess}});
  CHECK(process_sort == std::map<uint32_t, int64_t>{{0, 0}, {1, 1}});
  const uint64_t b = ChromeJsonTraceWriter::kTidBase;
  const int64_t stride = ChromeJsonTraceWriter::kLaneSortStride;
  CHECK(thread_names == std::map<uint64_t, std::string>{{b + 1, "qSyncIO0"},
                                                        {b + 2, "Tensor"},
                                                        {b + 3, "Vector"},
                                                        {b + 4, "Tensor"},
                                                        {b + 5, "qSyncIO0 #1"},
                                                        {b + 6, "qSyncIO0 #2"}});
  CHECK(thread_sort == std::map<uint64_t, int64_t>{{b + 1, 10 * stride},
                                                   {b + 2, 0},
                                                   {b + 3, stride},
                                                   {b + 4, 0},
                                                   {b + 5, 10 * stride + 1},
                                                   {b + 6, 10 * stride + 2}});

  SUBCASE("X events: names, lanes, ns-exact times, args") {
    const std::vector<json> xs = events_with_phase(doc, "X");
    const std::vector<testing::ExpectedSlice> want = testing::expected_scenario_slices();
    REQUIRE(xs.size() == want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      CAPTURE(i);
      const json& x = xs[i];
      CHECK(x.at("name") == want[i].name);
      CHECK(process_names.at(x.at("pid")) == want[i].process);
      const std::string lane_name =
          want[i].lane == 0 ? want[i].track : want[i].track + " #" + std::to_string(want[i].lane);
      CHECK(thread_names.at(x.at("tid")) == lane_name);
      CHECK(ns(x.at("ts")) == want[i].start);
      CHECK(ns(x.at("dur")) == want[i].end - want[i].start);
    }
    const json& matmul = xs[0].at("args");
    CHECK(matmul.at("opcode_id") == -7);
    CHECK(matmul.at("util").is_number_float());
    CHECK(matmul.at("util") == 0.75);
    CHECK(matmul.at("src") == "sbuf[0:128] \"p\"");
    CHECK(xs[3].at("args") == json{{"bytes", 4096}, {"queue", "qSyncIO0"}});
    CHECK(!xs[2].contains("args"));  // Barrier: no args
    // Microseconds with exactly three decimals in the text.
    CHECK(text.find(R"("ts":0.100,"dur":0.100)") != std::string::npos);
    CHECK(text.find(R"("ts":0.260,"dur":0.000)") != std::string::npos);
  }

  SUBCASE("flows: one s/f pair per id, from the earlier slice to the later one") {
    const std::vector<json> s = events_with_phase(doc, "s");
    const std::vector<json> f = events_with_phase(doc, "f");
    REQUIRE(s.size() == 4);
    REQUIRE(f.size() == 4);
    // (id, source slice start, source tid, target slice start, target tid), in resolution order.
    struct Flow {
      std::string id;
      uint64_t from_mid, to_mid;
      uint64_t from_tid, to_tid;
    };
    const std::vector<Flow> want = {{"0x1", 150, 205, b + 2, b + 3},  // MatMul -> Add
                                    {"0x2", 350, 550, b + 2, b + 4},  // Send -> Recv (reported the other way)
                                    {"0x3", 415, 750, b + 2, b + 4},  // Send2 -> Relay
                                    {"0xfffffffffffffff0", 750, 925, b + 4, b + 2}};  // Relay -> Recv2
    for (size_t i = 0; i < want.size(); ++i) {
      CAPTURE(i);
      CHECK(s[i].at("id") == want[i].id);
      CHECK(f[i].at("id") == want[i].id);
      CHECK(s[i].at("cat") == f[i].at("cat"));
      CHECK(s[i].at("name") == f[i].at("name"));
      CHECK(ns(s[i].at("ts")) == want[i].from_mid);
      CHECK(ns(f[i].at("ts")) == want[i].to_mid);
      CHECK(s[i].at("tid") == want[i].from_tid);
      CHECK(f[i].at("tid") == want[i].to_tid);
      CHECK(f[i].at("bp") == "e");
      CHECK(!s[i].contains("bp"));
    }
  }

  SUBCASE("counters: C events with the unit as the series name") {
    const std::vector<json> c = events_with_phase(doc, "C");
    REQUIRE(c.size() == 5);
    CHECK(c[0] == json::parse(R"({"ph":"C","name":"HBM bytes","pid":0,"ts":0.0,"args":{"bytes":0.0}})"));
    CHECK(ns(c[2].at("ts")) == 200);
    CHECK(c[2].at("args").at("bytes") == 1.5e9);
    CHECK(c[3].at("name") == "pending DMA");
    CHECK(c[3].at("pid") == 1);
    CHECK(c[3].at("args").at("value") == 3.0);
  }
}

TEST_CASE("ChromeJsonTraceWriter: deterministic text") { CHECK(scenario_text() == scenario_text()); }

TEST_CASE("ChromeJsonTraceWriter: hostile strings and numbers still give valid JSON") {
  std::ostringstream out;
  ChromeJsonTraceWriter w(out);
  const std::string ctrl = std::string(
      "a\x01"
      "b\x1f"
      "c\x7f",
      6);
  const std::string invalid_utf8 = "bad\xff\xfe end \xC3";  // stray bytes and a truncated sequence
  const std::string overlong = "\xC0\xAF \xED\xA0\x80";     // overlong '/', a UTF-16 surrogate
  const TrackId p = w.add_process(7, "</script> \\ \"");
  const TrackId t = w.add_slice_track(p, ctrl, -3);
  const TrackId c = w.add_counter_track(p, "c\"\\", "\xCE\xBCs", 0);  // µs
  const std::array<Arg, 4> args{Arg{"nan", std::nan("")}, Arg{"inf", INFINITY}, Arg{invalid_utf8, overlong},
                                Arg{"big", int64_t{INT64_MIN}}};
  w.slice(t, invalid_utf8, 1, 2, args);
  w.counter(c, 3, std::nan(""));
  w.counter(c, 4, 1e300);
  w.finish();
  const json doc = json::parse(out.str());
  const std::vector<json> x = events_with_phase(doc, "X");
  REQUIRE(x.size() == 1);
  CHECK(x[0].at("name") == "bad\xEF\xBF\xBD\xEF\xBF\xBD end \xEF\xBF\xBD");
  const json& a = x[0].at("args");
  CHECK(a.at("nan").is_null());
  CHECK(a.at("inf").is_null());
  CHECK(a.at("bad\xEF\xBF\xBD\xEF\xBF\xBD end \xEF\xBF\xBD") ==
        "\xEF\xBF\xBD\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(a.at("big") == INT64_MIN);
  std::map<std::string, std::string> meta;
  for (const json& m : events_with_phase(doc, "M")) {
    meta[m.at("name")] = m.at("args").contains("name") ? m.at("args").at("name").get<std::string>() : "";
  }
  CHECK(meta.at("process_name") == "</script> \\ \"");
  CHECK(meta.at("thread_name") == ctrl);
  const std::vector<json> cs = events_with_phase(doc, "C");
  REQUIRE(cs.size() == 2);
  CHECK(cs[0].at("name") == "c\"\\");
  CHECK(cs[0].at("args").at("\xCE\xBCs").is_null());
  CHECK(cs[1].at("args").at("\xCE\xBCs") == 1e300);
}

TEST_CASE("ChromeJsonTraceWriter: empty trace and misuse") {
  std::ostringstream out;
  ChromeJsonTraceWriter w(out);
  const TrackId p = w.add_process(0, "NC0");
  CHECK_THROWS_AS(w.slice(p, "x", 0, 1, {}), std::invalid_argument);
  CHECK_THROWS_AS(w.counter(p, 0, 1.0), std::invalid_argument);
  w.finish();
  CHECK_THROWS_AS(w.finish(), std::logic_error);
  const json doc = json::parse(out.str());
  CHECK(doc.at("traceEvents").size() == 2);  // process_name + process_sort_index
}

TEST_CASE("ChromeJsonTraceWriter: lanes agree with the Perfetto writer's") {
  std::ostringstream out;
  ChromeJsonTraceWriter w(out);
  const TrackId p = w.add_process(0, "NC0");
  const TrackId q = w.add_slice_track(p, "q", 0);
  for (uint64_t i = 0; i < 8; ++i) {
    w.slice(q, "dma", i * 10, i * 10 + 35, {});  // each overlaps the next three
  }
  CHECK(w.lane_count(q) == 4);
  w.finish();
  const json doc = json::parse(out.str());
  std::map<uint64_t, std::vector<uint64_t>> starts_by_tid;
  for (const json& x : events_with_phase(doc, "X")) {
    starts_by_tid[x.at("tid")].push_back(ns(x.at("ts")));
  }
  CHECK(starts_by_tid.size() == 4);
  for (const auto& [tid, starts] : starts_by_tid) {
    for (size_t i = 1; i < starts.size(); ++i) {
      CHECK(starts[i] >= starts[i - 1] + 35);  // no overlap within a tid
    }
  }
}

}  // namespace
}  // namespace tn::trace
