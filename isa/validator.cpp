#include "isa/validator.hpp"

#include <set>
#include <sstream>

#include "isa/operands.hpp"
#include "isa/transpose_shape.hpp"

namespace tn::isa {

std::string describe_instruction(const Program& p, size_t stream, size_t index) {
  const Stream& s = p.streams[stream];
  const Instruction& in = s.instructions[index];
  std::string out = s.name + "[" + std::to_string(index) + "] " + std::string(mnemonic(in.op.get()));
  if (in.loc.line)
    out += " (" + in.loc.file + ":" + std::to_string(in.loc.line) + ")";
  return out;
}

ValidationError::ValidationError(std::vector<ValidationIssue> issues)
    : std::runtime_error([&] {
        std::string msg = "program failed validation with " + std::to_string(issues.size()) + " issue(s):";
        for (size_t i = 0; i < issues.size() && i < 20; ++i)
          msg += "\n  " + issues[i].to_string();
        if (issues.size() > 20)
          msg += "\n  ...";
        return msg;
      }()),
      m_issues(std::move(issues)) {}

namespace {

class Checker {
 public:
  Checker(const Program& p, const MemoryLimits& l) : m_program(p), m_limits(l) {}

  std::vector<ValidationIssue> run() {
    check_replica_groups();
    check_regions();
    for (const TensorDecl& t : m_program.tensors) {
      // hardware.md §1.10: a kernel's inputs and outputs live in shared HBM.
      if (t.scope == TensorScope::kPrivate && t.kind != TensorKind::kInternal)
        m_issues.push_back({"tensor '" + t.name + "'", "a kernel input or output cannot be in private HBM"});
    }
    for (size_t s = 0; s < m_program.streams.size(); ++s) {
      const Stream& st = m_program.streams[s];
      if (st.completion_sem < 0 || st.completion_sem >= int(m_program.semaphores.size())) {
        m_issues.push_back({st.name, "completion semaphore id out of range"});
      }
      if (!st.emission_order.empty() && st.emission_order.size() != st.instructions.size()) {
        m_issues.push_back({st.name, "emission_order has " + std::to_string(st.emission_order.size()) +
                                         " entries for " + std::to_string(st.instructions.size()) +
                                         " instructions"});
      }
      check_dge(st);
      m_last_stationary = nullptr;
      m_stream_length = st.instructions.size();
      for (size_t i = 0; i < st.instructions.size(); ++i) {
        m_stream = s;
        m_index = i;
        check(st, st.instructions[i]);
      }
    }
    return std::move(m_issues);
  }

 private:
  // Rows of one size (the collectives' shapes depend on it), each rank at most once per group.
  void check_replica_groups() {
    for (size_t g = 0; g < m_program.replica_groups.size(); ++g) {
      const ReplicaGroup& group = m_program.replica_groups[g];
      const std::string where = "replica group " + std::to_string(g);
      std::set<int32_t> seen;
      for (const auto& row : group) {
        if (row.empty() || row.size() != group[0].size())
          m_issues.push_back({where, "rows must be non-empty and of one size"});
        for (int32_t r : row) {
          if (r < 0)
            m_issues.push_back({where, "rank " + std::to_string(r) + " is negative"});
          else if (!seen.insert(r).second)
            m_issues.push_back({where, "rank " + std::to_string(r) + " appears twice"});
        }
      }
    }
  }

  // Each region names instruction ranges of the program's streams.
  void check_regions() {
    for (const Region& r : m_program.regions) {
      const std::string where = "region '" + r.name + "'";
      if (r.ranges.size() > m_program.streams.size())
        m_issues.push_back({where, "has ranges for more streams than the program has"});
      for (size_t s = 0; s < r.ranges.size() && s < m_program.streams.size(); ++s) {
        const auto [first, end] = r.ranges[s];
        if (first < 0 || end < first || size_t(end) > m_program.streams[s].instructions.size())
          m_issues.push_back({where, "range [" + std::to_string(first) + ", " + std::to_string(end) +
                                         ") is outside stream " + m_program.streams[s].name});
      }
    }
  }

