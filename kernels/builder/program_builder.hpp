// The API kernels are written against, at the level of NKI's nisa.* tile operations. It allocates SBUF
// and PSUM, puts each operation on its engine's stream, and inserts the semaphore waits that the
// operations' reads and writes require: kernel code never writes synchronisation by hand. Each call
// records the kernel source line that made it, for validation and run-time errors and the trace.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <source_location>
#include <span>
#include <string>
#include <vector>

#include "isa/program.hpp"
#include "isa/validator.hpp"
#include "kernels/builder/dependency_tracker.hpp"
#include "kernels/builder/tracking_worker.hpp"

namespace tn::kernels {

using isa::AccessPattern;
using isa::ApDim;
using Loc = std::source_location;

// An allocated on-chip buffer: `ap` covers all of it, [partitions, free dims...].
struct Buffer {
  AccessPattern ap;
  int32_t id = -1;  // index into Program::buffers
};

// Thrown when a kernel asks for more SBUF/PSUM than exists; names the kernel line.
class AllocationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A builder that has appended this many instructions tracks the rest on a second core (TrackingWorker),
// if there is one: small programs (most tests) never start a thread. Negative: never. Process-wide, for
// tests and benchmarks that compare the two ways of building (the programs are equal).
inline constexpr int64_t kDefaultTrackingWorkerThreshold = 4096;
void set_tracking_worker_threshold(int64_t instructions);

class ProgramBuilder {
 public:
  ProgramBuilder(std::string kernel, const isa::MemoryLimits& limits, uint32_t core_id = 0);
  ~ProgramBuilder();
  ProgramBuilder(const ProgramBuilder&) = delete;  // the tracking worker holds on to `this`
  ProgramBuilder& operator=(const ProgramBuilder&) = delete;

  // The hardware the program is built for (SBUF/PSUM geometry, PE limits, NeuronCore generation).
  const isa::MemoryLimits& limits() const { return m_limits; }

  // ---- HBM tensors and DMA queues -------------------------------------------------------------------
  int32_t hbm_tensor(const std::string& name, DType dtype, std::vector<int64_t> shape, isa::TensorKind kind,
                     isa::TensorScope scope = isa::TensorScope::kShared);
  // Returns the stream index of the named DMA queue, creating it on first use with descriptor generation
  // `dge` (isa/dge_mode.hpp) and, for hwdge, the sequencer `trigger` (Sync or Scalar) that commands it. A
  // queue keeps its mode: naming it again with another is a logic error.
  int32_t dma_queue(const std::string& name, isa::DgeMode dge = isa::DgeMode::kNone,
                    isa::Engine trigger = isa::Engine::kSp);

  // ---- on-chip allocation (a stack: mark/release frees everything allocated after the mark) ----------
  Buffer sbuf(const std::string& name, DType dtype, int32_t partitions, std::vector<int64_t> free_shape,
              int64_t align_bytes = 4, Loc loc = Loc::current());
  // PSUM buffers live in 2 KiB banks: a buffer never crosses a bank (hardware.md §1.7).
  Buffer psum(const std::string& name, DType dtype, int32_t partitions, std::vector<int64_t> free_shape,
              Loc loc = Loc::current());
  // A buffer at a fixed PSUM bank, as the real kernel pins its accumulators (kernels.md §1.5).
  Buffer psum_at_bank(const std::string& name, int32_t bank, DType dtype, int32_t partitions,
                      std::vector<int64_t> free_shape, Loc loc = Loc::current());
  struct Mark {
    int64_t sbuf_top, psum_top;
  };
  Mark mark() const { return {m_sbuf_top, m_psum_top}; }
  void release(const Mark& m) {
    m_sbuf_top = m.sbuf_top;
    m_psum_top = m.psum_top;
  }
  int64_t sbuf_high_water() const { return m_sbuf_high; }

  // ---- PE -------------------------------------------------------------------------------------------
  // nc_matmul: dst[M, N] (+)= stationary[K, M]^T @ moving[K, N], as load_stationary + multiply_moving.
  void matmul(const AccessPattern& dst, const AccessPattern& stationary, const AccessPattern& moving,
              bool accumulate, Loc loc = Loc::current());
  void pe_transpose(const AccessPattern& dst, const AccessPattern& src, Loc loc = Loc::current());

  // ---- ACT ------------------------------------------------------------------------------------------
  void activation(const AccessPattern& dst, const AccessPattern& src, isa::ActFunc func,
                  isa::ScalarOperand scale = isa::imm(1.0f), isa::OptionalAp bias = {},
                  isa::OptionalAp accumulate = {}, Loc loc = Loc::current());

