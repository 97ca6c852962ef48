// A TraceSink that keeps every call, for tests to inspect tracks, slices, args, flows and counters.
#pragma once
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "traces/trace_sink.hpp"

namespace tn::sc::testing {

class RecordingSink final : public trace::TraceSink {
 public:
  struct Track {
    std::string kind, name, unit;
    trace::TrackId parent = 0;
    int rank = 0;
  };
  struct Slice {
    trace::TrackId track;
    std::string name;
    uint64_t start_ns, end_ns;
    std::map<std::string, std::variant<int64_t, double, std::string>> args;
    std::vector<uint64_t> flows;
    int64_t arg_int(const std::string& k) const { return std::get<int64_t>(args.at(k)); }
    double arg_double(const std::string& k) const { return std::get<double>(args.at(k)); }
    std::string arg_string(const std::string& k) const { return std::get<std::string>(args.at(k)); }
  };
  struct Sample {
    trace::TrackId track;
    uint64_t ts_ns;
    double value;
  };

  trace::TrackId add_process(uint32_t, std::string_view name) override {
    return add({"process", std::string(name), "", 0, 0});
  }
  trace::TrackId add_slice_track(trace::TrackId process, std::string_view name, int rank) override {
    return add({"slice", std::string(name), "", process, rank});
  }
  trace::TrackId add_counter_track(trace::TrackId process, std::string_view name, std::string_view unit,
                                   int rank) override {
    return add({"counter", std::string(name), std::string(unit), process, rank});
  }
  void slice(trace::TrackId track, std::string_view name, uint64_t start_ns, uint64_t end_ns,
             std::span<const trace::Arg> args, std::span<const uint64_t> flow_ids) override {
    Slice s{track, std::string(name), start_ns, end_ns, {}, {flow_ids.begin(), flow_ids.end()}};
    for (const trace::Arg& a : args) {
      std::visit(
          [&](const auto& v) {
            if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::string_view>) {
              s.args[std::string(a.key)] = std::string(v);
            } else {
              s.args[std::string(a.key)] = v;
            }
          },
          a.value);
    }
    slices.push_back(std::move(s));
  }
  void counter(trace::TrackId track, uint64_t ts_ns, double value) override {
    samples.push_back({track, ts_ns, value});
  }
  void finish() override {}

  trace::TrackId track(const std::string& name) const {
    for (size_t i = 0; i < tracks.size(); ++i) {
      if (tracks[i].name == name) {
        return i + 1;
      }
    }
    return 0;
  }
  std::vector<const Slice*> slices_on(const std::string& track_name) const {
    std::vector<const Slice*> out;
    for (const Slice& s : slices) {
      if (s.track == track(track_name)) {
        out.push_back(&s);
      }
    }
    return out;
  }
  // Slices on every track of that name (one per core of a multi-rank run).
  std::vector<const Slice*> slices_on_all(const std::string& track_name) const {
    std::vector<const Slice*> out;
    for (const Slice& s : slices) {
      if (tracks[s.track - 1].name == track_name) {
        out.push_back(&s);
      }
    }
    return out;
  }
  // The first track of that kind ("process", "slice", "counter") and name, or 0.
  trace::TrackId find_track(const std::string& kind, const std::string& name) const {
    for (size_t i = 0; i < tracks.size(); ++i) {
      if (tracks[i].kind == kind && tracks[i].name == name) {
        return i + 1;
      }
    }
    return 0;
  }
  std::vector<std::pair<uint64_t, double>> samples_of(const std::string& counter) const {
    std::vector<std::pair<uint64_t, double>> out;
    for (const Sample& s : samples) {
      if (s.track == track(counter)) {
        out.emplace_back(s.ts_ns, s.value);
      }
    }
    return out;
  }

  std::vector<Track> tracks;  // TrackId i + 1
  std::vector<Slice> slices;
  std::vector<Sample> samples;

 private:
  trace::TrackId add(Track t) {
    tracks.push_back(std::move(t));
    return tracks.size();
  }
};

}  // namespace tn::sc::testing