  // A queue's DGE mode (isa/dge_mode.hpp; hardware.md §1.8 [S16]).
  void check_dge(const Stream& st) {
    if (st.dge == DgeMode::kNone)
      return;
    if (st.engine != Engine::kDma) {
      m_issues.push_back({st.name, "only a DMA queue has a DGE mode"});
      return;
    }
    if (st.dge == DgeMode::kHardware) {
      if (m_limits.neuron_core_version < 3)
        m_issues.push_back({st.name, "hwdge needs NeuronCore-v3 or later (this hardware is v" +
                                         std::to_string(m_limits.neuron_core_version) +
                                         ", without DGE blocks; hardware.md §1.8)"});
      if (st.dge_trigger != Engine::kSp && st.dge_trigger != Engine::kAct)
        m_issues.push_back({st.name, "a hwdge queue is commanded by the Sync or the Scalar sequencer, not " +
                                         std::string(engine_name(st.dge_trigger)) + " (hardware.md §1.8)"});
    } else if (m_program.find_engine_stream(Engine::kPool) < 0) {
      m_issues.push_back({st.name,
                          "a swdge queue needs the program's GpSimd stream: software DGE builds the "
                          "descriptors on GpSimd (hardware.md §1.8)"});
    }
  }
  DgeMode queue_dge() const { return m_program.streams[m_stream].dge; }
  // Only a DGE computes an address at run time (NKI dma_copy: "when either sw_dge or hw_dge mode is used,
  // src and dst can have a dynamic start address").
  void expect_dynamic_address(const char* what) {
    expect(queue_dge() != DgeMode::kNone, [&] {
      return std::string(what) +
             " computes its address at run time: its queue needs a DGE mode (swdge or hwdge), not none, "
             "whose descriptors are built before the run (hardware.md §1.8)";
    });
  }
  // Hardware DGE moves bytes as they are (NKI 0.3.0 rejects a converting hwdge dma_copy).
  void expect_no_hwdge_cast(const AccessPattern& dst, const AccessPattern& src) {
    expect(
        queue_dge() != DgeMode::kHardware || dst.dtype == src.dtype,
        "a hwdge queue moves bytes without converting dtypes: cast on a swdge or none queue, or view src as "
        "dst's dtype");
  }

  void issue(const std::string& msg) {
    m_issues.push_back({describe_instruction(m_program, m_stream, m_index), msg});
  }

  void check(const Stream& st, const Instruction& in) {
    if (!(engines_of(in.op.get()) & mask_of(st.engine))) {
      issue("cannot run on the " + std::string(engine_name(st.engine)) + " engine");
    }
    for (size_t k = 0; k < in.waits.size(); ++k) {
      const SemCondition& w = in.waits[k];
      check_sem(w.sem, "wait");
      if (w.consume < 0)
        issue("wait on semaphore " + std::to_string(w.sem) + " has a negative consume");
      for (size_t o = 0; o < k; ++o) {
        if (in.waits[o].sem == w.sem && (w.consume > 0 || in.waits[o].consume > 0))
          issue("a consuming wait on semaphore " + std::to_string(w.sem) +
                " cannot be combined with another wait on it in one instruction");
      }
    }
    // The rest depends only on the operation, the stream (its engine and length) and the program, except
    // for the PE's load_stationary/multiply_moving pairing: what passed once in this stream passes again
    // (operations are interned, and a kernel repeats a few thousand over its instructions). The pairing
    // check runs every time; the rest runs once per operation and stream.
    const Operation& op = in.op.get();
    const bool stateful =
        std::holds_alternative<LoadStationary>(op) || std::holds_alternative<MultiplyMoving>(op);
    const uint32_t stamp = uint32_t(m_stream) + 1;
    const bool passed = in.op.id() < m_passed_in_stream.size() && m_passed_in_stream[in.op.id()] == stamp;
    if (passed && !stateful)
      return;
    const size_t issues_before = m_issues.size();
    if (!passed) {
      // DMA queues and CC-cores move HBM data; the compute engines see only SBUF and PSUM.
      const bool compute = st.engine != Engine::kDma && st.engine != Engine::kCc;
      for (const Operand& o : operands_of(op))
        check_ap(o, st.engine, compute);
    }
    const size_t issues_after_operands = m_issues.size();
    std::visit([&](const auto& row) { check_op(row); }, op);
    const bool clean = (stateful ? issues_after_operands : m_issues.size()) == issues_before;
    if (!passed && clean) {
      if (in.op.id() >= m_passed_in_stream.size())
        m_passed_in_stream.resize(size_t(in.op.id()) + 1, 0);
      m_passed_in_stream[in.op.id()] = stamp;
    }
  }

