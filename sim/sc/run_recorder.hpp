// Everything a timed run reports, kept apart from SystemC: summary statistics, the Perfetto timeline
// (tracks, instruction slices with the profiler's fields, counters, semaphore flows). The SystemC layer
// tells it when instructions start and retire; it never sees an event or a wait.
//
// Trace layout per core (peers-perfetto-profiler.md §3): process "NC<i>" (with several ranks "rank <r> NC<c>
// (chip <k>)"); slice tracks "Tensor" (load_stationary), "TensorMatrix" (multiply_moving, pe_transpose),
// "Vector", "Scalar", "GpSimd", "Sync" for the engines that have a stream, then one track per DMA queue and
// one per CC-core (their stream names); then the counters "SBUF used (bytes/partition)", "PSUM used
// (bytes/partition)", "HBM bandwidth (GB/s)" and "DMAs in flight". Collectives carry the profiler's CcOp
// fields (algorithm, bytes, algbw, busbw, replica group). A process "Fabric" holds one bandwidth counter
// per link that carried bytes.
#pragma once
#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/sc/counter_timeline.hpp"
#include "sim/sc/exposure_meter.hpp"
#include "sim/sc/timed_run.hpp"
#include "sim/timing/cost_model.hpp"

namespace tn::sc {

// When one instruction ran, in picoseconds.
struct InstructionTiming {
  uint64_t start_ps = 0;              // it began (a DMA: its issue)
  uint64_t end_ps = 0;                // it finished (a DMA: completed, no earlier than issue + fixed cost)
  uint64_t sem_wait_ps = 0;           // time it waited for its semaphores before starting
  timing::TimeInterval descriptors;   // DMA only: its descriptors were built (hwdge, swdge; else empty)
  uint64_t data_start_ps = 0;         // DMA only: its first byte moved
  uint64_t data_end_ps = 0;           // DMA only: its last byte moved
  std::string indices;                // dma_gather with numerics: the index values it read ("7,3,-1")
  std::optional<int32_t> loop_trips;  // a reg_load entering a runtime loop, with numerics: its trip count
  const CollectiveRecord* collective = nullptr;  // a collective: how the whole collective ran
};

// One core of one rank, as the recorder reports it.
struct RecordedCore {
  const isa::Program* program = nullptr;
  uint32_t rank = 0, core = 0, chip = 0;
  uint32_t physical = 0;  // the physical NeuronCore of the system (its HBM stack follows)
  bool traced = true;     // false: statistics only, no trace tracks or slices
};

class RunRecorder final : private trace::SliceFormatter {
 public:
  // `multi_rank` names processes by rank, core and chip.
  RunRecorder(const std::vector<RecordedCore>& cores, bool multi_rank, const timing::HwConfig& hw,
              trace::TraceSink& sink, const TimedRunOptions& options);

  // Instruction `index` of `stream` on `core` started; `cost` is its cost on the stream's engine, `opcode`
  // its operation's index in the instruction table and `dma` whether the DMA model timed it (what the caller
  // already decoded, so the operation is not read again). Called in execution order per stream (an index
  // may repeat: loops), while the semaphores still hold the values that let it start (after any consuming
  // wait took its count).
  void on_start(uint32_t core, uint32_t stream, uint32_t index, const InstructionTiming& t,
                const timing::InstructionCost& cost, size_t opcode, bool dma);
  // Semaphore `sem` of `core` now holds `value` because `producer` retired (or, a decrease, started with
  // a consuming wait); `seq` is that execution's number in its stream (needed for flows only).
  void on_semaphore(uint32_t core, int32_t sem, int64_t value, isa::InstrRef producer, uint64_t seq);
  // The instruction retired at `now_ps`. Called in execution order per stream.
  void on_retire(uint32_t core, uint32_t stream, uint32_t index, uint64_t now_ps);
  // Collective `id` started at now_ps on the ranks of `row` (its members have all arrived).
  void on_collective_start(uint64_t id, const std::vector<int32_t>& row, uint64_t now_ps);
  // Collective `id` completed its timing at now_ps (once, for all its members): the recorder fills in its
  // exposed time per member; the reference stays valid.
  const CollectiveRecord& on_collective(uint64_t id, CollectiveRecord record, uint64_t now_ps);
  // Link `name` carried `bytes` over `interval` (for its bandwidth counter).
  void on_link(uint32_t link, const std::string& name, timing::TimeInterval interval, uint64_t bytes);
  void set_links(std::vector<LinkStats> links) { m_result.links = std::move(links); }
  // Simulated time reached `now_ps`: counter samples before it are final.
  void advance(uint64_t now_ps);
  // Writes what was held back and returns the statistics. `total_ps` is the last retirement.
  TimedRunResult finish(uint64_t total_ps);
  ~RunRecorder();

