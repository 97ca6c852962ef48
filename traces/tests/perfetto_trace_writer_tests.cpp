#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "traces/perfetto_fields.hpp"
#include "traces/perfetto_trace_reader.hpp"
#include "traces/perfetto_trace_writer.hpp"
#include "traces/tests/scenario.hpp"

namespace tn::trace {
namespace {

using testing::ExpectedSlice;

std::string scenario_bytes() {
  std::ostringstream out;
  PerfettoTraceWriter w(out);
  testing::write_scenario(w);
  return out.str();
}

// Writes `n` slices on one track, slice i through emit(writer, track, i), checks the trace and returns its
// SLICE_BEGIN events in order.
template <class Emit>
std::vector<DecodedTrackEvent> slice_begins_of(size_t n, Emit&& emit) {
  std::ostringstream out;
  PerfettoTraceWriter w(out);
  const TrackId p = w.add_process(0, "NC0");
  const TrackId t = w.add_slice_track(p, "Tensor", 0);
  for (size_t i = 0; i < n; ++i) {
    emit(w, t, i);
  }
  w.finish();
  const DecodedTrace trace = decode_perfetto_trace(out.str());
  CHECK(check_perfetto_trace(trace).empty());
  std::vector<DecodedTrackEvent> begins;
  for (const DecodedPacket& pk : trace.packets) {
    if (pk.track_event && pk.track_event->type == EventType::kSliceBegin)
      begins.push_back(*pk.track_event);
  }
  return begins;
}

// A slice as the UI would see it: BEGIN matched with the following END of the same track uuid.
struct SliceView {
  ExpectedSlice slice;
  const DecodedTrackEvent* begin = nullptr;
};

std::vector<SliceView> slices_of(const DecodedTrace& trace) {
  std::map<uint64_t, DecodedTrackDescriptor> tracks;
  std::map<uint64_t, std::string> process_names;
  std::map<uint64_t, uint32_t> lane_of;             // track uuid -> index among its merge group
  std::map<std::string, uint32_t> lanes_per_group;  // merge key -> lanes so far
  std::vector<SliceView> out;
  std::map<uint64_t, size_t> open;  // track uuid -> index into out
  for (const DecodedPacket& p : trace.packets) {
    if (const auto& d = p.track_descriptor) {
      tracks[d->uuid] = *d;
      if (d->has_process) {
        process_names[d->uuid] = d->process_name;
      } else {
        lane_of[d->uuid] = lanes_per_group[d->sibling_merge_key]++;
      }
    }
    if (const auto& e = p.track_event) {
      const uint64_t uuid = e->track_uuid.value();
      if (e->type == EventType::kSliceBegin) {
        const DecodedTrackDescriptor& d = tracks.at(uuid);
        open[uuid] = out.size();
        out.push_back({{process_names.at(d.parent_uuid.value()), d.name, lane_of.at(uuid), e->name,
                        p.timestamp.value(), 0},
                       &*e});
      } else if (e->type == EventType::kSliceEnd) {
        out.at(open.at(uuid)).slice.end = p.timestamp.value();
      }
    }
  }
  return out;
}

const SliceView& find_slice(const std::vector<SliceView>& slices, std::string_view name) {
  for (const SliceView& s : slices) {
    if (s.slice.name == name) {
      return s;
    }
  }
  FAIL("no slice named " << name);
  throw std::logic_error("unreachable");
}

TEST_CASE("PerfettoTraceWriter: the scenario decodes to valid, exact structure") {
  const std::string bytes = scenario_bytes();
  const DecodedTrace trace = decode_perfetto_trace(bytes);
  CHECK(check_perfetto_trace(trace).empty());

  SUBCASE("descriptors on one sequence; each lane and counter its own, started with defaults and a clock") {
    std::map<uint32_t, uint64_t> track_of_sequence;  // event sequence -> its default track
    std::map<uint64_t, uint32_t> sequence_of_track;
    for (const DecodedPacket& p : trace.packets) {
      const uint32_t seq = p.trusted_packet_sequence_id;
      if (p.track_descriptor) {
        CHECK(seq == PerfettoTraceWriter::kDescriptorSequenceId);
        CHECK(p.sequence_flags == 0);
        CHECK(!p.timestamp);
        continue;
      }
      REQUIRE(seq != PerfettoTraceWriter::kDescriptorSequenceId);
      if (!track_of_sequence.contains(seq)) {  // the sequence's first packet
        CHECK(p.sequence_flags == pf::packet::kSeqIncrementalStateCleared);
        CHECK(p.defaults_timestamp_clock_id == PerfettoTraceWriter::kIncrementalClockId);
        REQUIRE(p.defaults_track_uuid);
        REQUIRE(p.clock_snapshot.size() == 2);
        CHECK(p.clock_snapshot[0].clock_id == pf::clock::kBoottime);
        CHECK(p.clock_snapshot[0].timestamp == 0);
        CHECK(!p.clock_snapshot[0].is_incremental);
        CHECK(p.clock_snapshot[1].clock_id == PerfettoTraceWriter::kIncrementalClockId);
        CHECK(p.clock_snapshot[1].timestamp == 0);
        CHECK(p.clock_snapshot[1].is_incremental);
        CHECK(!p.track_event);
        CHECK(!sequence_of_track.contains(*p.defaults_track_uuid));  // one sequence per lane
        track_of_sequence[seq] = *p.defaults_track_uuid;
        sequence_of_track[*p.defaults_track_uuid] = seq;
        continue;
      }
      REQUIRE(p.track_event);
      CHECK(p.sequence_flags == pf::packet::kSeqNeedsIncrementalState);
      CHECK(p.track_event->track_uuid_from_defaults);  // no track_uuid written
      CHECK(p.track_event->track_uuid == track_of_sequence.at(seq));
      CHECK(p.timestamp_resolved);
      if (!p.timestamp_clock_id) {
        CHECK(p.timestamp_clock_from_defaults);  // a delta on clock 64
      }
    }
    CHECK(track_of_sequence.size() >= 2);
  }

  SUBCASE("track descriptors: process roots, ranked children, lanes sharing name/rank/merge key") {
    std::vector<DecodedTrackDescriptor> d;
    for (const DecodedPacket& p : trace.packets) {
      if (p.track_descriptor) {
        d.push_back(*p.track_descriptor);
      }
    }
    // 2 processes + 4 slice tracks + 2 counters + 2 extra lanes of qSyncIO0.
    REQUIRE(d.size() == 10);
    const uint64_t b = 0;  // uuids are 1, 2, ... in creation order
    CHECK(d[0].uuid == b + 1);
    CHECK(d[0].has_process);
    CHECK(d[0].pid == 0);
    CHECK(d[0].process_name == "NC0");
    CHECK(!d[0].parent_uuid);
    CHECK(d[0].child_ordering == 3);
    CHECK(d[1].process_name == testing::kQuotedProcess);
    CHECK(d[1].pid == 1);
    CHECK(!d[1].parent_uuid);

    CHECK(d[2].name == "qSyncIO0");
    CHECK(d[2].parent_uuid == b + 1);
    CHECK(d[2].sibling_order_rank == 10);
    CHECK(d[2].sibling_merge_behavior == 3);
    CHECK(d[2].sibling_merge_key == "tn-lanes-" + std::to_string(b + 3));
    CHECK(!d[2].has_process);
    CHECK(!d[2].is_counter);

    CHECK(d[3].name == "Tensor");
    CHECK(d[3].sibling_order_rank == 0);
    CHECK(d[4].name == "HBM bytes");
    CHECK(d[4].is_counter);
    CHECK(d[4].counter_unit_name == "bytes");
    CHECK(d[4].sibling_order_rank == 20);
    CHECK(d[4].sibling_merge_behavior == 2);
    CHECK(d[7].name == "pending DMA");
    CHECK(d[7].is_counter);
    CHECK(d[7].counter_unit_name.empty());
    CHECK(d[7].parent_uuid == b + 2);

    // Lanes are created on demand, right before their first slice.
    for (size_t i : {8u, 9u}) {
      CHECK(d[i].name == "qSyncIO0");
      CHECK(d[i].parent_uuid == b + 1);
      CHECK(d[i].sibling_order_rank == 10);
      CHECK(d[i].sibling_merge_behavior == 3);
      CHECK(d[i].sibling_merge_key == d[2].sibling_merge_key);
    }
  }

  SUBCASE("slices: names, times, lanes, in call order") {
    const std::vector<SliceView> got = slices_of(trace);
    const std::vector<ExpectedSlice> want = testing::expected_scenario_slices();
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      CAPTURE(i);
      CHECK(got[i].slice.process == want[i].process);
      CHECK(got[i].slice.track == want[i].track);
      CHECK(got[i].slice.lane == want[i].lane);
      CHECK(got[i].slice.name == want[i].name);
      CHECK(got[i].slice.start == want[i].start);
      CHECK(got[i].slice.end == want[i].end);
    }
  }