  void check_sem(int32_t sem, const char* what) {
    if (sem < 0 || sem >= int(m_program.semaphores.size())) {
      issue(std::string(what) + " names semaphore " + std::to_string(sem) + ", which does not exist");
    }
  }

  void check_ap(const Operand& o, Engine engine, bool compute) {
    const AccessPattern& ap = *o.ap;
    const std::string name(o.field);
    // Before anything reads dims[]: a hand-made or corrupt pattern may claim more than it has.
    if (ap.ndim > kMaxFreeDims)
      return issue(name + ": more than 4 free dimensions");
    for (int d = 0; d < ap.ndim; ++d) {
      if (ap.dims[d].count <= 0)
        return issue(name + ": free dim " + std::to_string(d) + " has count <= 0");
    }
    if (ap.num_partitions <= 0)
      return issue(name + ": partition count must be positive");
    const auto [first, end] = ap.touched_range();
    if (ap.mem == MemKind::kHbm) {
      if (compute)
        return issue(name + ": compute engines cannot access HBM; use a DMA");
      if (ap.tensor < 0 || ap.tensor >= int(m_program.tensors.size())) {
        return issue(name + ": HBM tensor " + std::to_string(ap.tensor) + " does not exist");
      }
      const TensorDecl& t = m_program.tensors[ap.tensor];
      const int64_t last = end - 1;
      if (first < 0 || last >= t.num_elements()) {
        issue(name + ": reads elements [" + std::to_string(first) + ", " + std::to_string(last) +
              "] of tensor '" + t.name + "' which has " + std::to_string(t.num_elements()));
      }
      if (ap.dtype != t.dtype) {
        issue(name + ": dtype " + std::string(dtype_name(ap.dtype)) + " differs from tensor '" + t.name +
              "' (" + std::string(dtype_name(t.dtype)) + ")");
      }
      return;
    }
    if (ap.start_partition < 0 || ap.start_partition + ap.num_partitions > m_limits.num_partitions) {
      issue(name + ": partitions [" + std::to_string(ap.start_partition) + ", " +
            std::to_string(ap.start_partition + ap.num_partitions) + ") outside 0.." +
            std::to_string(m_limits.num_partitions));
    }
    if (compute && !partition_window_ok(ap.start_partition, ap.num_partitions)) {
      issue(name + ": " + std::to_string(ap.num_partitions) + " partitions may not start at partition " +
            std::to_string(ap.start_partition) +
            " (65-128 partitions start at 0; 33-64 at 0 or 64; 1-32 at 0, 32, 64 or 96; hardware.md §1.7)");
    }
    const bool psum = ap.mem == MemKind::kPsum;
    const int64_t capacity = psum ? m_limits.psum_partition_bytes : m_limits.sbuf_partition_bytes;
    if (first < 0 || end > capacity) {
      issue(name + ": bytes [" + std::to_string(first) + ", " + std::to_string(end) + ") overflow the " +
            std::to_string(capacity) + "-byte " + std::string(mem_kind_name(ap.mem)) + " partition");
    }
    if (psum && engine == Engine::kPool)
      issue(name + ": the GpSimd engine cannot access PSUM (hardware.md §1.6)");
    if (psum && engine == Engine::kDma)
      issue(name + ": DMA moves HBM and SBUF data, not PSUM");
  }

