#include "sim/sc/run_recorder.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>

#include "isa/disassembly.hpp"
#include "sim/sc/sync_conditions.hpp"
#include "traces/tee_trace_sink.hpp"

namespace tn::sc {

namespace {

bool on_matrix_row(const isa::Operation& op) {
  return std::holds_alternative<isa::MultiplyMoving>(op) || std::holds_alternative<isa::PeTranspose>(op);
}

// The engines whose work can hide communication (the Sync engine only sequences).
bool computes(isa::Engine e) {
  return e == isa::Engine::kPe || e == isa::Engine::kAct || e == isa::Engine::kDve || e == isa::Engine::kPool;
}

// A sink that keeps nothing: formatting slices for it would only cost time.
bool discards_everything(trace::TraceSink& sink) {
  if (dynamic_cast<trace::NullTraceSink*>(&sink)) {
    return true;
  }
  const auto* tee = dynamic_cast<trace::TeeTraceSink*>(&sink);
  return tee && tee->empty();
}

// Engine cycles since t = 0 at the engine's clock (the profiler's per-instruction cycle fields).
int64_t cycle_at(uint64_t ps, double clock_mhz) {
  // A whole-MHz clock and q = ps * MHz / 1e6 below 2^40: the rounded quotient is exactly what the long
  // double expression below rounds (its error, under 2^-23, is far less than 1e-6, the smallest distance of
  // a quotient with denominator 1e6 from a half), in integers.
  if (clock_mhz >= 1 && clock_mhz <= 65536 && clock_mhz == std::floor(clock_mhz) &&
      ps < (uint64_t{1} << 43)) {
    const auto mhz = static_cast<uint64_t>(clock_mhz);
    return static_cast<int64_t>((ps * mhz + 500000) / 1000000);
  }
  return static_cast<int64_t>(std::llround(static_cast<long double>(ps) * clock_mhz / 1e6L));
}

}  // namespace

// Text a slice annotation names, kept for the life of the process: the trace sink may be finished after
// the recorder is gone (run_pipeline finishes it after run_timed returns, on a writer thread that is still
// encoding), and text that stays valid and unchanged until then may be passed as a stable value
// (trace::Arg::stable_text), which the sink neither copies nor hashes again. There is one timed run per
// process, so this holds each distinct operand text and source line once.
std::string_view keep_for_process(std::string text) {
  static std::mutex mutex;
  static std::deque<std::string> texts;  // a deque: the views handed out stay valid
  std::lock_guard lock(mutex);
  return texts.emplace_back(std::move(text));
}

// The operand text of each operation, disassembled once per distinct operation: a kernel repeats a few
// thousand over its instructions (32K causal attention_cte: 9,464 over 141,905), and disassembling cost
// more than writing the rest of the slice. Operations are interned (isa::OpRef), so the id finds the text.
class RunRecorder::OperandTexts {
 public:
  std::string_view get(const isa::OpRef& op) {
    if (op.id() >= m_by_id.size())
      m_by_id.resize(size_t(op.id()) + 1, kNone);
    uint32_t& slot = m_by_id[op.id()];
    if (slot == kNone) {
      slot = uint32_t(m_texts.size());
      m_texts.push_back(keep_for_process(operands_of(op.get())));
    }
    return m_texts[slot];
  }

 private:
  static constexpr uint32_t kNone = ~uint32_t{0};

  static std::string operands_of(const isa::Operation& op) {
    std::string text = isa::disassemble(op);
    text.erase(0, std::min(text.size(), isa::mnemonic(op).size() + 1));  // drop "mnemonic "
    return text;
  }