  SUBCASE("debug annotations keep names, types and values") {
    const std::vector<SliceView> slices = slices_of(trace);
    const auto& a = find_slice(slices, "MatMul").begin->annotations;
    REQUIRE(a.size() == 3);
    CHECK(a[0].name == "opcode_id");
    CHECK(a[0].name_iid != 0);
    CHECK(std::get<int64_t>(a[0].value) == -7);
    CHECK(a[1].name == "util");
    CHECK(std::get<double>(a[1].value) == 0.75);
    CHECK(a[2].name == "src");
    CHECK(std::get<std::string>(a[2].value) == "sbuf[0:128] \"p\"");
    const auto& d = find_slice(slices, "dma").begin->annotations;
    REQUIRE(d.size() == 2);
    CHECK(d[0].name == "bytes");
    CHECK(std::get<int64_t>(d[0].value) == 4096);
    CHECK(std::get<std::string>(d[1].value) == "qSyncIO0");
    CHECK(find_slice(slices, "Barrier").begin->annotations.empty());
  }

  SUBCASE("flows: the later slice of a pair terminates, an earlier second slice does not") {
    const std::vector<SliceView> s = slices_of(trace);
    using V = std::vector<uint64_t>;
    const uint64_t f4 = 0xFFFFFFFFFFFFFFF0ULL;
    CHECK(find_slice(s, "MatMul").begin->flow_ids == V{1});
    CHECK(find_slice(s, testing::kOddSliceName).begin->terminating_flow_ids == V{1});
    CHECK(find_slice(s, testing::kOddSliceName).begin->flow_ids.empty());
    CHECK(find_slice(s, "Recv").begin->flow_ids == V{2});
    CHECK(find_slice(s, "Send").begin->flow_ids == V{2});  // earlier than Recv: must not terminate
    CHECK(find_slice(s, "Send").begin->terminating_flow_ids.empty());
    CHECK(find_slice(s, "Send2").begin->flow_ids == V{3});
    CHECK(find_slice(s, "Relay").begin->terminating_flow_ids == V{3});
    CHECK(find_slice(s, "Relay").begin->flow_ids == V{f4});
    CHECK(find_slice(s, "Recv2").begin->terminating_flow_ids == V{f4});
  }

