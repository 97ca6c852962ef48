// A TraceSink that hands every call to another sink on a thread of its own: the simulation only copies a
// slice's string values into a batch (not names, keys or stable texts, which outlive the sink:
// TraceSink::slice, Arg::stable_text), and the encoding
// and writing (most of a traced run's extra cost) use a core the simulation leaves idle. The inner sink sees
// exactly the calls, in exactly the order, it would have seen directly, so its output is byte for byte the
// same. Track ids are this sink's own (returned at once) and translated on the worker. An exception the inner
// sink throws stops the worker and is thrown again from the next call that hands over a batch, or from
// finish().
#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "traces/trace_sink.hpp"

namespace tn::trace {

class BackgroundTraceSink final : public TraceSink {
 public:
  explicit BackgroundTraceSink(std::unique_ptr<TraceSink> inner);
  ~BackgroundTraceSink() override;  // finishes if finish() was not called (errors are then dropped)

  TrackId add_process(uint32_t pid, std::string_view name) override;
  TrackId add_slice_track(TrackId process, std::string_view name, int rank) override;
  TrackId add_counter_track(TrackId process, std::string_view name, std::string_view unit, int rank) override;
  void slice(TrackId track, std::string_view name, uint64_t start_ns, uint64_t end_ns,
             std::span<const Arg> args, std::span<const uint64_t> flow_ids) override;
  void counter(TrackId track, uint64_t ts_ns, double value) override;
  // Formatted on the worker, in call order with the other calls: the formatting leaves the caller's thread.
  void deferred_slice(SliceFormatter& formatter, const SliceRecord& record,
                      std::span<const uint64_t> flow_ids, std::string_view text) override;
  void drain() override;
  void finish() override;

 private:
  // A run of calls with their strings: texts are (offset, size) into `text`, which may grow while the
  // batch fills, so views are made only on the worker.
  struct Text {
    uint32_t offset = 0, size = 0;
  };
  // A slice's args are kept as given, except that a string value's view is replaced on the worker by
  // its copy in the batch's text: `text_args` lists those args (index into `args`) and their copies.
  struct TextArg {
    uint32_t arg = 0;
    Text text;
  };
  enum class Kind : uint8_t { kProcess, kSliceTrack, kCounterTrack, kSlice, kCounter, kDeferred };
  struct Call {
    Kind kind;
    TrackId track = 0;  // own id: the new track (add_*) or the one the event is on
    TrackId parent = 0;
    uint64_t a = 0, b = 0;  // pid or rank; slice start/end; counter time
    double value = 0;
    Text name, unit;                      // add_*: copied
    std::string_view event;               // slice: its name, which outlives the sink
    SliceFormatter* formatter = nullptr;  // deferred: its record is records[first_arg], its text `name`
    uint32_t first_arg = 0, num_args = 0, first_text_arg = 0, num_text_args = 0, first_flow = 0,
             num_flows = 0;
  };
  struct Batch {
    std::string text;
    std::vector<Arg> args;  // [0, arg_count) in use; slots are kept (and overwritten) across batches
    size_t arg_count = 0;
    std::vector<TextArg> text_args;
    std::vector<SliceRecord> records;
    std::vector<uint64_t> flows;
    std::vector<Call> calls;
    void clear();
  };
  static constexpr size_t kCallsPerBatch = 4096;
  static constexpr size_t kBatchesInFlight = 4;  // the producer waits beyond this: memory stays bounded

  Text store(std::string_view s);
  Call& add_call(Kind kind);
  TrackId new_track(Kind kind, TrackId parent, std::string_view name, std::string_view unit, uint64_t a);
  void hand_over(bool last);
  void work();
  void run(const Batch& batch);
  void rethrow_worker_error();
  // What a SliceFormatter reports through on the worker: its slices go to the inner sink, track ids
  // translated.
  class Forwarder;

  std::unique_ptr<TraceSink> m_inner;
  std::unique_ptr<Batch> m_filling;
  TrackId m_next_track = 0;
  std::vector<TrackId> m_inner_ids;  // own id -> the inner sink's; the worker's alone

  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::deque<std::unique_ptr<Batch>> m_ready;  // handed over, in call order
  std::vector<std::unique_ptr<Batch>> m_free;  // processed, for reuse
  bool m_closing = false, m_finished = false;
  bool m_running = false;  // the worker is running a batch it took from m_ready
  std::exception_ptr m_error;
  std::vector<Arg> m_args_scratch;         // the worker's
  std::unique_ptr<Forwarder> m_forwarder;  // the worker's
  std::thread m_worker;
};

}  // namespace tn::trace
