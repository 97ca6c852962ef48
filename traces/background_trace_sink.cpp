#include "traces/background_trace_sink.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <type_traits>

namespace tn::trace {

class BackgroundTraceSink::Forwarder final : public TraceSink {
 public:
  explicit Forwarder(BackgroundTraceSink& owner) : m_owner(owner) {}
  TrackId add_process(uint32_t, std::string_view) override { throw misuse(); }
  TrackId add_slice_track(TrackId, std::string_view, int) override { throw misuse(); }
  TrackId add_counter_track(TrackId, std::string_view, std::string_view, int) override { throw misuse(); }
  void slice(TrackId track, std::string_view name, uint64_t start_ns, uint64_t end_ns,
             std::span<const Arg> args, std::span<const uint64_t> flow_ids) override {
    m_owner.m_inner->slice(m_owner.m_inner_ids.at(track), name, start_ns, end_ns, args, flow_ids);
  }
  void slice_with_repeats(TrackId track, std::string_view name, uint64_t start_ns, uint64_t end_ns,
                          std::span<const Arg> args, std::span<const uint64_t> flow_ids,
                          const RepeatedArgs& repeats) override {
    m_owner.m_inner->slice_with_repeats(m_owner.m_inner_ids.at(track), name, start_ns, end_ns, args, flow_ids,
                                        repeats);
  }
  void counter(TrackId track, uint64_t ts_ns, double value) override {
    m_owner.m_inner->counter(m_owner.m_inner_ids.at(track), ts_ns, value);
  }
  void finish() override { throw misuse(); }