  SUBCASE("counters") {
    std::vector<std::pair<uint64_t, double>> hbm, pending;
    for (const DecodedPacket& p : trace.packets) {
      if (p.track_event && p.track_event->type == EventType::kCounter) {
        const uint64_t uuid = *p.track_event->track_uuid;
        auto& dst = uuid == 5 ? hbm : pending;  // "HBM bytes" is the 5th track created
        const DecodedTrackEvent& e = *p.track_event;
        CHECK(e.counter_value.has_value() != e.double_counter_value.has_value());
        dst.emplace_back(*p.timestamp, e.counter_value ? double(*e.counter_value) : *e.double_counter_value);
      }
    }
    CHECK(hbm == std::vector<std::pair<uint64_t, double>>{{0, 0.0}, {100, 4096.0}, {200, 1.5e9}});
    CHECK(pending == std::vector<std::pair<uint64_t, double>>{{0, 3.0}, {1000, 0.0}});
  }

  SUBCASE("whole counter values are written as int64 counter_value") {
    size_t ints = 0;
    for (const DecodedPacket& p : trace.packets) {
      if (p.track_event && p.track_event->counter_value)
        ++ints;
    }
    CHECK(ints == 5);  // 0, 4096, 1.5e9, 3, 0
  }

  SUBCASE("names are interned once per sequence, in the packet that first uses them") {
    // Interned data is scoped to a sequence, and every lane is one: per (sequence, name) one definition.
    std::map<std::pair<uint32_t, std::string>, int> event_defs, annotation_defs;
    std::map<uint32_t, uint64_t> next_iid;  // per sequence
    std::set<std::string> event_names;
    for (const DecodedPacket& p : trace.packets) {
      const uint32_t seq = p.trusted_packet_sequence_id;
      for (const auto& e : p.interned_event_names) {
        ++event_defs[{seq, e.value}];
        event_names.insert(e.value);
        auto [next, _] = next_iid.try_emplace(seq, 1);
        CHECK(e.iid == next->second++);  // dense, in first-use order
        REQUIRE(p.track_event);
        CHECK(p.track_event->name_iid == e.iid);
      }
      for (const auto& e : p.interned_annotation_names) {
        ++annotation_defs[{seq, e.value}];
      }
    }
    CHECK(event_names.size() == 9);  // MatMul, Add.., Barrier, dma, Recv, Send, Send2, Relay, Recv2
    for (const auto& [name, n] : event_defs) {
      CHECK_MESSAGE(n == 1, name.second);
    }
    for (const auto& [name, n] : annotation_defs) {
      CHECK_MESSAGE(n == 1, name.second);
    }
    std::set<std::string> annotation_names;
    for (const auto& [name, n] : annotation_defs) {
      annotation_names.insert(name.second);
    }
    CHECK(annotation_names == std::set<std::string>{"bytes", "opcode_id", "queue", "src", "util"});
  }
}

TEST_CASE("PerfettoTraceWriter: summary lists rows in rank order with lanes merged") {
  const TraceSummary s = summarize_perfetto_trace(decode_perfetto_trace(scenario_bytes()));
  CAPTURE(s.to_string());
  REQUIRE(s.processes.size() == 2);
  const ProcessSummary& nc0 = s.processes[0];
  CHECK(nc0.name == "NC0");
  CHECK(nc0.track_names() == std::vector<std::string>{"Tensor", "Vector", "qSyncIO0", "HBM bytes"});
  CHECK(nc0.find("Tensor")->slices == 4);
  CHECK(nc0.find("Vector")->slices == 2);
  CHECK(nc0.find("qSyncIO0")->slices == 5);
  CHECK(nc0.find("qSyncIO0")->uuids.size() == 3);
  CHECK(nc0.find("HBM bytes")->is_counter);
  CHECK(nc0.find("HBM bytes")->counter_samples == 3);
  const ProcessSummary* nc1 = s.find(testing::kQuotedProcess);
  REQUIRE(nc1 != nullptr);
  CHECK(nc1->pid == 1);
  CHECK(nc1->track_names() == std::vector<std::string>{"Tensor", "pending DMA"});
  CHECK(nc1->find("Tensor")->slices == 2);
  CHECK(s.slices == 13);
  CHECK(s.counter_samples == 5);
  CHECK(s.flows == 4);
}

TEST_CASE("PerfettoTraceWriter: output is deterministic and the file constructor writes the same bytes") {
  const std::string a = scenario_bytes();
  const std::string b = scenario_bytes();
  CHECK(a == b);

  const auto path = std::filesystem::temp_directory_path() / "tn_trace_test_scenario.pftrace";
  {
    PerfettoTraceWriter w(path);
    testing::write_scenario(w);
    CHECK(w.bytes_written() == a.size());
  }
  std::ifstream in(path, std::ios::binary);
  const std::string from_file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(from_file == a);
  CHECK(check_perfetto_trace(read_perfetto_trace_file(path)).empty());
  std::filesystem::remove(path);
}

TEST_CASE("PerfettoTraceWriter: streams long traces instead of buffering them") {
  std::ostringstream out;
  PerfettoTraceWriter w(out);
  const TrackId p = w.add_process(0, "NC0");
  const TrackId t = w.add_slice_track(p, "Tensor", 0);
  const TrackId c = w.add_counter_track(p, "util", "%", 1);
  const std::array<Arg, 2> args{Arg{"pc", int64_t{0}}, Arg{"opcode", std::string_view("MatMul")}};
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const auto ts = static_cast<uint64_t>(i) * 10;
    w.slice(t, i % 2 ? "MatMul" : "Transpose", ts, ts + 10, args);
    if (i % 100 == 0) {
      w.counter(c, ts, i % 7);
    }
  }
  // Everything but the last (< 1 MiB) staging chunk has reached the stream before finish().
  const auto before = static_cast<uint64_t>(out.tellp());
  CHECK(before > 0);
  CHECK(w.bytes_written() - before < (1u << 20) + 1024);
  w.finish();
  const std::string bytes = out.str();
  CHECK(bytes.size() == w.bytes_written());
  // ~ 2 packets of tens of bytes per slice: names and keys are interned, not repeated.
  CHECK(bytes.size() < static_cast<size_t>(n) * 80);
  // The streaming checker and summarizer do not materialise the packets.
  CHECK(check_perfetto_trace_bytes(bytes).empty());
  const TraceSummary s = summarize_perfetto_trace_bytes(bytes);
  CHECK(s.processes.at(0).find("Tensor")->slices == static_cast<size_t>(n));
  CHECK(s.processes.at(0).find("util")->counter_samples == static_cast<size_t>(n / 100));
  CHECK(s.processes.at(0).find("Tensor")->uuids.size() == 1);
  CHECK(w.lane_count(t) == 1);
}

