// A Program: what one NeuronCore runs. Per-engine instruction streams, the semaphores that order them,
// and the HBM tensors they read and write (hardware.md §1.2: engines run independent streams and
// synchronise through semaphores).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "isa/chunked_vector.hpp"
#include "isa/dge_mode.hpp"
#include "isa/operation_pool.hpp"
#include "isa/operations.hpp"
#include "isa/sem_conditions.hpp"
#include "isa/source_file.hpp"

namespace tn::isa {

// Where the kernel generator emitted an instruction: the line a validation error names.
struct SourceLocation {
  SourceFile file;
  uint32_t line = 0;
  bool operator==(const SourceLocation&) const = default;
};

struct Instruction {
  OpRef op;             // interned (isa/operation_pool.hpp): op.get() is the operation
  SemConditions waits;  // all must hold before the instruction starts
  SourceLocation loc;
  // False for instructions inside a loop whose trip count is known only at run time: they do not advance
  // their stream's completion semaphore, so completion counts outside such loops stay static and waits on
  // them can be computed when the program is built (the builder synchronises loop bodies explicitly).
  bool counts = true;
  bool operator==(const Instruction&) const = default;
};

// One in-order instruction stream: a compute engine, the Sync engine, or a DMA queue. It runs from
// instruction 0, following branches, until it passes its last instruction. Every EXECUTED instruction
// increments the stream's completion semaphore by 1 when it retires (an instruction in a loop counts once
// per execution); retirement is in execution order.
struct Stream {
  std::string name;  // e.g. "Tensor", "Scalar", "qSyncIO0"
  Engine engine = Engine::kPe;
  int32_t completion_sem = -1;
  ChunkedVector<Instruction> instructions;  // appending never moves earlier ones (isa/chunked_vector.hpp)
  // A DMA queue's descriptor generation (isa/dge_mode.hpp) and, for hardware DGE, the sequencer that
  // commands its DGE block: Sync or Scalar (hardware.md §1.8). Other streams keep the defaults.
  DgeMode dge = DgeMode::kNone;
  Engine dge_trigger = Engine::kSp;
  // When the kernel generator emitted each instruction: its place in one program-wide sequence (empty when
  // unknown, e.g. a hand-written program). The builder's semaphores make a run behave as if instructions
  // ran one at a time in this order, a runtime loop's body once per trip (its instructions, uncounted, share
  // one stretch of the sequence). The value slice (sim/func/value_slice.hpp) uses it to tell a buffer's own
  // writers from earlier and later tenants of the same address. Annotation: not in the program hash.
  std::vector<uint32_t> emission_order;
  bool operator==(const Stream&) const = default;
};

struct Semaphore {
  std::string name;
  int64_t initial = 0;
  bool operator==(const Semaphore&) const = default;
};

enum class TensorKind : uint8_t { kInput, kOutput, kInternal };

// Where an HBM tensor lives (hardware.md §1.10, kernels.md §6.6): shared HBM belongs to the rank and is
// seen by both cores of an LNC2 pair; private HBM belongs to one NeuronCore. A kernel's inputs and outputs
// are shared.
enum class TensorScope : uint8_t { kShared, kPrivate };

// An HBM tensor. A shared tensor of the same name in the programs of a rank's cores is the same memory; a
// private one is a separate tensor on every core.
struct TensorDecl {
  std::string name;
  DType dtype = DType::kFloat32;
  std::vector<int64_t> shape;
  TensorKind kind = TensorKind::kInput;
  TensorScope scope = TensorScope::kShared;
  int64_t num_elements() const;
  bool operator==(const TensorDecl&) const = default;
};

// Identifies one instruction of a program.
struct InstrRef {
  int32_t stream = -1;
  int32_t index = -1;
  bool operator==(const InstrRef&) const = default;
};

// An on-chip buffer's lifetime as the builder allocated it: live from the first instruction that touches
// it to the last one. The timing model turns these into the SBUF/PSUM occupancy counters.
struct BufferLifetime {
  std::string name;
  MemKind mem = MemKind::kSbuf;
  int64_t offset = 0;  // byte address inside each partition
  int64_t bytes_per_partition = 0;
  int32_t partitions = 0;
  InstrRef first, last;
  bool operator==(const BufferLifetime&) const = default;
};

// The ranks that take part in collectives together (nki.collectives ReplicaGroup): disjoint rows of
// global rank ids, e.g. {{0, 4}, {1, 5}, {2, 6}, {3, 7}}. A collective names a group; each rank works with
// the row that holds it.
using ReplicaGroup = std::vector<std::vector<int32_t>>;

// A named phase of the kernel (e.g. "step 3: attention_cte"), for the trace and the summary: on each stream
// the instructions [first, end) it emitted there. Annotation only: the instruction streams, and so the
// program hash, do not depend on it.
struct Region {
  std::string name;
  std::vector<std::pair<int32_t, int32_t>> ranges;  // per stream: [first, end) (empty: first == end)
  bool operator==(const Region&) const = default;
};

struct Program {
  std::string kernel;
  uint32_t core_id = 0;  // which NeuronCore of a multi-core launch this program is for
  std::vector<TensorDecl> tensors;
  std::vector<ReplicaGroup> replica_groups;  // indexed by the collectives' `group` fields
  std::vector<Semaphore> semaphores;
  std::vector<Stream> streams;
  std::vector<BufferLifetime> buffers;
  std::vector<Region> regions;  // in the order the kernel opened them
  bool operator==(const Program&) const = default;

  size_t num_instructions() const;
  int32_t find_tensor(std::string_view name) const;  // -1 if absent
  // The first stream of `engine` (e.g. the GpSimd engine's, which software DGE shares), or -1 if none.
  int32_t find_engine_stream(Engine engine) const;
};

std::string_view tensor_kind_name(TensorKind k);
std::string_view tensor_scope_name(TensorScope s);

}  // namespace tn::isa