 private:
  static std::logic_error misuse() {
    return std::logic_error("BackgroundTraceSink: a SliceFormatter may only report slices and counters");
  }
  BackgroundTraceSink& m_owner;
};

void BackgroundTraceSink::Batch::clear() {
  text.clear();
  arg_count = 0;
  text_args.clear();
  records.clear();
  flows.clear();
  calls.clear();
}

BackgroundTraceSink::BackgroundTraceSink(std::unique_ptr<TraceSink> inner)
    : m_inner(std::move(inner)),
      m_filling(std::make_unique<Batch>()),
      m_forwarder(std::make_unique<Forwarder>(*this)) {
  if (!m_inner)
    throw std::invalid_argument("BackgroundTraceSink: no inner sink");
  m_worker = std::thread([this] { work(); });
}

BackgroundTraceSink::~BackgroundTraceSink() {
  if (!m_finished) {
    try {
      finish();
    } catch (...) {
      // A destructor must not throw; callers who care about errors call finish() themselves.
    }
  }
}

BackgroundTraceSink::Text BackgroundTraceSink::store(std::string_view s) {
  std::string& text = m_filling->text;
  if (text.size() + s.size() > UINT32_MAX)
    throw std::length_error("BackgroundTraceSink: a batch's text passed 4 GiB");
  const Text t{uint32_t(text.size()), uint32_t(s.size())};
  text.append(s);
  return t;
}

BackgroundTraceSink::Call& BackgroundTraceSink::add_call(Kind kind) {
  if (m_finished)
    throw std::logic_error("BackgroundTraceSink: a call after finish()");
  Call& c = m_filling->calls.emplace_back();
  c.kind = kind;
  return c;
}

TrackId BackgroundTraceSink::new_track(Kind kind, TrackId parent, std::string_view name,
                                       std::string_view unit, uint64_t a) {
  const Text stored_name = store(name), stored_unit = store(unit);
  Call& c = add_call(kind);
  c.track = m_next_track++;
  c.parent = parent;
  c.name = stored_name;
  c.unit = stored_unit;
  c.a = a;
  const TrackId id = c.track;
  if (m_filling->calls.size() >= kCallsPerBatch)
    hand_over(false);
  return id;
}

TrackId BackgroundTraceSink::add_process(uint32_t pid, std::string_view name) {
  return new_track(Kind::kProcess, 0, name, {}, pid);
}

TrackId BackgroundTraceSink::add_slice_track(TrackId process, std::string_view name, int rank) {
  return new_track(Kind::kSliceTrack, process, name, {}, uint64_t(int64_t(rank)));
}

TrackId BackgroundTraceSink::add_counter_track(TrackId process, std::string_view name, std::string_view unit,
                                               int rank) {
  return new_track(Kind::kCounterTrack, process, name, unit, uint64_t(int64_t(rank)));
}

void BackgroundTraceSink::slice(TrackId track, std::string_view name, uint64_t start_ns, uint64_t end_ns,
                                std::span<const Arg> args, std::span<const uint64_t> flow_ids) {
  Batch& b = *m_filling;
  const auto first_arg = uint32_t(b.arg_count), first_text_arg = uint32_t(b.text_args.size()),
             first_flow = uint32_t(b.flows.size());
  // Copied as bytes into slots kept across batches: an element-wise insert constructed each variant.
  static_assert(std::is_trivially_copyable_v<Arg>);
  if (b.arg_count + args.size() > b.args.size())
    b.args.resize(std::max(2 * b.args.size(), b.arg_count + args.size()));
  if (!args.empty())
    std::memcpy(static_cast<void*>(b.args.data() + b.arg_count), args.data(), args.size() * sizeof(Arg));
  b.arg_count += args.size();
  for (size_t i = 0; i < args.size(); ++i) {
    const auto* text = std::get_if<std::string_view>(&args[i].value);
    if (text && !args[i].stable_text)  // a stable text is passed on as it is
      b.text_args.push_back({uint32_t(first_arg + i), store(*text)});
  }
  b.flows.insert(b.flows.end(), flow_ids.begin(), flow_ids.end());
  Call& c = add_call(Kind::kSlice);
  c.track = track;
  c.a = start_ns;
  c.b = end_ns;
  c.event = name;
  c.first_arg = first_arg;
  c.num_args = uint32_t(args.size());
  c.first_text_arg = first_text_arg;
  c.num_text_args = uint32_t(b.text_args.size() - first_text_arg);
  c.first_flow = first_flow;
  c.num_flows = uint32_t(flow_ids.size());
  if (b.calls.size() >= kCallsPerBatch)
    hand_over(false);
}

void BackgroundTraceSink::counter(TrackId track, uint64_t ts_ns, double value) {
  Call& c = add_call(Kind::kCounter);
  c.track = track;
  c.a = ts_ns;
  c.value = value;
  if (m_filling->calls.size() >= kCallsPerBatch)
    hand_over(false);
}

void BackgroundTraceSink::deferred_slice(SliceFormatter& formatter, const SliceRecord& record,
                                         std::span<const uint64_t> flow_ids, std::string_view text) {
  Batch& b = *m_filling;
  const auto first_record = uint32_t(b.records.size()), first_flow = uint32_t(b.flows.size());
  b.records.push_back(record);
  if (!flow_ids.empty())
    b.flows.insert(b.flows.end(), flow_ids.begin(), flow_ids.end());
  const Text stored = text.empty() ? Text{} : store(text);  // most slices carry no text
  Call& c = add_call(Kind::kDeferred);
  c.formatter = &formatter;
  c.first_arg = first_record;
  c.name = stored;
  c.first_flow = first_flow;
  c.num_flows = uint32_t(flow_ids.size());
  if (b.calls.size() >= kCallsPerBatch)
    hand_over(false);
}

void BackgroundTraceSink::drain() {
  if (m_finished)
    return;
  if (!m_filling->calls.empty())
    hand_over(false);
  std::unique_lock lock(m_mutex);
  m_changed.wait(lock, [&] { return (m_ready.empty() && !m_running) || m_error; });
  if (m_error)
    std::rethrow_exception(m_error);
}

void BackgroundTraceSink::finish() {
  if (m_finished)
    throw std::logic_error("BackgroundTraceSink: finish() twice");
  hand_over(true);
  m_finished = true;
  m_worker.join();
  rethrow_worker_error();
  m_inner->finish();
}

void BackgroundTraceSink::rethrow_worker_error() {
  std::lock_guard lock(m_mutex);
  if (m_error)
    std::rethrow_exception(m_error);  // sticky: finish() reports it too
}

void BackgroundTraceSink::hand_over(bool last) {
  std::unique_lock lock(m_mutex);
  m_changed.wait(lock, [&] { return m_ready.size() < kBatchesInFlight || m_error; });
  if (m_error && !last) {
    lock.unlock();
    rethrow_worker_error();
  }
  m_ready.push_back(std::move(m_filling));
  m_closing = m_closing || last;
  if (!m_free.empty()) {
    m_filling = std::move(m_free.back());
    m_free.pop_back();
  } else {
    m_filling = std::make_unique<Batch>();
  }
  lock.unlock();
  m_changed.notify_all();
}

void BackgroundTraceSink::work() {
  for (;;) {
    std::unique_ptr<Batch> batch;
    {
      std::unique_lock lock(m_mutex);
      m_changed.wait(lock, [&] { return !m_ready.empty() || m_closing; });
      if (m_ready.empty())
        return;  // closing, and everything handed over ran
      batch = std::move(m_ready.front());
      m_ready.pop_front();
      m_running = true;
    }
    bool failed = false;
    try {
      run(*batch);
    } catch (...) {
      std::lock_guard lock(m_mutex);
      m_error = std::current_exception();
      m_ready.clear();
      failed = true;
    }
    batch->clear();
    {
      std::lock_guard lock(m_mutex);
      m_free.push_back(std::move(batch));
      m_running = false;
    }
    m_changed.notify_all();
    if (failed)
      return;
  }
}

void BackgroundTraceSink::run(const Batch& batch) {
  const auto view = [&](Text t) { return std::string_view(batch.text).substr(t.offset, t.size); };
  for (const Call& c : batch.calls) {
    switch (c.kind) {
      case Kind::kProcess:
        m_inner_ids.push_back(m_inner->add_process(uint32_t(c.a), view(c.name)));
        break;
      case Kind::kSliceTrack:
        m_inner_ids.push_back(
            m_inner->add_slice_track(m_inner_ids.at(c.parent), view(c.name), int(int64_t(c.a))));
        break;
      case Kind::kCounterTrack:
        m_inner_ids.push_back(m_inner->add_counter_track(m_inner_ids.at(c.parent), view(c.name), view(c.unit),
                                                         int(int64_t(c.a))));
        break;
      case Kind::kSlice: {
        std::span<const Arg> args(batch.args.data() + c.first_arg, c.num_args);
        if (c.num_text_args > 0) {  // copied texts: point the views at their copies in the batch
          m_args_scratch.assign(args.begin(), args.end());
          for (uint32_t i = 0; i < c.num_text_args; ++i) {
            const TextArg& t = batch.text_args[c.first_text_arg + i];
            m_args_scratch[t.arg - c.first_arg].value = view(t.text);
          }
          args = m_args_scratch;
        }
        m_inner->slice(m_inner_ids.at(c.track), c.event, c.a, c.b, args,
                       std::span<const uint64_t>(batch.flows.data() + c.first_flow, c.num_flows));
        break;
      }
      case Kind::kCounter:
        m_inner->counter(m_inner_ids.at(c.track), c.a, c.value);
        break;
      case Kind::kDeferred:
        c.formatter->format_slice(*m_forwarder, batch.records[c.first_arg],
                                  std::span<const uint64_t>(batch.flows.data() + c.first_flow, c.num_flows),
                                  view(c.name));
        break;
    }
  }
}

}  // namespace tn::trace
