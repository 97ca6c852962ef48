// DMA semantics (hardware.md §1.8, kernels.md §6.5). Any memory to any memory: HBM<->SBUF, SBUF<->SBUF
// and HBM<->HBM (ring-buffer initialisation), by the same element-order walk.
#include <cstring>
#include <string>

#include "sim/func/executor.hpp"

namespace tn::sim {

// Element i of src (in [P, free...] order) goes to element i of dst; the shapes may differ. Equal
// dtypes copy raw bytes; otherwise src -> fp32 -> dst (hardware.md §1.8 "Dtype cast in DMA").
void Executor::run(const isa::DmaCopy& op) { copy_converting(op.dst, op.src); }

// A dma_copy whose HBM window the issuing queue's register moves (kernels.md §5.2 _load_rank_sb).
void Executor::run(const isa::DmaCopyRegOffset& op) {
  const int32_t value = reg(op.reg, "reg");
  int64_t delta = 0;
  if (__builtin_mul_overflow(int64_t(value), op.scale, &delta))
    throw InstructionFault("register offset " + std::to_string(value) + " x " + std::to_string(op.scale) +
                           " overflows");
  isa::AccessPattern dst = op.dst, src = op.src;
  (op.on_dst ? dst : src).offset += delta;
  try {
    copy_converting(dst, src);
  } catch (const InstructionFault& e) {
    throw InstructionFault(std::string(e.what()) + " (the " + (op.on_dst ? "dst" : "src") +
                           " offset moved by r" + std::to_string(op.reg) + " = " + std::to_string(value) +
                           " times " + std::to_string(op.scale) + " elements)");
  }
}

// dst[f, p] = src[p, f] with src's free dims flattened, or the blocked dst[f, b, p] = src[p, b, f]
// (isa/transpose_shape.hpp), moving raw 16- or 32-bit values (hardware.md §1.8: 2- or 4-byte dtypes, no
// conversion).
void Executor::run(const isa::DmaTranspose& op) {
  const auto size = dtype_size(op.src.dtype);
  if ((size != 2 && size != 4) || op.dst.dtype != op.src.dtype) {
    throw InstructionFault("DMA transpose moves a 2- or 4-byte dtype unchanged; src is " +
                           std::string(dtype_name(op.src.dtype)) + ", dst " +
                           std::string(dtype_name(op.dst.dtype)));
  }
  transpose(op.dst, op.src, true);
}

}  // namespace tn::sim

namespace tn::sim {

// Indirect DMA with oob_mode = skip (kernels.md §3.2, §6.5): each row's source start comes from the
// index tile, read as uint32 so that a -1 pad (0xFFFFFFFF) is >= any bound and its row is dropped,
// leaving the destination row as it was. An in-bound index that still addresses outside the tensor is
// a fault naming the row, the index value and the tensor.
void Executor::run(const isa::DmaGather& op) { gather(op, /*move_data=*/true); }

// The gather's index column is read and every in-bound index checked even without numerics
// (`move_data` false): the trace names the indices, and a bad one stops a timing-only run too.
void Executor::gather(const isa::DmaGather& op, bool move_data) {
  if (op.src.mem != isa::MemKind::kHbm || op.src.tensor < 0 || size_t(op.src.tensor) >= m_tensors.size()) {
    throw InstructionFault("src must be an HBM tensor");
  }
  if (op.index.dtype != DType::kInt32 && op.index.dtype != DType::kUInt32) {
    throw InstructionFault("index must be int32 or uint32, not " + std::string(dtype_name(op.index.dtype)));
  }
  const int32_t rows = op.src.num_partitions;
  const bool scalar = op.index.num_partitions == 1 && op.index.free_size() == 1;
  if (!scalar) {
    AccessWalker::require_shape(op.index, "index", rows, 1);
  }
  AccessWalker::require_shape(op.dst, "dst", rows, op.src.free_size());
  m_io.read_raw(op.index, "index", m_raw);
  std::vector<uint32_t> idx(m_raw.size() / sizeof(uint32_t));
  std::memcpy(idx.data(), m_raw.data(), idx.size() * sizeof(uint32_t));
  m_gather_indices.clear();
  for (size_t i = 0; i < idx.size(); ++i) {
    if (i > 0) {
      m_gather_indices += ',';
    }
    m_gather_indices += std::to_string(int32_t(idx[i]));
  }

  const HbmTensor& tensor = *m_tensors[size_t(op.src.tensor)];
  const auto [lo, hi] = op.src.free_extent();
  for (int32_t r = 0; r < rows; ++r) {
    const uint32_t v = idx[scalar ? 0 : size_t(r)];
    if (int64_t(v) >= op.bound) {
      continue;  // oob_mode = skip
    }
    isa::AccessPattern src_row = op.src;
    src_row.num_partitions = 1;
    const __int128 start = __int128(op.src.offset) + __int128(v) * op.index_scale +
                           (scalar ? __int128(r) * op.src.partition_stride : 0);
    const __int128 first = start + lo, last = start + hi;
    if (first < 0 || last >= tensor.num_elements()) {
      throw InstructionFault("row " + std::to_string(r) + ": index " + std::to_string(v) + " (< bound " +
                             std::to_string(op.bound) + ") addresses elements [" +
                             std::to_string(int64_t(first)) + ", " + std::to_string(int64_t(last)) +
                             "] of tensor '" + tensor.name + "' which has " +
                             std::to_string(tensor.num_elements()));
    }
    if (!move_data)
      continue;
    src_row.offset = int64_t(start);
    isa::AccessPattern dst_row = op.dst;
    dst_row.num_partitions = 1;
    if (op.dst.mem == isa::MemKind::kHbm) {
      dst_row.offset += int64_t(r) * op.dst.partition_stride;
    } else {
      dst_row.start_partition += r;
    }
    copy_converting(dst_row, src_row);
  }
}

}  // namespace tn::sim