TEST_CASE("PerfettoTraceWriter: names beyond the interning cap are written inline") {
  const size_t n = PerfettoTraceWriter::kMaxInternedStrings + 3;
  std::deque<std::string> names;  // a slice's name stays valid until finish() (TraceSink::slice)
  const std::vector<DecodedTrackEvent> begins =
      slice_begins_of(n, [&](PerfettoTraceWriter& w, TrackId t, size_t i) {
        w.slice(t, names.emplace_back("op" + std::to_string(i)), i, i + 1, {});
      });
  size_t inline_names = 0;
  size_t i = 0;
  size_t wrong_names = 0;
  for (const DecodedTrackEvent& e : begins) {
    wrong_names += e.name != "op" + std::to_string(i++);
    inline_names += e.name_iid == 0;
  }
  CHECK(i == n);
  CHECK(wrong_names == 0);
  CHECK(inline_names == 3);
}

TEST_CASE("PerfettoTraceWriter: string values are interned once and decode to the values given") {
  std::ostringstream out;
  PerfettoTraceWriter w(out);
  const TrackId p = w.add_process(0, "NC0");
  const TrackId t = w.add_slice_track(p, "Tensor", 0);
  // One buffer reused for different text (as a caller formatting into scratch does): the writer must key
  // on the text, not on where it lives.
  std::string scratch;
  std::vector<std::string> expected;
  for (int i = 0; i < 12; ++i) {
    scratch = std::string("dst=sbuf[") + std::to_string(i % 3) + "], src=psum[0:128]";
    expected.push_back(scratch);
    const std::array<Arg, 3> args{Arg{"operands", std::string_view(scratch)}, Arg{"pc", int64_t{i}},
                                  Arg{"empty", std::string_view()}};
    w.slice(t, "MatMul", uint64_t(i) * 10, uint64_t(i) * 10 + 5, args);
  }
  w.finish();
  const DecodedTrace trace = decode_perfetto_trace(out.str());
  CHECK(check_perfetto_trace(trace).empty());
  std::map<std::string, int> definitions;
  size_t slice = 0;
  for (const DecodedPacket& pk : trace.packets) {
    for (const DecodedInternedString& v : pk.interned_string_values) {
      ++definitions[v.value];
    }
    if (!pk.track_event || pk.track_event->type != EventType::kSliceBegin) {
      continue;
    }
    const auto& a = pk.track_event->annotations;
    REQUIRE(a.size() == 3);
    CHECK(a[0].name == "operands");
    CHECK(a[0].value_iid != 0);
    CHECK(std::get<std::string>(a[0].value) == expected.at(slice));
    CHECK(std::get<int64_t>(a[1].value) == int64_t(slice));
    CHECK(a[2].value_iid != 0);
    CHECK(std::get<std::string>(a[2].value).empty());
    ++slice;
  }
  CHECK(slice == expected.size());
  // Three distinct operand texts and the empty string, each defined once.
  CHECK(definitions == std::map<std::string, int>{{"", 1},
                                                  {"dst=sbuf[0], src=psum[0:128]", 1},
                                                  {"dst=sbuf[1], src=psum[0:128]", 1},
                                                  {"dst=sbuf[2], src=psum[0:128]", 1}});
}

