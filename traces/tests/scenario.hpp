// One TraceSink call sequence that both writers' tests replay: two processes, tracks added out of
// rank order, overlapping DMA slices that need three lanes (one arriving out of start order), args of
// every type, flows reported in and out of time order, counters, and names with quotes, backslashes,
// control characters and non-ASCII text.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "traces/trace_sink.hpp"

namespace tn::trace::testing {

inline const std::string kQuotedProcess = "NC1 \"quoted\" \\ caf\xC3\xA9";  // NC1 "quoted" \ café
inline const std::string kOddSliceName = "Add \"x\"\n\t\xE2\x88\x91 \xF0\x9F\x9A\x80";  // Add "x"<LF><TAB>∑ 🚀

struct ScenarioTracks {
  TrackId nc0 = 0, nc1 = 0;
  TrackId q0 = 0, tensor0 = 0, vector0 = 0, hbm0 = 0;
  TrackId tensor1 = 0, pending1 = 0;
};

// Expected slices, in call order: process name, track name, lane, name, start, end.
struct ExpectedSlice {
  std::string process;
  std::string track;
  uint32_t lane;
  std::string name;
  uint64_t start, end;
};

inline ScenarioTracks write_scenario(TraceSink& s) {
  ScenarioTracks t;
  t.nc0 = s.add_process(0, "NC0");
  t.nc1 = s.add_process(1, kQuotedProcess);
  // Added out of rank order on purpose: the output must order rows by rank, not by creation.
  t.q0 = s.add_slice_track(t.nc0, "qSyncIO0", 10);
  t.tensor0 = s.add_slice_track(t.nc0, "Tensor", 0);
  t.hbm0 = s.add_counter_track(t.nc0, "HBM bytes", "bytes", 20);
  t.vector0 = s.add_slice_track(t.nc0, "Vector", 1);
  t.tensor1 = s.add_slice_track(t.nc1, "Tensor", 0);
  t.pending1 = s.add_counter_track(t.nc1, "pending DMA", "", 21);

  const std::array<Arg, 3> matmul_args{Arg{"opcode_id", int64_t{-7}}, Arg{"util", 0.75},
                                       Arg{"src", std::string_view("sbuf[0:128] \"p\"")}};
  const std::array<uint64_t, 1> flow1{1};
  s.slice(t.tensor0, "MatMul", 100, 200, matmul_args, flow1);
  const std::array<Arg, 1> add_args{Arg{"opcode_id", int64_t{3}}};
  s.slice(t.vector0, kOddSliceName, 150, 260, add_args, flow1);  // flow 1: second and later: terminates
  s.slice(t.vector0, "Barrier", 260, 260, {});                   // zero length, touching the previous

  // DMA queue: d1 overlaps d0 (lane 1), d2 starts exactly when d0 ends (back to lane 0), d3 arrives
  // late with an earlier start than every lane's last end (lane 2), d4 fits lane 0 again.
  const std::array<Arg, 2> dma_args{Arg{"bytes", int64_t{4096}}, Arg{"queue", std::string_view("qSyncIO0")}};
  s.slice(t.q0, "dma", 0, 100, dma_args);
  s.slice(t.q0, "dma", 50, 150, dma_args);
  s.slice(t.q0, "dma", 100, 180, dma_args);
  s.slice(t.q0, "dma", 20, 40, dma_args);
  s.slice(t.q0, "dma", 200, 300, dma_args);

  // Flow 2 arrives consumer first: the later-reported producer starts earlier.
  const std::array<uint64_t, 1> flow2{2};
  s.slice(t.tensor1, "Recv", 500, 600, {}, flow2);
  s.slice(t.tensor0, "Send", 300, 400, {}, flow2);
  // One slice carrying two flows: consumer of 3 (from Send2), producer of 4 (to Recv2).
  const std::array<uint64_t, 1> flow3{3};
  const std::array<uint64_t, 2> flow34{3, 0xFFFFFFFFFFFFFFF0ULL};
  const std::array<uint64_t, 1> flow4{0xFFFFFFFFFFFFFFF0ULL};
  s.slice(t.tensor0, "Send2", 410, 420, {}, flow3);
  s.slice(t.tensor1, "Relay", 700, 800, {}, flow34);
  s.slice(t.tensor0, "Recv2", 900, 950, {}, flow4);

  s.counter(t.hbm0, 0, 0.0);
  s.counter(t.hbm0, 100, 4096.0);
  s.counter(t.hbm0, 200, 1.5e9);
  s.counter(t.pending1, 0, 3.0);
  s.counter(t.pending1, 1000, 0.0);
  s.finish();
  return t;
}

inline std::vector<ExpectedSlice> expected_scenario_slices() {
  return {
      {"NC0", "Tensor", 0, "MatMul", 100, 200},        {"NC0", "Vector", 0, kOddSliceName, 150, 260},
      {"NC0", "Vector", 0, "Barrier", 260, 260},       {"NC0", "qSyncIO0", 0, "dma", 0, 100},
      {"NC0", "qSyncIO0", 1, "dma", 50, 150},          {"NC0", "qSyncIO0", 0, "dma", 100, 180},
      {"NC0", "qSyncIO0", 2, "dma", 20, 40},           {"NC0", "qSyncIO0", 0, "dma", 200, 300},
      {kQuotedProcess, "Tensor", 0, "Recv", 500, 600}, {"NC0", "Tensor", 0, "Send", 300, 400},
      {"NC0", "Tensor", 0, "Send2", 410, 420},         {kQuotedProcess, "Tensor", 0, "Relay", 700, 800},
      {"NC0", "Tensor", 0, "Recv2", 900, 950},
  };
}

}  // namespace tn::trace::testing