  // hardware.md §1.7: 65-128 partitions start at 0; 33-64 at 0 or 64; 1-32 at 0, 32, 64 or 96.
  static bool partition_window_ok(int32_t start, int32_t count) {
    if (count > 64)
      return start == 0;
    if (count > 32)
      return start == 0 || start == 64;
    return start % 32 == 0;
  }

  // Messages are built only for a failed check: a valid program's checks must not allocate.
  void expect(bool ok, const char* msg) {
    if (!ok)
      issue(msg);
  }
  template <class MakeMessage>
  void expect(bool ok, MakeMessage&& make_message) {
    if (!ok)
      issue(make_message());
  }
  void expect_same_shape(const AccessPattern& a, const AccessPattern& b, const char* an, const char* bn) {
    expect(a.num_partitions == b.num_partitions && a.free_size() == b.free_size(), [&] {
      return std::string(an) + " [" + std::to_string(a.num_partitions) + " x " +
             std::to_string(a.free_size()) + "] and " + bn + " [" + std::to_string(b.num_partitions) + " x " +
             std::to_string(b.free_size()) + "] differ in shape";
    });
  }
  void expect_column(const AccessPattern& col, const AccessPattern& like, const char* name) {
    expect(col.free_size() == 1 && col.num_partitions == like.num_partitions,
           [&] { return std::string(name) + " must be a [P,1] column over the same partitions"; });
  }
  void expect_column(const ScalarOperand& s, const AccessPattern& like, const char* name) {
    if (s.is_ap)
      expect_column(s.ap, like, name);
  }
  void expect_mem(const AccessPattern& ap, MemKind m, const char* name) {
    expect(ap.mem == m, [&] { return std::string(name) + " must be in " + std::string(mem_kind_name(m)); });
  }