  // ---- DVE (some may run on POOL/ACT via `engine`) ----------------------------------------------------
  void tensor_tensor(const AccessPattern& dst, const AccessPattern& a, const AccessPattern& b, isa::AluOp op,
                     isa::Engine engine = isa::Engine::kDve, Loc loc = Loc::current());
  void tensor_scalar(const AccessPattern& dst, const AccessPattern& src, isa::AluOp op0,
                     isa::ScalarOperand s0, isa::AluOp op1 = isa::AluOp::kBypass,
                     isa::ScalarOperand s1 = isa::imm(0.0f), bool reverse0 = false, bool reverse1 = false,
                     isa::Engine engine = isa::Engine::kDve, Loc loc = Loc::current());
  void scalar_tensor_tensor(const AccessPattern& dst, const AccessPattern& src, isa::AluOp op0,
                            isa::ScalarOperand s0, isa::AluOp op1, const AccessPattern& tensor,
                            Loc loc = Loc::current());
  void tensor_reduce(const AccessPattern& dst, const AccessPattern& src, isa::AluOp op, bool negate = false,
                     int32_t axes = -1, Loc loc = Loc::current());
  void tensor_copy(const AccessPattern& dst, const AccessPattern& src, isa::Engine engine = isa::Engine::kDve,
                   Loc loc = Loc::current());
  void memset(const AccessPattern& dst, float value, isa::Engine engine = isa::Engine::kDve,
              Loc loc = Loc::current());
  void reciprocal(const AccessPattern& dst, const AccessPattern& src, Loc loc = Loc::current());
  void stream_shuffle(const AccessPattern& dst, const AccessPattern& src, const isa::ShuffleMask& mask,
                      Loc loc = Loc::current());
  // stream_shuffle_broadcast (nkilib core/utils, kernels.md §1.6): partition 0 of `tile` ([P, F]) into
  // every partition, one all-zero-mask shuffle per 32-partition chunk reading the first chunk.
  void stream_shuffle_broadcast(const AccessPattern& tile, Loc loc = Loc::current());
  void range_select(const AccessPattern& dst, const AccessPattern& src, isa::CmpOp cmp0,
                    const AccessPattern& bound0, isa::CmpOp cmp1, const AccessPattern& bound1,
                    float range_start, float fill, isa::OptionalAp reduce_res, Loc loc = Loc::current());
  void tensor_scalar_reduce(const AccessPattern& dst, const AccessPattern& src, isa::AluOp op0,
                            isa::ScalarOperand s0, isa::AluOp reduce_op, const AccessPattern& reduce_res,
                            Loc loc = Loc::current());

  // ---- POOL -----------------------------------------------------------------------------------------
  void iota(const AccessPattern& dst, int64_t base, int64_t channel_multiplier, isa::Steps steps,
            Loc loc = Loc::current());
  void affine_select(const AccessPattern& dst, const AccessPattern& src, int64_t base,
                     int64_t channel_multiplier, isa::Steps steps, isa::CmpOp cmp, float fill,
                     Loc loc = Loc::current());

  // ---- DMA ------------------------------------------------------------------------------------------
  void dma_copy(int32_t queue, const AccessPattern& dst, const AccessPattern& src, Loc loc = Loc::current());
  void dma_transpose(int32_t queue, const AccessPattern& dst, const AccessPattern& src,
                     Loc loc = Loc::current());
  // Indirect DMA (isa/instructions.def DmaGather): rows of `src` addressed by the runtime `index`
  // (column or [1,1] scalar in SBUF); rows whose index is >= bound are skipped. Its source counts as a
  // read of the whole HBM tensor, since the rows it reads are only known at run time.
  void dma_gather(int32_t queue, const AccessPattern& dst, const AccessPattern& src,
                  const AccessPattern& index, int64_t index_scale, int64_t bound, Loc loc = Loc::current());