TEST_CASE("PerfettoTraceWriter: string values beyond the interning cap are written inline") {
  const size_t n = PerfettoTraceWriter::kMaxInternedStrings + 3;
  const auto value = [](size_t i) {
    std::string v = "v";
    return v += std::to_string(i);
  };
  const std::vector<DecodedTrackEvent> begins =
      slice_begins_of(n, [&](PerfettoTraceWriter& w, TrackId t, size_t i) {
        const std::string v = value(i);
        const std::array<Arg, 1> args{Arg{"indices", std::string_view(v)}};
        w.slice(t, "gather", i, i + 1, args);
      });
  size_t i = 0, wrong = 0, inline_values = 0;
  for (const DecodedTrackEvent& e : begins) {
    const DecodedAnnotation& a = e.annotations.at(0);
    wrong += std::get<std::string>(a.value) != value(i++);
    inline_values += a.value_iid == 0;
  }
  CHECK(i == n);
  CHECK(wrong == 0);
  CHECK(inline_values == 3);
}

// An instruction stream shaped like RunRecorder::emit_slice's (sim/sc/run_recorder.cpp): a dozen
// annotations per slice, operand texts of ~150 characters repeating a few hundred distinct values, a few
// dozen source lines, counters between slices. `copy_strings` passes every string through one reused
// scratch buffer instead of from stable storage: the bytes must not depend on where strings live.
std::string instruction_stream(size_t slices, bool copy_strings, bool say_repeats = false) {
  std::ostringstream out;
  PerfettoTraceWriter w(out);
  const TrackId p = w.add_process(1, "NC0");
  std::vector<TrackId> tracks;
  for (const char* name : {"Tensor", "TensorMatrix", "Vector", "Scalar", "GpSimd", "qSyncIO0"}) {
    tracks.push_back(w.add_slice_track(p, name, int(tracks.size())));
  }
  const TrackId sbuf = w.add_counter_track(p, "SBUF used (bytes/partition)", "bytes", 10);
  const char* opcodes[] = {"multiply_moving", "load_stationary", "activation",
                           "tensor_tensor",   "tensor_copy",     "dma_copy"};
  std::vector<std::string> operands, sources;
  for (int i = 0; i < 400; ++i) {
    operands.push_back(std::string("dst=sbuf[p0:128, off ") + std::to_string(i * 512) +
                       ", bfloat16, [[1,512]]], src=psum[p0:128, off " + std::to_string(i % 8 * 2048) +
                       ", float32, [[1,512]]], func=exp, bias=none, scale=0.0883883, accumulate=false");
  }
  for (int i = 0; i < 30; ++i) {
    sources.push_back(std::string("kernels/attention_cte.cpp:") + std::to_string(100 + i * 7));
  }
  std::string scratch_operands, scratch_source;
  uint64_t ts = 0;
  for (size_t i = 0; i < slices; ++i) {
    const size_t track = i % tracks.size();
    const uint64_t start = ts + (i * 7) % 50, end = start + 200 + (i * 13) % 700;
    ts += 150;
    std::string_view op = operands[(i * 37) % operands.size()], src = sources[(i / 16) % sources.size()];
    if (copy_strings) {
      op = scratch_operands.assign(op);
      src = scratch_source.assign(src);
    }
    // As the recorder: flops only on matmuls, sem_wait_ns only when the instruction waited.
    std::array<Arg, 12> args;
    size_t count = 0;
    args[count++] = Arg{"opcode", std::string_view(opcodes[track])};
    args[count++] = Arg{"operands", op};
    args[count++] = Arg{"bytes", int64_t(65536 + (i % 5) * 4096)};
    if (track < 2) {
      args[count++] = Arg{"flops", int64_t(2 * 128 * 128 * 512)};
    }
    args[count++] = Arg{"start_cycle", int64_t(start * 14 / 10)};
    args[count++] = Arg{"end_cycle", int64_t(end * 14 / 10)};
    if (i % 8 == 0) {
      args[count++] = Arg{"sem_wait_ns", int64_t(120)};
    }
    args[count++] = Arg{"source", src};
    args[count++] = Arg{"pc", int64_t(i / tracks.size())};
    args[count++] = Arg{"sbuf_read", int64_t(65536)};
    args[count++] = Arg{"sbuf_write", int64_t(32768)};
    args[count++] = Arg{"psum_read", int64_t(16384)};
    const std::span<const Arg> all(args.data(), count);
    if (say_repeats) {
      // opcode, operands, bytes (and flops) and the three traffic counts follow from (operand, i % 5).
      const RepeatedArgs repeats{uint64_t((i * 37) % operands.size() * 5 + i % 5 + 1), track < 2 ? 4u : 3u,
                                 3};
      w.slice_with_repeats(tracks[track], opcodes[track], start, end, all, {}, repeats);
    } else {
      w.slice(tracks[track], opcodes[track], start, end, all);
    }
    if (i % 3 == 0) {
      w.counter(sbuf, start, double((i * 4096) % 196608));
    }
  }
  w.finish();
  return out.str();
}