  bool tracks_semaphores() const { return m_flows; }

 private:
  struct Slice {
    uint32_t index = 0;
    InstructionTiming timing;
    std::vector<uint64_t> flows;
  };
  // One execution of an instruction: its stream and its sequence number there.
  struct ExecRef {
    int32_t stream = 0;
    uint64_t seq = 0;
    bool operator==(const ExecRef&) const = default;
  };
  // An instruction that opens or closes a region on its stream (the first or last of the region's range).
  struct RegionMark {
    uint32_t index = 0;
    uint32_t region = 0;
    bool first = false;
    bool operator<(const RegionMark& o) const { return index < o.index; }
  };
  // (instruction, buffer) pairs sorted by instruction, looked up in the order a stream runs: a cursor
  // keeps where the last lookup ended, so a lookup is a comparison or two rather than a binary search
  // (a loop that goes back searches once).
  struct BufferEvents {
    std::vector<std::pair<uint32_t, uint32_t>> list;
    size_t cursor = 0;
    // The entries of instruction `index`, as [first, last) into `list`.
    std::pair<size_t, size_t> of(uint32_t index);
  };
  struct StreamInfo {
    trace::TrackId track = 0;              // its engine's track (PE: "Tensor") or its own DMA queue track
    std::vector<RegionMark> region_marks;  // by instruction index
    size_t next_mark = 0;  // the first mark past the last instruction looked up (streams run in order)
    trace::TrackId matrix_track = 0;  // PE only: "TensorMatrix"
    uint64_t covered_until_ps = 0;    // busy time is the union of instruction intervals
    BufferEvents buffers_first;       // the buffers whose first use is an instruction of this stream
    BufferEvents buffers_last;
    std::vector<Slice> held;  // trace_flows: slices in execution order, written at finish()
  };
  struct SemHistory {
    int64_t initial = 0;
    bool monotone = true;
    std::vector<std::pair<int64_t, ExecRef>> changes;  // value after the change, who retired
  };
  struct Core {
    const isa::Program* program = nullptr;
    bool traced = true;
    std::vector<StreamInfo> streams;
    std::vector<SemHistory> sems;
    std::vector<uint8_t> buffer_live;  // per buffer: between an execution of its first and of its last
    std::vector<std::pair<uint64_t, uint64_t>>
        region_span;  // per region: [start, end], start > end if unseen
    trace::TrackId region_track = 0;
    uint32_t gpsimd_stream = UINT32_MAX;  // the GpSimd engine's stream: software DGE runs there too
    CounterTimeline sbuf, psum, hbm_gbps, dmas_in_flight;
    trace::TrackId sbuf_track = 0, psum_track = 0, hbm_track = 0, dma_track = 0;
  };

