#include "sim/func/access_walker.hpp"

#include <cstring>
#include <string>

#include "sim/numerics/convert.hpp"

namespace tn::sim {

using isa::AccessPattern;
using isa::MemKind;

AccessWalker::AccessWalker(CoreState& core, std::vector<HbmTensor*> tensors)
    : m_core(core), m_tensors(std::move(tensors)) {}

void AccessWalker::require_shape(const AccessPattern& ap, std::string_view field, int64_t partitions,
                                 int64_t free) {
  if (ap.num_partitions != partitions || ap.free_size() != free) {
    throw InstructionFault(std::string(field) + " is [" + std::to_string(ap.num_partitions) + " x " +
                           std::to_string(ap.free_size()) + "] but must be [" + std::to_string(partitions) +
                           " x " + std::to_string(free) + "]");
  }
}

// Bounds are checked here, once per operand, so that the run loops below need none. The validator
// reports the same problems statically; a program that skipped it still cannot corrupt the simulator.
AccessWalker::Target AccessWalker::resolve(const AccessPattern& ap, std::string_view field) const {
  const std::string name(field);
  if (ap.num_partitions <= 0) {
    throw InstructionFault(name + ": partition count must be positive");
  }
  if (ap.ndim > isa::kMaxFreeDims) {
    throw InstructionFault(name + ": more than 4 free dims");
  }
  for (int d = 0; d < ap.ndim; ++d) {
    if (ap.dims[d].count <= 0) {
      throw InstructionFault(name + ": free dim " + std::to_string(d) + " is empty");
    }
  }
  const auto [first, end] = ap.touched_range();
  Target t;
  t.ap = &ap;
  t.elem_size = dtype_size(ap.dtype);
  if (ap.mem == MemKind::kHbm) {
    if (ap.tensor < 0 || ap.tensor >= static_cast<int32_t>(m_tensors.size())) {
      throw InstructionFault(name + ": hbm tensor " + std::to_string(ap.tensor) + " does not exist");
    }
    HbmTensor& tensor = *m_tensors[ap.tensor];
    if (tensor.dtype != ap.dtype) {
      throw InstructionFault(name + ": dtype " + std::string(dtype_name(ap.dtype)) +
                             " differs from hbm tensor '" + tensor.name + "' (" +
                             std::string(dtype_name(tensor.dtype)) + ")");
    }
    const int64_t last = end - 1;
    if (first < 0 || last >= tensor.num_elements()) {
      throw InstructionFault(name + ": elements [" + std::to_string(first) + ", " + std::to_string(last) +
                             "] outside hbm tensor '" + tensor.name + "' of " +
                             std::to_string(tensor.num_elements()) + " elements");
    }
    t.bytes = tensor.bytes.data();
    t.written = tensor.written.data();
    t.base = ap.offset * t.elem_size;
    t.partition_step = ap.partition_stride * t.elem_size;
    t.flag_divisor = t.elem_size;
    t.flag_width = 1;
    t.tensor = &tensor;
    return t;
  }
  OnChipMemory& mem = ap.mem == MemKind::kPsum ? m_core.psum : m_core.sbuf;
  const std::string mem_name(isa::mem_kind_name(ap.mem));
  if (ap.start_partition < 0 || ap.start_partition + ap.num_partitions > mem.partitions()) {
    throw InstructionFault(name + ": partitions [" + std::to_string(ap.start_partition) + ", " +
                           std::to_string(ap.start_partition + ap.num_partitions) + ") outside the " +
                           std::to_string(mem.partitions()) + " " + mem_name + " partitions");
  }
  if (first < 0 || end > mem.row_bytes()) {
    throw InstructionFault(name + ": bytes [" + std::to_string(first) + ", " + std::to_string(end) +
                           ") outside the " + std::to_string(mem.row_bytes()) + "-byte " + mem_name +
                           " partition");
  }
  t.bytes = mem.row(0);
  t.written = mem.written_row(0);
  t.base = ap.start_partition * mem.row_bytes() + ap.offset;
  t.partition_step = mem.row_bytes();
  t.flag_divisor = 1;
  t.flag_width = t.elem_size;
  return t;
}

AccessWalker::Runs AccessWalker::runs_of(const AccessPattern& ap) {
  Runs r;
  for (int d = 0; d < ap.ndim; ++d) {
    const isa::ApDim dim = ap.dims[d];
    if (dim.count == 1) {
      continue;
    }
    if (r.ndim > 0 && r.dims[r.ndim - 1].stride == dim.extent()) {
      r.dims[r.ndim - 1] = {dim.stride, int64_t(r.dims[r.ndim - 1].count) * dim.count};
    } else {
      r.dims[r.ndim++] = dim;
    }
  }
  if (r.ndim == 0) {
    r.dims[r.ndim++] = {1, 1};
  }
  return r;
}

template <class Fn>
void AccessWalker::for_each_run(const Target& t, Fn&& fn) {
  const Runs r = runs_of(*t.ap);
  const isa::ApDim inner = r.dims[r.ndim - 1];
  const int outer_dims = r.ndim - 1;
  int64_t outer_runs = 1;
  for (int d = 0; d < outer_dims; ++d) {
    outer_runs *= r.dims[d].count;
  }
  for (int32_t p = 0; p < t.ap->num_partitions; ++p) {
    const int64_t row = t.base + p * t.partition_step;
    std::array<int64_t, isa::kMaxFreeDims> idx{};
    int64_t offset = 0;  // in elements, of the current run's first element
    for (int64_t run = 0; run < outer_runs; ++run) {
      fn(p, row + offset * t.elem_size, inner.count, inner.stride);
      // Odometer over the outer dims, innermost fastest.
      for (int d = outer_dims - 1; d >= 0; --d) {
        offset += r.dims[d].stride;
        if (++idx[d] < r.dims[d].count) {
          break;
        }
        offset -= r.dims[d].extent();
        idx[d] = 0;
      }
    }
  }
}

void AccessWalker::unwritten_fault(const Target& t, std::string_view field, int32_t p, int64_t pos) {
  const AccessPattern& ap = *t.ap;
  std::string msg = std::string(field) + " reads uninitialised ";
  if (ap.mem == MemKind::kHbm) {
    msg += "hbm tensor '" + t.tensor->name + "' element " + std::to_string(pos / t.elem_size) + " (row " +
           std::to_string(p) + " of the pattern)";
  } else {
    const int64_t addr = pos - (ap.start_partition + p) * t.partition_step;
    msg += std::string(isa::mem_kind_name(ap.mem)) + " partition " + std::to_string(ap.start_partition + p) +
           " bytes [" + std::to_string(addr) + ", " + std::to_string(addr + t.elem_size) + ")";
  }
  throw InstructionFault(msg);
}

void AccessWalker::check_written(const Target& t, std::string_view field, int32_t p, int64_t pos,
                                 int64_t count, int64_t stride) {
  const int64_t step = stride * t.elem_size;  // bytes between elements
  if (stride == 1) {
    // The common case: one memchr over the run's flags.
    const uint8_t* f = t.written + pos / t.flag_divisor;
    const size_t len = static_cast<size_t>(count * t.flag_width);
    const void* hole = std::memchr(f, 0, len);
    if (hole) {
      const int64_t elem = (static_cast<const uint8_t*>(hole) - f) / t.flag_width;
      unwritten_fault(t, field, p, pos + elem * step);
    }
    return;
  }
  const int64_t n = stride == 0 ? 1 : count;  // a broadcast run reads one element
  for (int64_t j = 0; j < n; ++j) {
    const int64_t at = pos + j * step;
    const uint8_t* f = t.written + at / t.flag_divisor;
    for (int64_t b = 0; b < t.flag_width; ++b) {
      if (!f[b]) {
        unwritten_fault(t, field, p, at);
      }
    }
  }
}

void AccessWalker::mark_written(const Target& t, int64_t pos, int64_t count, int64_t stride) {
  if (stride == 1) {
    std::memset(t.written + pos / t.flag_divisor, 1, static_cast<size_t>(count * t.flag_width));
    return;
  }
  const int64_t step = stride * t.elem_size;
  for (int64_t j = 0; j < count; ++j) {
    std::memset(t.written + (pos + j * step) / t.flag_divisor, 1, static_cast<size_t>(t.flag_width));
  }
}

uint64_t digest_bytes(uint64_t digest, const void* data, size_t n) {
  // 64-bit FNV-1a over 8-byte words (then the tail): only a run that names races computes it.
  constexpr uint64_t kPrime = 0x100000001b3ull;
  const auto* b = static_cast<const unsigned char*>(data);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, b + i, 8);
    digest = (digest ^ w) * kPrime;
  }
  for (; i < n; ++i)
    digest = (digest ^ b[i]) * kPrime;
  return digest;
}