TEST_CASE(
    "PerfettoTraceWriter: an instruction stream costs ~123 bytes a slice, not ~330, deterministically") {
  const size_t n = 30000;
  const std::string bytes = instruction_stream(n, false);
  CHECK(check_perfetto_trace_bytes(bytes).empty());
  CHECK(summarize_perfetto_trace_bytes(bytes).slices == n);
  // Written inline, the operand and source texts would add ~190 bytes a slice (~330 in all); interned,
  // a slice costs its numbers, its annotation names' and values' iids and two small packets whose
  // timestamps are deltas and whose track is the sequence's default: ~123 bytes here (the 400 operand
  // texts are defined once per lane that uses them), the simulator's 32K attention_cte trace ~118.
  const double per_slice = double(bytes.size()) / double(n);
  INFO("bytes per slice: " << per_slice);
  CHECK(per_slice < 126);
  // Same calls, same bytes, whether the strings come from stable storage or from a reused buffer.
  CHECK(instruction_stream(n, true) == bytes);
  CHECK(instruction_stream(n, false) == bytes);
  // Kept encodings of repeated args are the bytes slice() writes.
  CHECK(instruction_stream(n, false, true) == bytes);
  CHECK(instruction_stream(n, true, true) == bytes);
}

TEST_CASE("PerfettoTraceWriter: misuse fails loudly") {
  std::ostringstream out;
  PerfettoTraceWriter w(out);
  const TrackId p = w.add_process(0, "NC0");
  const TrackId t = w.add_slice_track(p, "Tensor", 0);
  const TrackId c = w.add_counter_track(p, "util", "", 1);
  CHECK_THROWS_AS(w.add_slice_track(t, "x", 0), std::invalid_argument);  // parent is not a process
  CHECK_THROWS_AS(w.slice(c, "x", 0, 1, {}), std::invalid_argument);
  CHECK_THROWS_AS(w.counter(t, 0, 1.0), std::invalid_argument);
  CHECK_THROWS_AS(w.slice(0, "x", 0, 1, {}), std::invalid_argument);
  CHECK_THROWS_AS(w.slice(99, "x", 0, 1, {}), std::invalid_argument);
  w.slice(t, "backwards", 50, 40, {});  // end before start: clamped to a zero-length slice
  w.finish();
  CHECK_THROWS_AS(w.slice(t, "late", 0, 1, {}), std::logic_error);
  CHECK_THROWS_AS(w.finish(), std::logic_error);
  const DecodedTrace trace = decode_perfetto_trace(out.str());
  CHECK(check_perfetto_trace(trace).empty());
  const DecodedPacket& end = trace.packets.back();
  REQUIRE(end.track_event);
  CHECK(end.track_event->type == EventType::kSliceEnd);
  CHECK(end.timestamp == 50);
}