  void check_op(const LoadStationary& op) {
    expect_mem(op.stationary, MemKind::kSbuf, "stationary");
    expect(op.stationary.free_size() <= m_limits.pe_max_stationary_free, [&] {
      return "stationary free size " + std::to_string(op.stationary.free_size()) + " exceeds " +
             std::to_string(m_limits.pe_max_stationary_free);
    });
    m_last_stationary = &op.stationary;
  }
  void check_op(const MultiplyMoving& op) {
    expect_mem(op.moving, MemKind::kSbuf, "moving");
    expect_mem(op.dst, MemKind::kPsum, "dst");
    expect(op.dst.dtype == DType::kFloat32, "matmul output in PSUM must be float32");
    expect(op.moving.free_size() <= m_limits.pe_max_moving_free, [&] {
      return "moving free size " + std::to_string(op.moving.free_size()) + " exceeds " +
             std::to_string(m_limits.pe_max_moving_free);
    });
    check_psum_bank(op.dst);
    if (!m_last_stationary)
      return issue("no load_stationary precedes this multiply");
    expect(m_last_stationary->num_partitions == op.moving.num_partitions, [&] {
      return "contraction mismatch: stationary has " + std::to_string(m_last_stationary->num_partitions) +
             " partitions, moving " + std::to_string(op.moving.num_partitions);
    });
    expect(op.dst.num_partitions == m_last_stationary->free_size() &&
               op.dst.free_size() == op.moving.free_size(),
           "dst must be [stationary free, moving free]");
  }
  void check_op(const PeTranspose& op) {
    expect_mem(op.src, MemKind::kSbuf, "src");
    expect_mem(op.dst, MemKind::kPsum, "dst");
    expect(op.src.free_size() <= 128, "transpose source free size must be <= 128");
    expect(op.dst.num_partitions == op.src.free_size() && op.dst.free_size() == op.src.num_partitions,
           "dst must be [src free, src partitions]");
    expect(op.dst.dtype == op.src.dtype || op.dst.dtype == DType::kFloat32, "transpose keeps the dtype");
    check_psum_bank(op.dst);
  }
  void check_psum_bank(const AccessPattern& dst) {
    const auto [first, end] = dst.touched_range();
    const int64_t last = end - 1;
    expect(first / m_limits.psum_bank_bytes == last / m_limits.psum_bank_bytes, [&] {
      return "PE output [" + std::to_string(first) + ", " + std::to_string(last + 1) + ") crosses a " +
             std::to_string(m_limits.psum_bank_bytes) + "-byte PSUM bank boundary";
    });
  }
  void check_op(const Activation& op) {
    expect_same_shape(op.dst, op.src, "dst", "src");
    expect_column(op.scale, op.src, "scale");
    if (op.bias.present)
      expect_column(op.bias.ap, op.src, "bias");
    if (op.accumulate.present) {
      expect_column(op.accumulate.ap, op.src, "accumulate");
      expect(op.accumulate.ap.dtype == DType::kFloat32, "accumulate must be float32");
    }
  }
  void check_op(const TensorTensor& op) {
    expect_same_shape(op.dst, op.a, "dst", "a");
    expect_same_shape(op.dst, op.b, "dst", "b");
    expect(!(op.a.mem == MemKind::kPsum && op.b.mem == MemKind::kPsum),
           "both inputs cannot be in PSUM (hardware.md §3)");
  }
  void check_op(const TensorScalar& op) {
    expect_same_shape(op.dst, op.src, "dst", "src");
    expect_column(op.operand0, op.src, "operand0");
    expect_column(op.operand1, op.src, "operand1");
  }
  void check_op(const ScalarTensorTensor& op) {
    expect_same_shape(op.dst, op.src, "dst", "src");
    expect_same_shape(op.dst, op.tensor, "dst", "tensor");
    expect_column(op.operand0, op.src, "operand0");
  }
  void check_op(const TensorReduce& op) {
    expect(op.axes >= 1 && op.axes <= std::max<int>(op.src.ndim, 1), "axes must be 1..ndim of src");
    int64_t kept = 1;
    for (int d = 0; d < op.src.ndim - op.axes; ++d)
      kept *= op.src.dims[d].count;
    expect(op.dst.num_partitions == op.src.num_partitions && op.dst.free_size() == kept, [&] {
      return "dst must hold the " + std::to_string(kept) +
             " values per partition that remain after the reduce";
    });
    expect(op.op == AluOp::kAdd || op.op == AluOp::kMax || op.op == AluOp::kMin ||
               op.op == AluOp::kMultiply || op.op == AluOp::kAbsMax,
           "reduce op must be add, max, min, multiply or abs_max");
  }
  void check_op(const TensorCopy& op) { expect_same_shape(op.dst, op.src, "dst", "src"); }
  void check_op(const Memset&) {}
  void check_op(const StreamShuffle& op) {
    expect_same_shape(op.dst, op.src, "dst", "src");
    expect(op.dst.dtype == op.src.dtype, "stream_shuffle moves bits: dst and src need one dtype");
    const int32_t p = op.src.num_partitions;
    expect(p <= kQuadrantPartitions || p % kQuadrantPartitions == 0,
           "stream_shuffle covers 1..32 partitions or whole quadrants (a multiple of 32)");
    for (size_t i = 0; i < op.mask.size(); ++i) {
      const int32_t m = op.mask[i];
      if (m == kShuffleKeep)
        continue;
      if (m >= kQuadrantPartitions)
        expect(false, [&] {
          return "stream_shuffle mask[" + std::to_string(i) +
                 "] must be a quadrant partition 0..31 or 255 (keep)";
        });
      else if (int32_t(i) < p)
        expect(m < p, [&] {
          return "stream_shuffle mask[" + std::to_string(i) + "] = " + std::to_string(m) +
                 " names a partition past src's " + std::to_string(p);
        });
    }
  }
  void check_op(const Reciprocal& op) { expect_same_shape(op.dst, op.src, "dst", "src"); }
  void check_op(const RangeSelect& op) {
    expect_same_shape(op.dst, op.src, "dst", "src");
    expect_column(op.bound0, op.src, "bound0");
    expect_column(op.bound1, op.src, "bound1");
    if (op.reduce_res.present)
      expect_column(op.reduce_res.ap, op.src, "reduce_res");
  }
  void check_op(const TensorScalarReduce& op) {
    expect_same_shape(op.dst, op.src, "dst", "src");
    expect_column(op.operand0, op.src, "operand0");
    expect_column(op.reduce_res, op.src, "reduce_res");
  }
  void check_op(const Iota& op) { expect(op.dst.ndim <= kMaxFreeDims, "iota pattern has at most 4 dims"); }
  void check_op(const AffineSelect& op) { expect_same_shape(op.dst, op.src, "dst", "src"); }
  void check_op(const DmaCopy& op) {
    expect(op.dst.num_elements() == op.src.num_elements(), [&] {
      return "dst has " + std::to_string(op.dst.num_elements()) + " elements, src " +
             std::to_string(op.src.num_elements());
    });
    expect_no_hwdge_cast(op.dst, op.src);
  }
  void check_op(const DmaTranspose& op) {
    expect((dtype_size(op.src.dtype) == 2 || dtype_size(op.src.dtype) == 4) && op.dst.dtype == op.src.dtype,
           "DMA transpose moves 2- or 4-byte dtypes without conversion (hardware.md §1.8)");
    expect(transpose_shape(op.dst, op.src).has_value(),
           "dst must be [src free, src partitions], or [src innermost, src outer x src partitions] (the "
           "blocked form, isa/transpose_shape.hpp)");
    if (queue_dge() == DgeMode::kHardware) {
      // The NKI DGE reference's constraints for a hardware-DGE dma_transpose [S16].
      const int64_t innermost = op.src.ndim > 0 ? op.src.dims[op.src.ndim - 1].count : 1;
      expect(dtype_size(op.src.dtype) == 2 && op.src.num_partitions == 16 && innermost % 128 == 0, [&] {
        return "a hwdge dma_transpose needs a 2-byte dtype, 16 source rows and a multiple of 128 innermost "
               "elements (src is [" +
               std::to_string(op.src.num_partitions) + " rows, innermost " + std::to_string(innermost) +
               "]; hardware.md §1.8)";
      });
    }
  }
  void check_op(const DmaGather& op) {
    expect_mem(op.src, MemKind::kHbm, "src");
    expect(op.dst.mem == MemKind::kSbuf || op.dst.mem == MemKind::kHbm, "dst must be in sbuf or hbm");
    expect(op.dst.num_partitions == op.src.num_partitions && op.dst.free_size() == op.src.free_size(), [&] {
      return "dst [" + std::to_string(op.dst.num_partitions) + " x " + std::to_string(op.dst.free_size()) +
             "] must have src's shape [" + std::to_string(op.src.num_partitions) + " x " +
             std::to_string(op.src.free_size()) + "] (row r of dst receives row r of src)";
    });
    expect_mem(op.index, MemKind::kSbuf, "index");
    expect(op.index.dtype == DType::kInt32 || op.index.dtype == DType::kUInt32,
           "index must be int32 or uint32");
    expect(op.index.free_size() == 1 &&
               (op.index.num_partitions == op.src.num_partitions || op.index.num_partitions == 1),
           [&] {
             return "index must be an [n,1] column with n = src's " + std::to_string(op.src.num_partitions) +
                    " rows, or a [1,1] scalar";
           });
    expect(op.bound >= 0 && op.bound <= (int64_t{1} << 32), "bound must be in 0..2^32");
    expect_dynamic_address("dma_gather");
    if (op.index.num_partitions > 1) {
      // NKI: .ap() with vector_offset constrains the DGE mode to swdge, on v3+ [S16].
      expect(
          queue_dge() == DgeMode::kSoftware,
          "a gather with a column of indices (vector_offset) needs a swdge queue: only software DGE gathers "
          "(hardware.md §1.8)");
      expect(m_limits.neuron_core_version >= 3, [&] {
        return "a gather with a column of indices needs NeuronCore-v3 or later (this hardware is v" +
               std::to_string(m_limits.neuron_core_version) + "; hardware.md §1.8)";
      });
    }
    expect_no_hwdge_cast(op.dst, op.src);
  }
  void check_reg(int32_t reg, const char* field) {
    expect(reg >= 0 && reg < kNumRegisters, [&] {
      return std::string(field) + ": register " + std::to_string(reg) + " does not exist (0.." +
             std::to_string(kNumRegisters - 1) + ")";
    });
  }
  void check_op(const RegLoad& op) {
    check_reg(op.dst_reg, "dst_reg");
    expect_mem(op.src, MemKind::kSbuf, "src");
    expect(op.src.dtype == DType::kInt32 || op.src.dtype == DType::kUInt32, "src must be int32 or uint32");
    expect(op.src.num_partitions == 1 && op.src.free_size() == 1, "src must be a [1,1] element");
  }
  void check_op(const RegSet& op) { check_reg(op.dst_reg, "dst_reg"); }
  void check_op(const RegOp& op) {
    check_reg(op.dst_reg, "dst_reg");
    check_reg(op.a_reg, "a_reg");
    if (op.b.is_reg)
      check_reg(op.b.value, "b");
    expect(is_register_alu_op(op.op), [&] {
      return "reg_op supports add, subtract, multiply, shift_left, shift_right, "
             "bitwise_and, bitwise_or, bitwise_xor, min and max, not " +
             std::string(name_of(op.op));
    });
  }
  void check_op(const Branch& op) {
    check_reg(op.reg, "reg");
    expect(op.target >= 0 && size_t(op.target) <= m_stream_length, [&] {
      return "branch target " + std::to_string(op.target) + " outside 0.." + std::to_string(m_stream_length) +
             " (the stream's length means its end)";
    });
  }
  void check_op(const RegCheck& op) {
    check_reg(op.reg, "reg");
    expect(op.min <= op.max, "reg_check range is empty (min > max)");
  }
  void check_op(const SemSignal& op) { check_sem(op.sem, "sem_signal"); }
  void check_op(const SemWait& op) { check_sem(op.sem, "sem_wait"); }
  void check_op(const DmaCopyRegOffset& op) {
    check_reg(op.reg, "reg");
    expect_mem(op.on_dst ? op.dst : op.src, MemKind::kHbm, op.on_dst ? "dst" : "src");
    expect(op.dst.num_elements() == op.src.num_elements(), [&] {
      return "dst has " + std::to_string(op.dst.num_elements()) + " elements, src " +
             std::to_string(op.src.num_elements());
    });
    expect_dynamic_address("dma_copy_reg_offset");
    expect_no_hwdge_cast(op.dst, op.src);
  }