  std::vector<uint32_t> m_by_id;  // OpRef id -> index into m_texts
  std::vector<std::string_view> m_texts;
};

RunRecorder::~RunRecorder() {
  // A run that stopped early (an exception) may leave deferred slices that refer to this recorder.
  try {
    m_sink.drain();
  } catch (...) {
    // The sink reports its error again from finish().
  }
}

RunRecorder::RunRecorder(const std::vector<RecordedCore>& cores, bool multi_rank, const timing::HwConfig& hw,
                         trace::TraceSink& sink, const TimedRunOptions& options)
    : m_hw(hw),
      m_sink(sink),
      m_options(options),
      m_tracing(!discards_everything(sink)),
      m_flows(options.trace_flows),
      m_cores(cores.size()),
      m_exposure(cores.empty() ? 0 : cores.back().rank + 1),
      m_operand_texts(std::make_unique<OperandTexts>()) {
  m_result.cores.resize(cores.size());
  m_source_by_instruction.resize(cores.size());
  for (uint32_t ci = 0; ci < cores.size(); ++ci) {
    Core& core = m_cores[ci];
    m_source_by_instruction[ci].resize(cores[ci].program->streams.size());
    core.program = cores[ci].program;
    core.traced = cores[ci].traced;
    core.streams.resize(core.program->streams.size());
    if (const int32_t pool = core.program->find_engine_stream(isa::Engine::kPool); pool >= 0)
      core.gpsimd_stream = uint32_t(pool);
    for (const isa::Semaphore& s : core.program->semaphores) {
      core.sems.push_back(SemHistory{s.initial, true, {}});
    }
    CoreStats& stats = m_result.cores[ci];
    stats.rank = cores[ci].rank;
    stats.core = cores[ci].core;
    stats.chip = cores[ci].chip;
    for (const isa::Stream& st : core.program->streams) {
      stats.streams.push_back(StreamStats{st.name, st.engine, 0, 0, 0});
      m_total_instructions += st.instructions.size();
    }
    index_buffers(core);
    index_regions(core);
    if (core.traced) {
      create_tracks(ci, core,
                    multi_rank ? "rank " + std::to_string(stats.rank) + " NC" + std::to_string(stats.core) +
                                     " (chip " + std::to_string(stats.chip) + ")"
                               : "NC" + std::to_string(ci));
    }
  }
}

void RunRecorder::create_tracks(uint32_t core_index, Core& core, const std::string& process_name) {
  const isa::Program& p = *core.program;
  // pid 0 is the idle (swapper) process to Perfetto, so NeuronCore i is pid i + 1.
  const trace::TrackId process = m_sink.add_process(core_index + 1, process_name);
  int rank = 0;
  if (!p.regions.empty())
    core.region_track = m_sink.add_slice_track(process, "Kernel regions", rank++);
  const auto has = [&](isa::Engine e) {
    return std::any_of(p.streams.begin(), p.streams.end(),
                       [&](const isa::Stream& s) { return s.engine == e; });
  };
  std::array<trace::TrackId, isa::kNumEngineKinds> engine_track{};
  trace::TrackId matrix = 0;
  if (has(isa::Engine::kPe)) {
    engine_track[int(isa::Engine::kPe)] = m_sink.add_slice_track(process, "Tensor", rank++);
    matrix = m_sink.add_slice_track(process, "TensorMatrix", rank++);
  }
  for (isa::Engine e : {isa::Engine::kDve, isa::Engine::kAct, isa::Engine::kPool, isa::Engine::kSp}) {
    if (has(e)) {
      engine_track[int(e)] = m_sink.add_slice_track(process, isa::engine_name(e), rank++);
    }
  }
  // DMA queues, then CC-cores: a track per stream.
  for (isa::Engine e : {isa::Engine::kDma, isa::Engine::kCc}) {
    for (size_t s = 0; s < p.streams.size(); ++s) {
      if (p.streams[s].engine == e)
        core.streams[s].track = m_sink.add_slice_track(process, p.streams[s].name, rank++);
    }
  }
  for (size_t s = 0; s < p.streams.size(); ++s) {
    const isa::Stream& st = p.streams[s];
    if (st.engine != isa::Engine::kDma && st.engine != isa::Engine::kCc) {
      core.streams[s].track = engine_track[int(st.engine)];
      core.streams[s].matrix_track = matrix;
    }
  }
  core.sbuf_track = m_sink.add_counter_track(process, "SBUF used (bytes/partition)", "bytes", rank++);
  core.psum_track = m_sink.add_counter_track(process, "PSUM used (bytes/partition)", "bytes", rank++);
  core.hbm_track = m_sink.add_counter_track(process, "HBM bandwidth (GB/s)", "GB/s", rank++);
  core.dma_track = m_sink.add_counter_track(process, "DMAs in flight", "count", rank++);
}

// A buffer is live from the start of its first instruction to the retirement of its last. With loops
// either may execute many times: the buffer turns live at an execution of its first instruction while
// dead, and dead at an execution of its last while live (a builder should name instructions outside a
// loop when a buffer lives across its iterations).
void RunRecorder::index_buffers(Core& core) {
  const isa::Program& p = *core.program;
  const auto valid = [&](const isa::InstrRef& r) {
    return r.stream >= 0 && size_t(r.stream) < p.streams.size() && r.index >= 0 &&
           size_t(r.index) < p.streams[r.stream].instructions.size();
  };
  for (uint32_t b = 0; b < p.buffers.size(); ++b) {
    const isa::BufferLifetime& buf = p.buffers[b];
    if (buf.mem == isa::MemKind::kHbm || !valid(buf.first) || !valid(buf.last)) {
      continue;
    }
    core.streams[buf.first.stream].buffers_first.list.emplace_back(uint32_t(buf.first.index), b);
    core.streams[buf.last.stream].buffers_last.list.emplace_back(uint32_t(buf.last.index), b);
  }
  for (StreamInfo& s : core.streams) {
    std::sort(s.buffers_first.list.begin(), s.buffers_first.list.end());
    std::sort(s.buffers_last.list.begin(), s.buffers_last.list.end());
  }
  core.buffer_live.assign(p.buffers.size(), 0);
}

void RunRecorder::index_regions(Core& core) {
  const isa::Program& p = *core.program;
  core.region_span.assign(p.regions.size(), {UINT64_MAX, 0});
  for (uint32_t r = 0; r < p.regions.size(); ++r) {
    const auto& ranges = p.regions[r].ranges;
    for (size_t s = 0; s < ranges.size() && s < core.streams.size(); ++s) {
      const auto [first, end] = ranges[s];
      if (first >= end)
        continue;
      core.streams[s].region_marks.push_back({uint32_t(first), r, true});
      core.streams[s].region_marks.push_back({uint32_t(end - 1), r, false});
    }
  }
  for (StreamInfo& s : core.streams)
    std::stable_sort(s.region_marks.begin(), s.region_marks.end());
}

// A stream runs its instructions in order, so a region's span there runs from its first instruction's start
// to its last one's end.
void RunRecorder::region_marks(Core& core, uint32_t stream, uint32_t index, const InstructionTiming& t) {
  const auto& marks = core.streams[stream].region_marks;
  size_t& next = core.streams[stream].next_mark;
  // The first mark at or past `index`: usually where the last look-up stopped; a branch back searches.
  const bool at_next =
      (next == marks.size() || marks[next].index >= index) && (next == 0 || marks[next - 1].index < index);
  auto it = at_next ? marks.begin() + std::ptrdiff_t(next)
                    : std::lower_bound(marks.begin(), marks.end(), RegionMark{index, 0, false});
  for (; it != marks.end() && it->index == index; ++it) {
    auto& span = core.region_span[it->region];
    if (it->first)
      span.first = std::min(span.first, t.start_ps);
    span.second = std::max(span.second, it->first ? t.start_ps : t.end_ps);
  }
  next = size_t(it - marks.begin());
}

std::pair<size_t, size_t> RunRecorder::BufferEvents::of(uint32_t index) {
  if (cursor > 0 && list[cursor - 1].first >= index) {  // back to or before the last lookup: a loop
    cursor = size_t(std::lower_bound(list.begin(), list.end(), std::pair<uint32_t, uint32_t>(index, 0)) -
                    list.begin());
  }
  while (cursor < list.size() && list[cursor].first < index)
    ++cursor;
  const size_t first = cursor;
  while (cursor < list.size() && list[cursor].first == index)
    ++cursor;
  return {first, cursor};
}

void RunRecorder::buffer_changes(Core& core, BufferEvents& events, uint32_t index, uint64_t time_ps,
                                 bool live) {
  const auto [first, last] = events.of(index);
  for (size_t i = first; i < last; ++i) {
    const uint32_t buffer = events.list[i].second;
    uint8_t& state = core.buffer_live[buffer];
    if (bool(state) == live) {
      continue;
    }
    state = live;
    const isa::BufferLifetime& b = core.program->buffers[buffer];
    const double bytes = double(b.bytes_per_partition);
    add_change(b.mem == isa::MemKind::kPsum ? core.psum : core.sbuf, time_ps, live ? bytes : -bytes);
  }
}

// The retirement that made `c` true: the latest change that took the semaphore from below `at_least` to
// at least it. With non-decreasing values that is the first change reaching it (binary search).
std::optional<RunRecorder::ExecRef> RunRecorder::producer_of(const Core& core,
                                                             const isa::SemCondition& c) const {
  const SemHistory& h = core.sems[c.sem];
  if (h.monotone) {
    if (h.initial >= c.at_least) {
      return std::nullopt;
    }
    auto it = std::lower_bound(h.changes.begin(), h.changes.end(), c.at_least,
                               [](const auto& change, int64_t v) { return change.first < v; });
    return it == h.changes.end() ? std::nullopt : std::optional(it->second);
  }
  for (size_t i = h.changes.size(); i-- > 0;) {
    const int64_t before = i ? h.changes[i - 1].first : h.initial;
    if (before < c.at_least && h.changes[i].first >= c.at_least) {
      return h.changes[i].second;
    }
  }
  return std::nullopt;
}

void RunRecorder::count_loop(uint32_t core, uint32_t stream, const isa::SourceLocation& loc, int32_t trips) {
  const std::string source = loc.file + ":" + std::to_string(loc.line);
  auto [it, first] = m_loop_index.try_emplace({core, source}, stream, m_result.loops.size());
  if (first)
    m_result.loops.push_back({m_result.cores[core].rank, m_result.cores[core].core, source, 0, 0, 0});
  if (it->second.first != stream)
    return;  // the loop's other streams run the same trips
  LoopStats& l = m_result.loops[it->second.second];
  ++l.entries;
  l.trips += static_cast<uint64_t>(std::max(trips, 0));
  l.max_trips = std::max(l.max_trips, trips);
}

void RunRecorder::cover(StreamStats& stats, StreamInfo& info, uint64_t start_ps, uint64_t end_ps) {
  if (end_ps > info.covered_until_ps) {
    stats.busy_ps += end_ps - std::max(start_ps, info.covered_until_ps);
    info.covered_until_ps = end_ps;
  }
}

// Software DGE built a transfer's descriptors on GpSimd: that engine was busy with it (a slice on its row,
// named after the queue, as the profiler shows DGE work on the engine that did it).
void RunRecorder::on_gpsimd_descriptors(uint32_t core_index, uint32_t queue, uint32_t index,
                                        const InstructionTiming& t) {
  Core& core = m_cores[core_index];
  if (core.gpsimd_stream == UINT32_MAX || t.descriptors.end_ps <= t.descriptors.start_ps)
    return;
  cover(m_result.cores[core_index].streams[core.gpsimd_stream], core.streams[core.gpsimd_stream],
        t.descriptors.start_ps, t.descriptors.end_ps);
  if (m_tracing && core.traced) {
    SliceFields f{};
    f.core = core_index;
    f.stream = queue;
    f.index = index;
    f.start_ps = t.descriptors.start_ps;
    f.end_ps = t.descriptors.end_ps;
    f.descriptors_on_gpsimd = true;
    m_sink.deferred_slice(*this, trace::SliceRecord::of(f), {}, {});
  }
}

void RunRecorder::on_start(uint32_t core_index, uint32_t stream, uint32_t index, const InstructionTiming& t,
                           const timing::InstructionCost& cost, size_t opcode, bool dma) {
  Core& core = m_cores[core_index];
  StreamInfo& info = core.streams[stream];
  const isa::Instruction& in = core.program->streams[stream].instructions[index];

  StreamStats& stats = m_result.cores[core_index].streams[stream];
  ++stats.instructions;
  if (t.loop_trips)
    count_loop(core_index, stream, in.loc, *t.loop_trips);
  stats.sem_wait_ps += t.sem_wait_ps;
  cover(stats, info, t.start_ps, t.end_ps);
  if (dma && core.program->streams[stream].dge == isa::DgeMode::kSoftware)
    on_gpsimd_descriptors(core_index, stream, index, t);
  if (computes(core.program->streams[stream].engine))
    m_exposure.compute(m_result.cores[core_index].rank, t.start_ps, t.end_ps);
  if (m_opcode_counts[opcode]++ == 0)
    m_opcode_names[opcode] = isa::mnemonic(in.op.get());
  m_opcode_busy_ps[opcode] += t.end_ps - t.start_ps;
  ++m_result.instructions;
  m_result.matmul_flops += cost.flops;
  m_result.transpose_flops += cost.transpose_flops;
  m_result.hbm_read_bytes += cost.read.hbm;
  m_result.hbm_write_bytes += cost.written.hbm;
  if (dma) {
    m_result.dma_bytes += cost.dma.bytes;
  }
  // The counters exist for the trace: kept for an untraced core they would never be flushed and would grow
  // with every instruction of every rank.
  const bool counted = m_tracing && core.traced;
  if (counted && dma) {
    add_change(core.dmas_in_flight, t.start_ps, 1.0);
    add_change(core.dmas_in_flight, t.end_ps, -1.0);
    const uint64_t hbm_bytes = cost.read.hbm + cost.written.hbm;
    if (hbm_bytes > 0 && t.data_end_ps > t.data_start_ps) {
      // Over the window the bytes actually moved, not the transfer's fixed-cost floor.
      const double gbps = double(hbm_bytes) * 1000.0 / double(t.data_end_ps - t.data_start_ps);  // GB/s
      add_change(core.hbm_gbps, t.data_start_ps, gbps);
      add_change(core.hbm_gbps, t.data_end_ps, -gbps);
    }
  }
  if (counted)
    buffer_changes(core, info.buffers_first, index, t.start_ps, true);
  if (!info.region_marks.empty())
    region_marks(core, stream, index, t);

  if (m_flows && core.traced) {
    info.held.push_back(Slice{index, t, {}});
    Slice& slice = info.held.back();
    std::vector<ExecRef> producers;
    for_each_condition(in, [&](const isa::SemCondition& c) {
      const auto p = producer_of(core, c);
      if (p && std::find(producers.begin(), producers.end(), *p) == producers.end()) {
        producers.push_back(*p);
        slice.flows.push_back(++m_flow_ids);
        core.streams[p->stream].held[p->seq].flows.push_back(m_flow_ids);
      }
    });
  } else if (m_tracing && core.traced) {
    emit_slice(core_index, stream, index, t, cost, {});
  }
}

void RunRecorder::on_collective_start(uint64_t id, const std::vector<int32_t>& row, uint64_t now_ps) {
  for (int32_t r : row)
    m_exposure.collective_started(uint32_t(r), id, now_ps);
}

const CollectiveRecord& RunRecorder::on_collective(uint64_t id, CollectiveRecord record, uint64_t now_ps) {
  record.exposed_ps.clear();
  for (int32_t r : record.row)
    record.exposed_ps.push_back(m_exposure.collective_ended(uint32_t(r), id, now_ps));
  m_result.collectives.push_back(record);
  return m_collective_records.emplace_back(std::move(record));
}

void RunRecorder::on_link(uint32_t link, const std::string& name, timing::TimeInterval interval,
                          uint64_t bytes) {
  if (!m_tracing || interval.end_ps <= interval.start_ps)
    return;
  if (m_link_counters.empty())
    m_fabric_process = m_sink.add_process(uint32_t(m_cores.size()) + 1, "Fabric");
  auto it = m_link_counters.find(link);
  if (it == m_link_counters.end()) {
    const trace::TrackId track = m_sink.add_counter_track(m_fabric_process, "link " + name + " (GB/s)",
                                                          "GB/s", int(m_link_counters.size()));
    it = m_link_counters.emplace(link, std::pair{track, CounterTimeline{}}).first;
  }
  const double gbps = double(bytes) * 1000.0 / double(interval.end_ps - interval.start_ps);
  add_change(it->second.second, interval.start_ps, gbps);
  add_change(it->second.second, interval.end_ps, -gbps);
}

void RunRecorder::on_semaphore(uint32_t core, int32_t sem, int64_t value, isa::InstrRef producer,
                               uint64_t seq) {
  // The history only serves the flow arrows of traced cores: kept for nothing else, it would grow with
  // every instruction of every rank.
  if (!m_flows || !m_cores[core].traced)
    return;
  SemHistory& h = m_cores[core].sems[sem];
  if (value < (h.changes.empty() ? h.initial : h.changes.back().first)) {
    h.monotone = false;
  }
  h.changes.emplace_back(value, ExecRef{producer.stream, seq});
}

void RunRecorder::on_retire(uint32_t core_index, uint32_t stream, uint32_t index, uint64_t now_ps) {
  Core& core = m_cores[core_index];
  StreamInfo& info = core.streams[stream];
  if (m_tracing && core.traced)
    buffer_changes(core, info.buffers_last, index, now_ps, false);
  ++m_retired;
  if (m_options.progress && m_retired >= m_next_progress) {
    m_options.progress(
        std::min(0.999, double(m_retired) / double(std::max<uint64_t>(1, m_total_instructions))));
    m_next_progress = m_retired + std::max<uint64_t>(1, m_total_instructions / 100);
  }
}

void RunRecorder::add_change(CounterTimeline& counter, uint64_t time_ps, double delta) {
  counter.add(time_ps, delta);
  m_counters_due_ns = std::min(m_counters_due_ns, time_ps / 1000);
}

void RunRecorder::flush_counters(uint64_t before_ns) {
  if (!m_tracing || before_ns <= m_counters_due_ns) {
    return;  // no counter has a change before `before_ns`
  }
  m_counters_due_ns = UINT64_MAX;
  const auto flush = [&](CounterTimeline& counter, trace::TrackId track) {
    counter.flush_before(m_sink, track, before_ns);
    m_counters_due_ns = std::min(m_counters_due_ns, counter.next_ns());
  };
  for (auto& [link, counter] : m_link_counters)
    flush(counter.second, counter.first);
  for (Core& c : m_cores) {
    if (!c.traced)
      continue;
    flush(c.sbuf, c.sbuf_track);
    flush(c.psum, c.psum_track);
    flush(c.hbm_gbps, c.hbm_track);
    flush(c.dmas_in_flight, c.dma_track);
  }
}

void RunRecorder::advance(uint64_t now_ps) { flush_counters(now_ps / 1000); }

void RunRecorder::emit_slice(uint32_t core_index, uint32_t stream, uint32_t index, const InstructionTiming& t,
                             const timing::InstructionCost& cost, const std::vector<uint64_t>& flows) {
  const SliceFields f{core_index,    stream,          index,         t.start_ps,           t.end_ps,
                      t.sem_wait_ps, t.data_start_ps, t.data_end_ps, t.descriptors.end_ps, t.collective,
                      &cost};
  m_sink.deferred_slice(*this, trace::SliceRecord::of(f), flows, t.indices);
}

void RunRecorder::format_slice(trace::TraceSink& sink, const trace::SliceRecord& record,
                               std::span<const uint64_t> flows, std::string_view indices) {
  const auto f = record.as<SliceFields>();
  if (f.descriptors_on_gpsimd) {
    format_gpsimd_descriptors(sink, f);
    return;
  }
  const uint32_t core_index = f.core, stream = f.stream, index = f.index;
  const timing::InstructionCost& cost = *f.cost;
  const Core& core = m_cores[core_index];
  const isa::Stream& st = core.program->streams[stream];
  const isa::Instruction& in = st.instructions[index];
  const StreamInfo& info = core.streams[stream];
  const std::string_view name = isa::mnemonic(in.op.get());
  const bool dma = timing::is_dma_transfer(in.op.get());

  const std::string_view operands = m_operand_texts->get(in.op);
  std::vector<std::string_view>& sources = m_source_by_instruction[core_index][stream];
  if (sources.empty())
    sources.resize(st.instructions.size());
  if (sources[index].data() == nullptr) {  // first time this instruction is traced
    const std::string& file = in.loc.file;
    auto [source, fresh] = m_source_texts.try_emplace({&file, in.loc.line});
    if (fresh) {
      std::string text = file;
      if (in.loc.line) {
        char digits[16];
        char* end = std::to_chars(digits, digits + sizeof digits, in.loc.line).ptr;
        text += ':';
        text.append(digits, end);
      }
      source->second = keep_for_process(std::move(text));
    }
    sources[index] = source->second;
  }
  const std::string_view source_text = sources[index];
  // DMA queues have no clock: their "cycles" are nanoseconds, as in the profiler's DMA rows.
  const double mhz = dma ? 1000.0 : m_hw.clock_mhz(st.engine);

  std::array<trace::Arg, 24>& args = m_slice_args;
  size_t count = 0;
  const auto add = [&](std::string_view key, auto value) { args[count++] = trace::Arg{key, value}; };
  // Text that lives as long as the process (the opcode's name is the instruction table's).
  const auto add_stable = [&](std::string_view key, std::string_view text) {
    args[count++] = trace::Arg{key, text, true};
  };
  add_stable("opcode", name);
  add_stable("operands", operands);
  add("bytes", int64_t(cost.read.total() + cost.written.total()));
  // Counts that are zero are left out, as for the traffic counts below: flops only on the instructions
  // that do matmul work, sem_wait_ns only on those that waited (7 in 10 and 9 in 10 slices of attention
  // had a 0 there, 6 bytes each). FLOP counts are whole numbers (products of shapes, cost_pe.cpp), as
  // the profiler's raw_flops: int64, 6 bytes shorter than a double.
  if (cost.flops > 0) {
    add("flops", int64_t(cost.flops));
  }
  if (cost.transpose_flops > 0) {
    add("transpose_flops", int64_t(cost.transpose_flops));
  }
  // Everything so far, and the traffic counts at the end, follow from the operation (its cost is the
  // (operation, engine) pair's, timing::CostCache): the sink may reuse their encoding per operation.
  const size_t per_operation_prefix = count;
  add("start_cycle", cycle_at(f.start_ps, mhz));
  add("end_cycle", cycle_at(f.end_ps, mhz));
  if (const int64_t wait_ns = int64_t(f.sem_wait_ps / 1000); wait_ns > 0) {
    add("sem_wait_ns", wait_ns);
  }
  add_stable("source", source_text);
  add("pc", int64_t(index));
  if (dma) {
    if (st.dge != isa::DgeMode::kNone) {
      add_stable("dge", isa::dge_mode_name(st.dge));
      add("descriptors_end_ns", int64_t(f.descriptors_end_ps / 1000));
    }
    add("data_start_ns", int64_t(f.data_start_ps / 1000));
    add("data_end_ns", int64_t(f.data_end_ps / 1000));
  }
  if (!indices.empty()) {
    add("indices", indices);
  }
  if (const CollectiveRecord* cc = f.collective) {
    // The profiler's CcOp fields (peers-perfetto-profiler.md §3).
    m_group.clear();
    for (size_t i = 0; i < cc->row.size(); ++i) {
      if (i)
        m_group += ',';
      m_group += std::to_string(cc->row[i]);
    }
    add("algorithm", std::string_view(cc->algorithm));
    add("cc_bytes", int64_t(cc->message_bytes));
    add("algbw_GBps", cc->algbw_bytes_per_ns);
    add("busbw_GBps", cc->busbw_bytes_per_ns);
    add("replica_group", std::string_view(m_group));
    add("steps", int64_t(cc->steps));
  }
  const std::pair<const char*, uint64_t> bytes[] = {
      {"hbm_read", cost.read.hbm},       {"hbm_write", cost.written.hbm}, {"sbuf_read", cost.read.sbuf},
      {"sbuf_write", cost.written.sbuf}, {"psum_read", cost.read.psum},   {"psum_write", cost.written.psum}};
  const size_t before_traffic = count;
  for (const auto& [key, n] : bytes) {
    if (n > 0) {
      add(key, int64_t(n));
    }
  }
  const trace::RepeatedArgs repeats{uint64_t(in.op.id()) + 1, uint32_t(per_operation_prefix),
                                    uint32_t(count - before_traffic)};
  const trace::TrackId track =
      st.engine == isa::Engine::kPe && on_matrix_row(in.op.get()) ? info.matrix_track : info.track;
  sink.slice_with_repeats(track, name, f.start_ps / 1000, f.end_ps / 1000,
                          std::span<const trace::Arg>(args.data(), count), flows, repeats);
}

void RunRecorder::format_gpsimd_descriptors(trace::TraceSink& sink, const SliceFields& f) {
  const Core& core = m_cores[f.core];
  const isa::Stream& queue = core.program->streams[f.stream];
  const trace::Arg args[] = {
      {"opcode", isa::mnemonic(queue.instructions[f.index].op.get()), true},
      {"queue", std::string_view(queue.name), true},
      {"pc", int64_t(f.index)},
      {"start_cycle", cycle_at(f.start_ps, m_hw.pool_clock_mhz)},
      {"end_cycle", cycle_at(f.end_ps, m_hw.pool_clock_mhz)},
  };
  sink.slice(core.streams[core.gpsimd_stream].track, "swdge descriptors", f.start_ps / 1000, f.end_ps / 1000,
             args, {});
}

TimedRunResult RunRecorder::finish(uint64_t total_ps) {
  flush_counters(UINT64_MAX);
  if (m_flows && m_tracing) {
    for (uint32_t c = 0; c < m_cores.size(); ++c) {
      if (!m_cores[c].traced)
        continue;
      const isa::Program& p = *m_cores[c].program;
      for (uint32_t s = 0; s < p.streams.size(); ++s) {
        for (const Slice& slice : m_cores[c].streams[s].held) {
          // Kept until the sink has formatted the slice (deferred_slice).
          const timing::InstructionCost& cost = m_held_costs.emplace_back(
              timing::cost(p.streams[s].instructions[slice.index].op.get(), p.streams[s].engine, m_hw));
          emit_slice(c, s, slice.index, slice.timing, cost, slice.flows);
        }
      }
    }
  }
  if (m_options.progress) {
    m_options.progress(1.0);
  }
  for (size_t op = 0; op < isa::kNumOpcodes; ++op) {
    if (m_opcode_counts[op] > 0) {
      m_result.opcode_counts[std::string(m_opcode_names[op])] = m_opcode_counts[op];
      m_result.opcode_busy_ps[std::string(m_opcode_names[op])] = m_opcode_busy_ps[op];
    }
  }
  for (uint32_t c = 0; c < m_cores.size(); ++c) {
    const Core& core = m_cores[c];
    for (uint32_t r = 0; r < core.region_span.size(); ++r) {
      const auto [start, end] = core.region_span[r];
      if (start > end)
        continue;
      const std::string& name = core.program->regions[r].name;
      m_result.regions.push_back({m_result.cores[c].rank, m_result.cores[c].core, name, start, end});
      if (m_tracing && core.traced)
        m_sink.slice(core.region_track, name, start / 1000, end / 1000, {});
    }
  }
  m_result.total_ps = total_ps;
  m_sink.drain();  // deferred slices refer to this recorder
  return m_result;
}

}  // namespace tn::sc
