// Vector engine semantics (hardware.md §1.4, §3 "Instruction summary", kernels.md §6.3). Several of
// these also run on POOL or ACT (see isa/instructions.def); the semantics do not depend on the engine.
// Every op reads its inputs into fp32 scratch, computes in fp32 and casts on write (hardware.md §3).
#include <string>

#include "sim/func/alu.hpp"
#include "sim/func/executor.hpp"

namespace tn::sim {

using isa::AluOp;

void Executor::run(const isa::TensorTensor& op) {
  const int32_t P = op.a.num_partitions;
  const int64_t F = op.a.free_size();
  AccessWalker::require_shape(op.b, "b", P, F);
  AccessWalker::require_shape(op.dst, "dst", P, F);
  m_io.read(op.a, "a", m_in0);
  m_io.read(op.b, "b", m_in1);
  alu::apply(op.op, m_in0.data(), m_in1.data(), m_in0.data(), m_in0.size());
  m_io.write(op.dst, "dst", m_in0.data());
}

// (src op0 s0) op1 s1, where `reverse` computes `s op x`. A bypass op is skipped (its scalar is not
// read), so op0 = bypass passes src through to op1.
void Executor::run(const isa::TensorScalar& op) {
  const int32_t P = op.src.num_partitions;
  const int64_t F = op.src.free_size();
  AccessWalker::require_shape(op.dst, "dst", P, F);
  m_io.read(op.src, "src", m_in0);
  const bool use0 = op.op0 != AluOp::kBypass, use1 = op.op1 != AluOp::kBypass;
  if (use0) {
    m_io.read_column(op.operand0, "operand0", P, m_col0);
  }
  if (use1) {
    m_io.read_column(op.operand1, "operand1", P, m_col1);
  }
  for (int32_t p = 0; p < P; ++p) {
    float* row = m_in0.data() + p * F;
    if (use0) {
      alu::apply_scalar(op.op0, row, m_col0[p], op.reverse0, row, F);
    }
    if (use1) {
      alu::apply_scalar(op.op1, row, m_col1[p], op.reverse1, row, F);
    }
  }
  m_io.write(op.dst, "dst", m_in0.data());
}

void Executor::run(const isa::ScalarTensorTensor& op) {
  const int32_t P = op.src.num_partitions;
  const int64_t F = op.src.free_size();
  AccessWalker::require_shape(op.tensor, "tensor", P, F);
  AccessWalker::require_shape(op.dst, "dst", P, F);
  m_io.read(op.src, "src", m_in0);
  m_io.read_column(op.operand0, "operand0", P, m_col0);
  m_io.read(op.tensor, "tensor", m_in1);
  for (int32_t p = 0; p < P; ++p) {
    float* row = m_in0.data() + p * F;
    alu::apply_scalar(op.op0, row, m_col0[p], false, row, F);
  }
  alu::apply(op.op1, m_in0.data(), m_in1.data(), m_in0.data(), m_in0.size());
  m_io.write(op.dst, "dst", m_in0.data());
}

// Reduces the innermost `axes` free dims of src: in [P, free...] order those are runs of R contiguous
// scratch values, each folded sequentially (alu::reduce), then negated if asked.
void Executor::run(const isa::TensorReduce& op) {
  const int ndim = op.src.ndim;
  if (op.axes < 1 || op.axes > (ndim > 0 ? ndim : 1)) {
    throw InstructionFault("axes = " + std::to_string(op.axes) + " but src has " + std::to_string(ndim) +
                           " free dims");
  }
  int64_t R = 1;
  for (int d = ndim - op.axes; d < ndim; ++d) {
    if (d >= 0) {
      R *= op.src.dims[d].count;
    }
  }
  const int32_t P = op.src.num_partitions;
  const int64_t kept = op.src.free_size() / R;
  AccessWalker::require_shape(op.dst, "dst", P, kept);
  m_io.read(op.src, "src", m_in0);
  m_out.resize(static_cast<size_t>(P * kept));
  for (int64_t i = 0; i < P * kept; ++i) {
    const float r = alu::reduce(op.op, m_in0.data() + i * R, static_cast<size_t>(R));
    m_out[i] = op.negate ? -r : r;
  }
  m_io.write(op.dst, "dst", m_out.data());
}

void Executor::run(const isa::TensorCopy& op) {
  AccessWalker::require_shape(op.dst, "dst", op.src.num_partitions, op.src.free_size());
  copy_converting(op.dst, op.src);
}

void Executor::run(const isa::Memset& op) {
  m_io.require_valid(op.dst, "dst");
  m_out.assign(static_cast<size_t>(op.dst.num_elements()), op.value);
  m_io.write(op.dst, "dst", m_out.data());
}

// Every destination partition that takes a value gets its source partition's bytes. Only the source
// partitions the mask names are read (the others may hold nothing), all before any write, so an in-place
// shuffle sees the values from before it. (The validator keeps the mask's partitions inside src.)
void Executor::run(const isa::StreamShuffle& op) {
  const int32_t P = op.src.num_partitions;
  AccessWalker::require_shape(op.dst, "dst", P, op.src.free_size());
  const auto row_of = [](isa::AccessPattern ap, int32_t p) {
    ap.start_partition += p;
    ap.num_partitions = 1;
    return ap;
  };
  const auto source_of = [&](int32_t p) {
    const int32_t lane = p % isa::kQuadrantPartitions;
    return op.mask[lane] == isa::kShuffleKeep ? -1 : p - lane + op.mask[lane];
  };
  const size_t row_bytes = static_cast<size_t>(op.src.free_size() * dtype_size(op.src.dtype));
  m_raw_out.resize(row_bytes * static_cast<size_t>(P));
  std::vector<bool> loaded(static_cast<size_t>(P), false);
  for (int32_t p = 0; p < P; ++p) {
    const int32_t from = source_of(p);
    if (from < 0 || loaded[size_t(from)])
      continue;
    m_io.read_raw(row_of(op.src, from), "src", m_raw);
    std::copy(m_raw.begin(), m_raw.end(),
              m_raw_out.begin() + static_cast<ptrdiff_t>(size_t(from) * row_bytes));
    loaded[size_t(from)] = true;
  }
  for (int32_t p = 0; p < P; ++p) {
    const int32_t from = source_of(p);
    if (from >= 0)
      m_io.write_raw(row_of(op.dst, p), "dst", m_raw_out.data() + size_t(from) * row_bytes);
  }
}

void Executor::run(const isa::Reciprocal& op) {
  AccessWalker::require_shape(op.dst, "dst", op.src.num_partitions, op.src.free_size());
  m_io.read(op.src, "src", m_in0);
  for (float& x : m_in0) {
    x = 1.0f / x;
  }
  m_io.write(op.dst, "dst", m_in0.data());
}

// idx = (flat free index) + range_start, in fp32; keep src where (idx cmp0 bound0[p]) and
// (idx cmp1 bound1[p]), else `fill`. reduce_res, when present, gets the max of each partition's written
// fp32 values (before the output cast), overwriting it (reduce_cmd = reset_reduce, kernels.md §6.3).
void Executor::run(const isa::RangeSelect& op) {
  const int32_t P = op.src.num_partitions;
  const int64_t F = op.src.free_size();
  AccessWalker::require_shape(op.dst, "dst", P, F);
  if (op.reduce_res.present) {
    AccessWalker::require_shape(op.reduce_res.ap, "reduce_res", P, 1);
  }
  m_io.read(op.src, "src", m_in0);
  m_io.read_column(op.bound0, "bound0", P, m_col0);
  m_io.read_column(op.bound1, "bound1", P, m_col1);
  // Scratch layout of m_out: [idx (F) | mask0 (F) | mask1 (F)].
  m_out.resize(static_cast<size_t>(3 * F));
  float* idx = m_out.data();
  float* mask0 = idx + F;
  float* mask1 = mask0 + F;
  for (int64_t f = 0; f < F; ++f) {
    idx[f] = static_cast<float>(f) + op.range_start;
  }
  const AluOp cmp0 = alu::alu_op_of(op.cmp0), cmp1 = alu::alu_op_of(op.cmp1);
  if (op.reduce_res.present) {
    m_col2.resize(P);
  }
  for (int32_t p = 0; p < P; ++p) {
    float* row = m_in0.data() + p * F;
    alu::apply_scalar(cmp0, idx, m_col0[p], false, mask0, F);
    alu::apply_scalar(cmp1, idx, m_col1[p], false, mask1, F);
    for (int64_t f = 0; f < F; ++f) {
      row[f] = (mask0[f] != 0.0f && mask1[f] != 0.0f) ? row[f] : op.fill;
    }
    if (op.reduce_res.present) {
      m_col2[p] = alu::reduce(AluOp::kMax, row, F);
    }
  }
  m_io.write(op.dst, "dst", m_in0.data());
  if (op.reduce_res.present) {
    m_io.write(op.reduce_res.ap, "reduce_res", m_col2.data());
  }
}

// dst = src op0 s0; reduce_res[p] = reduce_op folded over the partition's fp32 results (before the
// output cast), overwriting the column.
void Executor::run(const isa::TensorScalarReduce& op) {
  const int32_t P = op.src.num_partitions;
  const int64_t F = op.src.free_size();
  AccessWalker::require_shape(op.dst, "dst", P, F);
  AccessWalker::require_shape(op.reduce_res, "reduce_res", P, 1);
  m_io.read(op.src, "src", m_in0);
  m_io.read_column(op.operand0, "operand0", P, m_col0);
  m_col2.resize(P);
  for (int32_t p = 0; p < P; ++p) {
    float* row = m_in0.data() + p * F;
    alu::apply_scalar(op.op0, row, m_col0[p], false, row, F);
    m_col2[p] = alu::reduce(op.reduce_op, row, F);
  }
  m_io.write(op.dst, "dst", m_in0.data());
  m_io.write(op.reduce_res, "reduce_res", m_col2.data());
}

}  // namespace tn::sim