  void create_tracks(uint32_t core_index, Core& core, const std::string& process_name);
  void index_buffers(Core& core);
  void index_regions(Core& core);
  void region_marks(Core& core, uint32_t stream, uint32_t index, const InstructionTiming& t);
  // A change to a trace counter; flush_counters() does nothing until the earliest change is due.
  void add_change(CounterTimeline& counter, uint64_t time_ps, double delta);
  void buffer_changes(Core& core, BufferEvents& events, uint32_t index, uint64_t time_ps, bool live);
  std::optional<ExecRef> producer_of(const Core& core, const isa::SemCondition& c) const;
  // Reports an instruction's slice: its fields go to the sink as a record, and format_slice() turns
  // them into the slice's track, name and args, on the sink's thread if it has one (BackgroundTraceSink),
  // so building a dozen annotations per slice leaves the simulation's thread.
  void emit_slice(uint32_t core, uint32_t stream, uint32_t index, const InstructionTiming& t,
                  const timing::InstructionCost& cost, const std::vector<uint64_t>& flows);
  struct SliceFields {
    uint32_t core = 0, stream = 0, index = 0;
    uint64_t start_ps = 0, end_ps = 0, sem_wait_ps = 0, data_start_ps = 0, data_end_ps = 0;
    uint64_t descriptors_end_ps = 0;
    const CollectiveRecord* collective = nullptr;   // m_collective_records: stable
    const timing::InstructionCost* cost = nullptr;  // the cost cache's or m_held_costs: stable
    // True: the GpSimd row's slice for DMA `index` of queue `stream`, whose descriptors GpSimd built over
    // [start, end] (software DGE); only the fields above it are set.
    bool descriptors_on_gpsimd = false;
  };
  void format_gpsimd_descriptors(trace::TraceSink& sink, const SliceFields& f);
  void cover(StreamStats& stats, StreamInfo& info, uint64_t start_ps, uint64_t end_ps);
  void on_gpsimd_descriptors(uint32_t core, uint32_t queue, uint32_t index, const InstructionTiming& t);
  // Touches only what stays unchanged during the run (programs, tracks, hardware, the records the fields
  // point at) and the state below that only it uses (operand and source texts, the args array).
  void format_slice(trace::TraceSink& sink, const trace::SliceRecord& record, std::span<const uint64_t> flows,
                    std::string_view indices) override;
  void flush_counters(uint64_t before_ns);
  void count_loop(uint32_t core, uint32_t stream, const isa::SourceLocation& loc, int32_t trips);

  const timing::HwConfig& m_hw;
  trace::TraceSink& m_sink;
  TimedRunOptions m_options;
  bool m_tracing;  // false for a sink that keeps nothing: skip formatting slices nobody reads
  bool m_flows;
  std::vector<Core> m_cores;
  std::deque<CollectiveRecord> m_collective_records;  // stable references for InstructionTiming
  trace::TrackId m_fabric_process = 0;
  std::map<uint32_t, std::pair<trace::TrackId, CounterTimeline>> m_link_counters;
  // Loops by (core, source line): the stream that counts them and their index in m_result.loops.
  std::map<std::pair<uint32_t, std::string>, std::pair<uint32_t, size_t>> m_loop_index;
  TimedRunResult m_result;  // opcode_counts is filled from the two arrays below at finish()
  std::vector<uint64_t> m_opcode_counts = std::vector<uint64_t>(isa::kNumOpcodes, 0);
  std::vector<uint64_t> m_opcode_busy_ps = std::vector<uint64_t>(isa::kNumOpcodes, 0);
  std::vector<std::string_view> m_opcode_names = std::vector<std::string_view>(isa::kNumOpcodes);
  ExposureMeter m_exposure;
  // format_slice()'s state (used on the sink's thread only), so that a slice allocates nothing: the operand
  // text of every distinct operation seen (disassembling was most of a slice's cost).
  class OperandTexts;
  std::unique_ptr<OperandTexts> m_operand_texts;
  // "file:line" per interned file and line, kept for the process (a stable trace value, run_recorder.cpp).
  std::map<std::pair<const std::string*, uint32_t>, std::string_view> m_source_texts;
  // The same per [core][stream][instruction], filled as instructions are first traced (a map lookup per
  // slice was a visible share of formatting).
  std::vector<std::vector<std::vector<std::string_view>>> m_source_by_instruction;
  std::string m_group;
  // A slice's args, filled in place (at most 10 fields, 6 collective ones and 6 traffic counts): a member,
  // so a slice does not construct 24 of them first.
  std::array<trace::Arg, 24> m_slice_args;
  std::deque<timing::InstructionCost> m_held_costs;  // trace_flows: the costs of the slices held to the end
  uint64_t m_counters_due_ns = 0;                    // no counter has a pending change before this nanosecond
  uint64_t m_flow_ids = 0;
  uint64_t m_total_instructions = 0, m_retired = 0, m_next_progress = 0;
};

}  // namespace tn::sc