  // ---- collectives: HBM patterns of one dtype, sized for the group's rows ----
  // The row size of group `group`, or 0 (after an issue) when the group does not exist.
  int64_t group_size(int32_t group) {
    if (group < 0 || size_t(group) >= m_program.replica_groups.size() ||
        m_program.replica_groups[size_t(group)].empty()) {
      issue("replica group " + std::to_string(group) + " does not exist (the program has " +
            std::to_string(m_program.replica_groups.size()) + ")");
      return 0;
    }
    return int64_t(m_program.replica_groups[size_t(group)][0].size());
  }
  void check_collective_operands(const AccessPattern& dst, const AccessPattern& src) {
    expect_mem(dst, MemKind::kHbm, "dst");
    expect_mem(src, MemKind::kHbm, "src");
    expect(dst.dtype == src.dtype, "dst and src must have one dtype (collectives move bytes unchanged)");
    // collectives.md §2, kernels.md §4.2: a collective cannot take the kernel's own inputs or outputs.
    for (const auto& [ap, name] : {std::pair{&dst, "dst"}, std::pair{&src, "src"}}) {
      if (ap->mem == MemKind::kHbm && ap->tensor >= 0 && size_t(ap->tensor) < m_program.tensors.size() &&
          m_program.tensors[size_t(ap->tensor)].kind != TensorKind::kInternal) {
        issue(std::string(name) + " is the kernel's " +
              std::string(tensor_kind_name(m_program.tensors[size_t(ap->tensor)].kind)) + " '" +
              m_program.tensors[size_t(ap->tensor)].name +
              "': collectives take internal HBM tensors (collectives.md §2); copy it first");
      }
    }
  }
  void check_op(const AllGather& op) {
    check_collective_operands(op.dst, op.src);
    if (const int64_t g = group_size(op.group); g > 0) {
      expect(op.dst.num_elements() == g * op.src.num_elements(), [&] {
        return "dst has " + std::to_string(op.dst.num_elements()) + " elements; gathering " +
               std::to_string(g) + " ranks' src of " + std::to_string(op.src.num_elements()) + " needs " +
               std::to_string(g * op.src.num_elements());
      });
    }
  }
  void check_op(const AllToAll& op) {
    check_collective_operands(op.dst, op.src);
    if (const int64_t g = group_size(op.group); g > 0) {
      expect(op.dst.num_elements() == op.src.num_elements() && op.src.num_elements() % g == 0, [&] {
        return "dst and src must have the same number of elements, a multiple of the group's " +
               std::to_string(g) + " ranks (dst " + std::to_string(op.dst.num_elements()) + ", src " +
               std::to_string(op.src.num_elements()) + ")";
      });
    }
  }
  void check_op(const CollectivePermute& op) {
    check_collective_operands(op.dst, op.src);
    group_size(op.group);
    expect(op.dst.num_elements() == op.src.num_elements(),
           "dst and src must have the same number of elements");
    expect(op.channel >= 0 && op.channel < kMaxPermuteChannels, [&] {
      return "channel " + std::to_string(op.channel) + " outside 0.." +
             std::to_string(kMaxPermuteChannels - 1) + " (collectives.md §2: up to 4 channels)";
    });
  }
  void check_op(const RankId& op) { check_reg(op.dst_reg, "dst_reg"); }
  void check_op(const ProcessingRankId& op) {
    check_reg(op.dst_reg, "dst_reg");
    group_size(op.group);
    expect(op.iteration >= 0, "iteration must be >= 0");
  }
  void check_op(const CoreBarrier& op) { expect(op.barrier >= 0, "barrier number must be >= 0"); }