  // ---- collectives (kernels.md §6.7, collectives.md §2) ------------------------------------------------
  // The stream of CC-core `index` ("cc0", "cc1": collectives.md §1 gives 2 per NeuronCore), created on
  // first use. A collective occupies its CC-core until it completes, so two can be in flight.
  int32_t cc_core(int32_t index);
  // The index of replica group `g` in the program (an equal group is shared).
  int32_t replica_group(const isa::ReplicaGroup& g);
  // Collectives take internal HBM tensors only (kernels.md §4.2: kernels copy their I/O first).
  void all_gather(int32_t cc, const AccessPattern& dst, const AccessPattern& src, int32_t group,
                  Loc loc = Loc::current());
  void all_to_all(int32_t cc, const AccessPattern& dst, const AccessPattern& src, int32_t group,
                  Loc loc = Loc::current());
  // A compute engine only triggers a collective, at its place in the program (collectives.md §1); a CC-core
  // runs it once the data is ready. `after` are the instructions whose completion is that trigger (e.g.
  // region_end of the sub-kernel the program issues it after); none: as soon as the data is ready.
  void collective_permute(int32_t cc, const AccessPattern& dst, const AccessPattern& src, int32_t group,
                          int32_t channel = 0, const std::vector<isa::InstrRef>& after = {},
                          Loc loc = Loc::current());
  // nisa.core_barrier on `engine`: the rank's cores meet (numbered in emission order). Everything the
  // engine's stream emitted before it retires first, and what it emits after starts after the barrier.
  // `data` is the shared tensor it orders (nisa.core_barrier's tensor): the barrier waits for this core's
  // earlier accesses to it, and this core's later accesses wait for the barrier, as if it wrote `data`.
  void core_barrier(const AccessPattern& data, isa::Engine engine = isa::Engine::kPool,
                    Loc loc = Loc::current());

  // ---- rank registers (kernels.md §6.6-§6.7) -----------------------------------------------------------
  // Registers belong to the kernel: each stream has 64 (register 63 counts runtime loops). These write
  // register `reg` of `stream`, whose later instructions (in order) may use it.
  void rank_id(int32_t stream, int32_t reg, Loc loc = Loc::current());
  // current_processing_rank_id(iteration) over replica group `group`: (own position - iteration) mod N.
  void processing_rank_id(int32_t stream, int32_t reg, int32_t group, int32_t iteration,
                          Loc loc = Loc::current());
  // dma_copy with register `reg` of `queue` (times `scale` elements) added to the HBM offset of src (or of
  // dst, with on_dst): its dependencies cover the whole tensor on that side.
  void dma_copy_reg_offset(int32_t queue, const AccessPattern& dst, const AccessPattern& src, int32_t reg,
                           int64_t scale, bool on_dst, Loc loc = Loc::current());

  // ---- runtime loops ---------------------------------------------------------------------------------
  // Emits `body` as a loop that runs N times, N read when the program runs from `trip_count` (an SBUF
  // [1,1] int32) and checked to lie in [0, max_trips] (reg_check stops the run otherwise). Every stream
  // the body uses runs its own copy of the loop (reg_load, reg_check, branch ... back-branch). The body's
  // instructions do not advance completion semaphores (Instruction::counts), so waits outside loops stay
  // static; inside, each cross-stream dependency gets its own semaphore, signalled after the producer and
  // consumed by the consumer's wait, with an initial count of 1 for dependencies carried from one
  // iteration to the next (found by replaying the body's accesses). Waits on producers before the loop
  // are hoisted to each stream's loop entry; consumers after the loop wait for that stream's loop exit.
  // The same program therefore serves every trip count, including 0. Loops do not nest.
  void dynamic_loop(const AccessPattern& trip_count, int64_t max_trips, const std::function<void()>& body,
                    Loc loc = Loc::current());

  // ---- regions (isa::Region): named phases for the trace and the summary ---------------------------------
  // Everything emitted between begin_region and its end_region belongs to the region; regions may nest or
  // overlap. Not inside runtime loops.
  int32_t begin_region(const std::string& name, Loc loc = Loc::current());
  void end_region(int32_t region);
  // The last instruction of each stream that emitted into a closed region.
  std::vector<isa::InstrRef> region_end(int32_t region) const;

  // Appends an operation to the stream of `engine` (or a DMA queue index), with dependencies derived from
  // its operands. Public so that tests and new kernels can emit any table row.
  void emit(int32_t stream, isa::Operation op, const Loc& loc);
  int32_t engine_stream(isa::Engine engine) const { return static_cast<int32_t>(engine); }

  // Finishes the program (the builder must not be used afterwards).
  isa::Program finish();

