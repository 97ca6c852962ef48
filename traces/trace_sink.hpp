// The interface the simulator reports its timeline through. The simulator never writes trace files
// itself: it calls a TraceSink (Perfetto protobuf, Chrome JSON, or nothing), in the spirit of
// Ramulator 2's observer plugins (simulator-design-notes.md §1.1).
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

namespace tn::trace {

using TrackId = uint64_t;

// One key/value annotation on a slice (shown in Perfetto's "Arguments" panel).
struct Arg {
  std::string_view key;
  std::variant<int64_t, double, std::string_view> value;
  // A string value that, like the key, stays valid and unchanged until the sink's finish(): a sink may
  // keep the view instead of copying the text, and know it by its address.
  bool stable_text = false;
};

// Args that repeat from slice to slice: with a non-zero `key`, args[0, prefix) and the last `suffix` args
// are the same (keys and values) in every slice given that key on the same track (the recorder's key is
// the operation, whose opcode, operands, bytes, FLOPs and traffic never change). A sink may keep their
// encoding per key; the slice reads the same either way.
struct RepeatedArgs {
  uint64_t key = 0;
  uint32_t prefix = 0, suffix = 0;
};

class TraceSink;

// A slice reported as a fixed-size record that a SliceFormatter turns into slice() calls later, so that
// a sink may do that work on another thread (BackgroundTraceSink). The record holds a trivially copyable
// value of the formatter's choosing.
struct SliceRecord {
  static constexpr size_t kBytes = 96;
  alignas(8) std::array<std::byte, kBytes> bytes{};
  template <class T>
  static SliceRecord of(const T& value) {
    static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= kBytes);
    SliceRecord r;
    std::memcpy(r.bytes.data(), &value, sizeof(T));
    return r;
  }
  template <class T>
  T as() const {
    static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= kBytes);
    T value;
    std::memcpy(&value, bytes.data(), sizeof(T));
    return value;
  }
};

class SliceFormatter {
 public:
  virtual ~SliceFormatter() = default;
  // Reports the slice `record` stands for through `sink`'s slice() (counter() is allowed too; adding
  // tracks or finishing is not: BackgroundTraceSink refuses them). Called once per
  // TraceSink::deferred_slice, in call order, one call at a time, possibly on the sink's own thread.
  virtual void format_slice(TraceSink& sink, const SliceRecord& record, std::span<const uint64_t> flow_ids,
                            std::string_view text) = 0;
};

// Timestamps are integer nanoseconds of simulated time. Slices on one track may be reported in any
// order and may overlap: the sink spreads overlapping slices over lanes (sub-tracks sharing the name).
class TraceSink {
 public:
  virtual ~TraceSink() = default;

  // A process row group: one per NeuronCore. `name` e.g. "NC0".
  virtual TrackId add_process(uint32_t pid, std::string_view name) = 0;
  // A slice track under a process, ordered by `rank` (lower first), e.g. "Tensor", "qSyncIO0".
  virtual TrackId add_slice_track(TrackId process, std::string_view name, int rank) = 0;
  // A counter track under a process; `unit` is free text ("bytes", "count", "GB/s").
  virtual TrackId add_counter_track(TrackId process, std::string_view name, std::string_view unit,
                                    int rank) = 0;

  // A complete slice [start_ns, end_ns]. `flow_ids` link slices (semaphore hand-offs): every id should
  // appear on exactly two slices, the producer (earlier) and the consumer (later). `name` and every arg's
  // key must stay valid and unchanged until finish() (string literals, a program's region names): a sink
  // may keep the views, or know them by their address; string values may be temporaries.
  virtual void slice(TrackId track, std::string_view name, uint64_t start_ns, uint64_t end_ns,
                     std::span<const Arg> args, std::span<const uint64_t> flow_ids = {}) = 0;
  // As slice(), saying which args repeat (RepeatedArgs); a sink that cannot use that just writes the slice.
  virtual void slice_with_repeats(TrackId track, std::string_view name, uint64_t start_ns, uint64_t end_ns,
                                  std::span<const Arg> args, std::span<const uint64_t> flow_ids,
                                  const RepeatedArgs& /*repeats*/) {
    slice(track, name, start_ns, end_ns, args, flow_ids);
  }
  virtual void counter(TrackId track, uint64_t ts_ns, double value) = 0;
  // A slice `formatter` works out from `record`, with `flow_ids` and `text` (copied) handed to it: at once
  // here, later on another thread in a sink that says so. The formatter, and whatever the record points
  // at, must stay valid and unchanged until drain() or finish() returns.
  virtual void deferred_slice(SliceFormatter& formatter, const SliceRecord& record,
                              std::span<const uint64_t> flow_ids = {}, std::string_view text = {}) {
    formatter.format_slice(*this, record, flow_ids, text);
  }
  // Returns once every deferred slice reported so far has been formatted.
  virtual void drain() {}

  // Flushes and closes the output; no calls may follow.
  virtual void finish() = 0;
};

// Discards everything: tracing costs nothing when it is off.
class NullTraceSink final : public TraceSink {
 public:
  TrackId add_process(uint32_t, std::string_view) override { return ++m_next; }
  TrackId add_slice_track(TrackId, std::string_view, int) override { return ++m_next; }
  TrackId add_counter_track(TrackId, std::string_view, std::string_view, int) override { return ++m_next; }
  void slice(TrackId, std::string_view, uint64_t, uint64_t, std::span<const Arg>,
             std::span<const uint64_t>) override {}
  void counter(TrackId, uint64_t, double) override {}
  void finish() override {}

 private:
  TrackId m_next = 0;
};

}  // namespace tn::trace