  const Program& m_program;
  const MemoryLimits& m_limits;
  std::vector<ValidationIssue> m_issues;
  size_t m_stream = 0, m_index = 0, m_stream_length = 0;
  std::vector<uint32_t> m_passed_in_stream;  // by operation id: 1 + the stream it last passed in
  const AccessPattern* m_last_stationary = nullptr;
};

}  // namespace

std::vector<std::string> replica_group_issues(const Program& program, uint32_t ranks) {
  std::vector<std::string> issues;
  for (size_t g = 0; g < program.replica_groups.size(); ++g) {
    for (const auto& row : program.replica_groups[g]) {
      for (int32_t r : row) {
        if (r >= 0 && uint32_t(r) >= ranks) {
          issues.push_back("replica group " + std::to_string(g) + " names rank " + std::to_string(r) +
                           ", outside the launch's " + std::to_string(ranks) + " ranks");
        }
      }
    }
  }
  return issues;
}

std::vector<ValidationIssue> validate(const Program& program, const MemoryLimits& limits) {
  return Checker(program, limits).run();
}

void validate_or_throw(const Program& program, const MemoryLimits& limits) {
  auto issues = validate(program, limits);
  if (!issues.empty())
    throw ValidationError(std::move(issues));
}

}  // namespace tn::isa