void AccessWalker::read(const AccessPattern& ap, std::string_view field, std::vector<float>& out) {
  const Target t = resolve(ap, field);
  out.resize(static_cast<size_t>(ap.num_elements()));
  float* o = out.data();
  for_each_run(t, [&](int32_t p, int64_t pos, int64_t n, int64_t stride) {
    check_written(t, field, p, pos, n, stride);
    if (stride == 1) {
      num::decode(ap.dtype, t.bytes + pos, o, static_cast<size_t>(n));
    } else {
      num::decode_strided(ap.dtype, t.bytes + pos, stride, o, static_cast<size_t>(n));
    }
    o += n;
  });
  if (m_read_digest)
    *m_read_digest = digest_bytes(*m_read_digest, out.data(), out.size() * sizeof(float));
}

void AccessWalker::read_raw(const AccessPattern& ap, std::string_view field, std::vector<std::byte>& out) {
  const Target t = resolve(ap, field);
  const int64_t size = t.elem_size;
  out.resize(static_cast<size_t>(ap.num_elements() * size));
  std::byte* o = out.data();
  for_each_run(t, [&](int32_t p, int64_t pos, int64_t n, int64_t stride) {
    check_written(t, field, p, pos, n, stride);
    if (stride == 1) {
      std::memcpy(o, t.bytes + pos, static_cast<size_t>(n * size));
    } else {
      for (int64_t j = 0; j < n; ++j) {
        std::memcpy(o + j * size, t.bytes + pos + j * stride * size, size);
      }
    }
    o += n * size;
  });
  if (m_read_digest)
    *m_read_digest = digest_bytes(*m_read_digest, out.data(), out.size());
}

