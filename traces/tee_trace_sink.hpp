// Sends every call to several sinks (e.g. trace.pftrace and trace.json at once), translating track ids.
#pragma once
#include <memory>
#include <type_traits>
#include <vector>

#include "traces/trace_sink.hpp"

namespace tn::trace {

class TeeTraceSink final : public TraceSink {
 public:
  explicit TeeTraceSink(std::vector<std::unique_ptr<TraceSink>> sinks) : m_sinks(std::move(sinks)) {}

  TrackId add_process(uint32_t pid, std::string_view name) override {
    return add([&](TraceSink& s) { return s.add_process(pid, name); });
  }
  TrackId add_slice_track(TrackId process, std::string_view name, int rank) override {
    return add([&](TraceSink& s, size_t i) { return s.add_slice_track(m_ids[process][i], name, rank); });
  }
  TrackId add_counter_track(TrackId process, std::string_view name, std::string_view unit,
                            int rank) override {
    return add(
        [&](TraceSink& s, size_t i) { return s.add_counter_track(m_ids[process][i], name, unit, rank); });
  }
  void slice(TrackId track, std::string_view name, uint64_t start_ns, uint64_t end_ns,
             std::span<const Arg> args, std::span<const uint64_t> flow_ids) override {
    for (size_t i = 0; i < m_sinks.size(); ++i)
      m_sinks[i]->slice(m_ids[track][i], name, start_ns, end_ns, args, flow_ids);
  }
  void slice_with_repeats(TrackId track, std::string_view name, uint64_t start_ns, uint64_t end_ns,
                          std::span<const Arg> args, std::span<const uint64_t> flow_ids,
                          const RepeatedArgs& repeats) override {
    for (size_t i = 0; i < m_sinks.size(); ++i)
      m_sinks[i]->slice_with_repeats(m_ids[track][i], name, start_ns, end_ns, args, flow_ids, repeats);
  }
  void counter(TrackId track, uint64_t ts_ns, double value) override {
    for (size_t i = 0; i < m_sinks.size(); ++i)
      m_sinks[i]->counter(m_ids[track][i], ts_ns, value);
  }
  void finish() override {
    for (auto& s : m_sinks)
      s->finish();
  }
  bool empty() const { return m_sinks.empty(); }

 private:
  template <class F>
  TrackId add(F&& make) {
    std::vector<TrackId> ids;
    for (size_t i = 0; i < m_sinks.size(); ++i) {
      if constexpr (std::is_invocable_v<F, TraceSink&, size_t>) {
        ids.push_back(make(*m_sinks[i], i));
      } else {
        ids.push_back(make(*m_sinks[i]));
      }
    }
    m_ids.push_back(std::move(ids));
    return m_ids.size() - 1;
  }

  std::vector<std::unique_ptr<TraceSink>> m_sinks;
  std::vector<std::vector<TrackId>> m_ids;  // tee id -> per-sink id
};

}  // namespace tn::trace
