// The engine timeline of `trnsim report`: a run's trace.pftrace, decoded by the trace reader
// (traces/perfetto_trace_reader.hpp), turned into the rows the page draws and the time per opcode.
//
// A row is what the Perfetto UI shows as one row: an engine or DMA queue (or CC-core, or the kernel
// regions) of one NeuronCore process, its lanes (overlapping slices) merged. The page must stay small and
// quick for runs of millions of slices, so slices are embedded exactly up to a budget; past it the
// busiest rows are aggregated into time buckets (covered fraction and dominant opcode per bucket) and the
// page says so, with the bucket width.
#pragma once
#include <cstddef>
#include <filesystem>
#include <nlohmann/json.hpp>

namespace tn::cli {

struct TimelineLimits {
  size_t slice_budget = 200000;        // exact slices embedded, over all rows
  size_t max_buckets_per_row = 65536;  // aggregated rows: time buckets per row at most
};

// Reads `trace_file` into the page's "timeline" object:
//   {"end_ns", "slices", "aggregated", "bucket_ns", "opcodes": [names, first seen first], "sources": [..],
//    "processes": [{"name", "rank" (multi-rank), "core", "end_ns", "instructions" (slices less the kernel
//      regions), "rows": [{"name", "lanes", "count", "busy_ns",
//      exact: "start" (delta-coded ns, by start), "dur", "op", "src" (-1: none), "pc" (-1: none), "lane";
//      aggregated: "busy" (permille of each bucket covered), "top" (dominant opcode, -1: idle)}]}],
//    "opcode_time": [{"engine", "opcode", "count", "time_ns"}, ...] (by time, largest first)}
// Throws ConfigError naming the file when it cannot be read, is corrupt or truncated, or holds no slices.
nlohmann::json read_timeline(const std::filesystem::path& trace_file, const TimelineLimits& limits = {});

}  // namespace tn::cli