TEST_CASE("PerfettoTraceWriter: counter values decode to the doubles given, in either encoding") {
  const double values[] = {7.0, 1.5, -2.0, -0.0, 9007199254740992.0, 1e300, std::nan("")};
  std::ostringstream out;
  PerfettoTraceWriter w(out);
  const TrackId c = w.add_counter_track(w.add_process(0, "NC0"), "util", "", 0);
  uint64_t ts = 0;
  for (const double v : values) {
    w.counter(c, ts += 10, v);
  }
  w.finish();
  const DecodedTrace trace = decode_perfetto_trace(out.str());
  CHECK(check_perfetto_trace(trace).empty());
  std::vector<const DecodedTrackEvent*> samples;
  for (const DecodedPacket& p : trace.packets) {
    if (p.track_event) {
      samples.push_back(&*p.track_event);
    }
  }
  REQUIRE(samples.size() == std::size(values));
  CHECK(samples[0]->counter_value == 7);  // whole and small: int64, ~8 bytes shorter than a double
  for (size_t i = 1; i < samples.size(); ++i) {
    INFO("value " << values[i]);
    REQUIRE(samples[i]->double_counter_value);  // fraction, negative, -0.0, beyond 2^53, NaN
    const double got = *samples[i]->double_counter_value;
    CHECK(std::memcmp(&got, &values[i], sizeof got) == 0);
  }
}