void AccessWalker::read_column(const isa::ScalarOperand& s, std::string_view field, int32_t partitions,
                               std::vector<float>& out) {
  if (s.is_ap) {
    return read_column(s.ap, field, partitions, out);
  }
  out.assign(static_cast<size_t>(partitions), s.imm);
}

void AccessWalker::read_column(const AccessPattern& ap, std::string_view field, int32_t partitions,
                               std::vector<float>& out) {
  require_shape(ap, field, partitions, 1);
  read(ap, field, out);
}

// A run with stride 0 stores all its values to one element; the last one is what stays, so only it is
// encoded.
void AccessWalker::write(const AccessPattern& ap, std::string_view field, const float* values) {
  const Target t = resolve(ap, field);
  const float* in = values;
  for_each_run(t, [&](int32_t, int64_t pos, int64_t n, int64_t stride) {
    if (stride == 1) {
      num::encode(ap.dtype, in, t.bytes + pos, static_cast<size_t>(n));
    } else if (stride == 0) {
      num::encode(ap.dtype, in + n - 1, t.bytes + pos, 1);
    } else {
      num::encode_strided(ap.dtype, in, t.bytes + pos, stride, static_cast<size_t>(n));
    }
    mark_written(t, pos, stride == 0 ? 1 : n, stride);
    in += n;
  });
}

void AccessWalker::write_raw(const AccessPattern& ap, std::string_view field, const std::byte* bytes) {
  const Target t = resolve(ap, field);
  const int64_t size = t.elem_size;
  const std::byte* in = bytes;
  for_each_run(t, [&](int32_t, int64_t pos, int64_t n, int64_t stride) {
    if (stride == 1) {
      std::memcpy(t.bytes + pos, in, static_cast<size_t>(n * size));
    } else {
      for (int64_t j = 0; j < n; ++j) {
        std::memcpy(t.bytes + pos + j * stride * size, in + j * size, size);
      }
    }
    mark_written(t, pos, stride == 0 ? 1 : n, stride);
    in += n * size;
  });
}

}  // namespace tn::sim