 private:
  struct LoopItem {
    int32_t stream;
    isa::Operation op;
    isa::SourceLocation loc;
  };
  // Appends a counted instruction; `extra` are dependencies besides those of its operands.
  // `extra_accesses` are memory it is ordered with besides its operands (core_barrier's tensor).
  // Returns its index in the stream; it may be tracked later, on the tracking worker.
  int32_t append(int32_t stream, const isa::Operation& op, isa::SourceLocation loc,
                 const std::vector<isa::InstrRef>& extra = {},
                 const std::vector<Access>& extra_accesses = {});
  // append's tracking half: the dependencies of an instruction doing `accesses`, its waits, and the
  // instruction itself at the end of its stream.
  void track(int32_t stream, const isa::OpRef& op, const isa::SourceLocation& loc,
             std::span<const Access> accesses, std::span<const isa::InstrRef> extra);
  // Waits for the tracking worker to track everything appended so far (the streams, the tracker and the
  // semaphore counts are then this thread's to read and change).
  void drain_tracking();
  // The stream named `name` of `engine`, created with its completion semaphore on first use.
  int32_t named_stream(const std::string& name, isa::Engine engine);
  void add_waits(int32_t stream, isa::Instruction& in, const std::vector<isa::InstrRef>& deps);

  Buffer allocate(isa::MemKind mem, const std::string& name, DType dtype, int32_t partitions,
                  const std::vector<int64_t>& free_shape, int64_t addr, const Loc& loc);
  // Extends the lifetime of every on-chip buffer the accesses overlap to `at`.
  void touch_buffers(std::span<const Access> accesses, isa::InstrRef at);
  void check_shape(const std::string& name, int32_t partitions, const std::vector<int64_t>& free_shape,
                   const Loc& loc) const;

  isa::Program m_program;
  isa::MemoryLimits m_limits;
  DependencyTracker m_deps;
  std::vector<std::vector<int64_t>> m_waited;  // [stream][other stream] = highest completion count waited for
  int64_t m_sbuf_top = 0, m_psum_top = 0, m_sbuf_high = 0;
  // Live allocations (start address, buffer) sorted by address per memory, to attribute instructions to
  // buffer lifetimes: a flat vector, searched at every operand (a std::map missed the cache there).
  std::vector<std::pair<int64_t, int32_t>> m_live[2];
  // touch_buffers()'s place in m_live per (stream, memory, operand): where that operand was last time.
  std::vector<size_t> m_live_hints;
  std::vector<isa::InstrRef> m_dep_scratch;
  std::vector<Access> m_access_scratch;     // append()'s: the instruction's accesses
  std::vector<int64_t> m_need_scratch;      // add_waits()'s: per stream, the count needed (0 between calls)
  std::vector<int32_t> m_producer_scratch;  // add_waits()'s: the streams it needs counts of
  // Per stream and instruction: the completion-semaphore value once it has retired.
  std::vector<std::vector<int64_t>> m_count_after;
  std::vector<int64_t> m_counted;
  uint32_t m_emitted = 0;  // instructions emitted so far: the next one's Stream::emission_order
  // Per stream: the instructions appended so far, tracked or not (the next one's index).
  std::vector<int32_t> m_appended;
  int64_t m_tracked_here = 0;  // instructions tracked on this thread before the worker started
  bool m_track_here = false;   // a runtime loop is laid out: track on this thread
  // Runtime loops: the body being recorded, and where each recorded instruction's stream leaves its loop.
  std::vector<LoopItem>* m_loop = nullptr;
  int32_t m_next_provisional = 0;
  std::map<std::pair<int32_t, int32_t>, isa::InstrRef> m_loop_exit;
  int32_t m_barriers = 0;
  // Last, so that it stops before anything it tracks into is destroyed.
  std::unique_ptr<TrackingWorker> m_worker;
};

// A row-major [partitions, free...] pattern over part of a buffer, e.g. columns [c0, c0+n) of a
// [P, F] tile: `columns(buf.ap, c0, n)`.
AccessPattern columns(const AccessPattern& ap, int64_t first, int64_t count);
AccessPattern partitions(const AccessPattern& ap, int32_t first, int32_t count);
// View with new free dims (element strides) starting at element `elem_offset` of the buffer.
AccessPattern reshape(const AccessPattern& ap, int64_t elem_offset, std::initializer_list<ApDim> dims);
AccessPattern with_dtype(const AccessPattern& ap, DType dtype);
// The HBM view [rows, cols] of a tensor: rows row0.. of `row_stride` elements from element `base`, columns
// col0 .. col0 + cols of each.
AccessPattern hbm_rows(int32_t tensor, DType dt, int64_t base, int64_t row_stride, int64_t row0, int64_t rows,
                       int64_t col0, int64_t cols);
// One HBM element read by `partitions` partitions (a zero partition stride): how runtime scalars reach every
// lane. The DMA converts the value to the destination's dtype on the way.
AccessPattern hbm_broadcast(int32_t tensor, DType dt, int64_t element, int32_t partitions = 128);

}  // namespace tn::kernels