TEST_CASE("PerfettoTraceWriter: a timestamp before its sequence's last is written absolute") {
  std::ostringstream out;
  PerfettoTraceWriter w(out);
  const TrackId c = w.add_counter_track(w.add_process(0, "NC0"), "util", "", 0);
  w.counter(c, 100, 1.0);
  w.counter(c, 40, 2.0);  // out of order: the checker reports it, but its time must still be right
  w.counter(c, 130, 3.0);
  w.finish();
  const DecodedTrace trace = decode_perfetto_trace(out.str());
  std::vector<const DecodedPacket*> samples;
  for (const DecodedPacket& p : trace.packets) {
    if (p.track_event) {
      samples.push_back(&p);
    }
  }
  REQUIRE(samples.size() == 3);
  CHECK(samples[0]->timestamp == 100);
  CHECK(samples[0]->encoded_timestamp == 100);
  CHECK(samples[1]->timestamp == 40);
  CHECK(samples[1]->timestamp_clock_id == pf::clock::kBoottime);  // absolute, the incremental clock untouched
  CHECK(samples[2]->timestamp == 130);
  CHECK(samples[2]->encoded_timestamp == 30);  // a delta from 100, not from 40
  const auto problems = check_perfetto_trace(trace);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].find("goes backwards") != std::string::npos);
}

TEST_CASE("PerfettoTraceWriter: an empty trace is valid") {
  std::ostringstream out;
  PerfettoTraceWriter w(out);
  w.finish();
  CHECK(out.str().empty());
  CHECK(check_perfetto_trace(decode_perfetto_trace(out.str())).empty());
}

}  // namespace
}  // namespace tn::trace
