#include "kernels/builder/program_builder.hpp"

#include <algorithm>
#include <iterator>
#include <stdexcept>
#include <string_view>

#include "isa/operands.hpp"

namespace tn::kernels {

using namespace isa;

namespace {

// The checkout's root as this file was compiled: __FILE__ ends in kThisFile.
constexpr std::string_view kThisFile = "kernels/builder/program_builder.cpp";
std::string_view project_root() {
  const std::string_view f = __FILE__;
  if (f.size() < kThisFile.size() || f.substr(f.size() - kThisFile.size()) != kThisFile)
    return {};
  return f.substr(0, f.size() - kThisFile.size());
}

// "kernels/attention_cte.cpp" rather than a build-machine absolute path, so programs and traces are
// byte-identical wherever the project is checked out. Paths inside the checkout just lose its root (so
// "sim/func/tests/x.cpp" stays whole); other paths fall back to the last well-known top-level folder.
std::string project_relative(const char* file) {
  std::string f(file);
  const std::string_view root = project_root();
  if (!root.empty() && f.size() > root.size() && std::string_view(f).substr(0, root.size()) == root) {
    return f.substr(root.size());
  }
  if (root.empty() && !f.empty() && f[0] != '/')
    return f;  // compiled with project-relative paths
  for (const char* top : {"/kernels/", "/tests/", "/bench/", "/tools/", "/sim/", "/traces/", "/isa/"}) {
    if (auto pos = f.rfind(top); pos != std::string::npos)
      return f.substr(pos + 1);
  }
  auto slash = f.rfind('/');
  return slash == std::string::npos ? f : f.substr(slash + 1);
}

SourceLocation to_source_location(const Loc& loc) { return {project_relative(loc.file_name()), loc.line()}; }

std::string where(const Loc& loc) {
  auto s = to_source_location(loc);
  return s.file + ":" + std::to_string(s.line);
}

int64_t align_up(int64_t v, int64_t a) { return (v + a - 1) / a * a; }

int64_t product(const std::vector<int64_t>& v) {
  int64_t n = 1;
  for (int64_t x : v)
    n *= x;
  return n;
}

}  // namespace

ProgramBuilder::ProgramBuilder(std::string kernel, const MemoryLimits& limits, uint32_t core_id)
    : m_limits(limits) {
  m_program.kernel = std::move(kernel);
  m_program.core_id = core_id;
  // Fixed engine streams, in Engine order so engine_stream(e) == e.
  for (Engine e : {Engine::kPe, Engine::kAct, Engine::kDve, Engine::kPool, Engine::kSp}) {
    const int32_t sem = static_cast<int32_t>(m_program.semaphores.size());
    m_program.semaphores.push_back({std::string(engine_profiler_name(e)), 0});
    m_program.streams.push_back({std::string(engine_name(e)), e, sem, {}});
  }
  m_waited.assign(m_program.streams.size(), std::vector<int64_t>(m_program.streams.size(), 0));
}

int32_t ProgramBuilder::hbm_tensor(const std::string& name, DType dtype, std::vector<int64_t> shape,
                                   TensorKind kind) {
  if (m_program.find_tensor(name) >= 0)
    throw std::invalid_argument("HBM tensor '" + name + "' declared twice");
  m_program.tensors.push_back({name, dtype, std::move(shape), kind});
  return static_cast<int32_t>(m_program.tensors.size() - 1);
}

int32_t ProgramBuilder::dma_queue(const std::string& name) {
  for (size_t i = 0; i < m_program.streams.size(); ++i) {
    if (m_program.streams[i].name == name)
      return static_cast<int32_t>(i);
  }
  const int32_t sem = static_cast<int32_t>(m_program.semaphores.size());
  m_program.semaphores.push_back({name, 0});
  m_program.streams.push_back({name, Engine::kDma, sem, {}});
  for (auto& row : m_waited)
    row.push_back(0);
  m_waited.emplace_back(m_program.streams.size(), 0);
  return static_cast<int32_t>(m_program.streams.size() - 1);
}

void ProgramBuilder::check_shape(const std::string& name, int32_t partitions,
                                 const std::vector<int64_t>& free_shape, const Loc& loc) const {
  if (free_shape.empty() || free_shape.size() > kMaxFreeDims) {
    throw AllocationError(where(loc) + ": buffer '" + name + "' needs 1 to 4 free dimensions");
  }
  for (int64_t n : free_shape) {
    if (n <= 0) {
      throw AllocationError(where(loc) + ": buffer '" + name + "' has a free dimension of size " +
                            std::to_string(n));
    }
  }
  if (partitions <= 0 || partitions > m_limits.num_partitions) {
    throw AllocationError(where(loc) + ": buffer '" + name + "' asks for " + std::to_string(partitions) +
                          " partitions; there are " + std::to_string(m_limits.num_partitions));
  }
}

Buffer ProgramBuilder::allocate(MemKind mem, const std::string& name, DType dtype, int32_t partitions,
                                const std::vector<int64_t>& free_shape, int64_t addr, const Loc& loc) {
  check_shape(name, partitions, free_shape, loc);
  AccessPattern ap;
  ap.mem = mem;
  ap.dtype = dtype;
  ap.offset = addr;
  ap.num_partitions = partitions;
  ap.ndim = static_cast<uint8_t>(free_shape.size());
  int64_t stride = 1;
  for (int i = ap.ndim - 1; i >= 0; --i) {
    ap.dims[i] = {stride, free_shape[i]};
    stride *= free_shape[i];
  }
  BufferLifetime life;
  life.name = name;
  life.mem = mem;
  life.offset = addr;
  life.bytes_per_partition = product(free_shape) * dtype_size(dtype);
  life.partitions = partitions;
  const int32_t id = static_cast<int32_t>(m_program.buffers.size());
  m_program.buffers.push_back(life);
  auto& live = m_live[mem == MemKind::kSbuf ? 0 : 1];
  // Buffers overlapping the new one's range were released: forget them, including one that starts below
  // `addr` (the new buffer may be more strictly aligned than the one it replaces).
  auto first = live.lower_bound(addr);
  if (first != live.begin()) {
    const BufferLifetime& below = m_program.buffers[std::prev(first)->second];
    if (below.offset + below.bytes_per_partition > addr)
      --first;
  }
  live.erase(first, live.lower_bound(addr + life.bytes_per_partition));
  live[addr] = id;
  return {ap, id};
}

Buffer ProgramBuilder::sbuf(const std::string& name, DType dtype, int32_t partitions,
                            std::vector<int64_t> free_shape, int64_t align_bytes, Loc loc) {
  check_shape(name, partitions, free_shape, loc);  // before the stack top moves
  const int64_t bytes = product(free_shape) * dtype_size(dtype);
  const int64_t addr = align_up(m_sbuf_top, std::max<int64_t>(align_bytes, 1));
  if (addr + bytes > m_limits.sbuf_partition_bytes) {
    throw AllocationError(where(loc) + ": SBUF overflow allocating '" + name + "' (" + std::to_string(bytes) +
                          " bytes per partition at " + std::to_string(addr) + "; the partition holds " +
                          std::to_string(m_limits.sbuf_partition_bytes) + ")");
  }
  m_sbuf_top = addr + bytes;
  m_sbuf_high = std::max(m_sbuf_high, m_sbuf_top);
  return allocate(MemKind::kSbuf, name, dtype, partitions, free_shape, addr, loc);
}

Buffer ProgramBuilder::psum(const std::string& name, DType dtype, int32_t partitions,
                            std::vector<int64_t> free_shape, Loc loc) {
  check_shape(name, partitions, free_shape, loc);  // before the stack top moves
  const int64_t bytes = product(free_shape) * dtype_size(dtype);
  const int64_t bank = m_limits.psum_bank_bytes;
  if (bytes > bank) {
    throw AllocationError(where(loc) + ": PSUM buffer '" + name + "' of " + std::to_string(bytes) +
                          " bytes per partition exceeds a " + std::to_string(bank) + "-byte bank");
  }
  int64_t addr = align_up(m_psum_top, 4);
  if (addr / bank != (addr + bytes - 1) / bank)
    addr = align_up(addr, bank);
  if (addr + bytes > m_limits.psum_partition_bytes) {
    throw AllocationError(where(loc) + ": PSUM overflow allocating '" + name + "'");
  }
  m_psum_top = addr + bytes;
  return allocate(MemKind::kPsum, name, dtype, partitions, free_shape, addr, loc);
}

Buffer ProgramBuilder::psum_at_bank(const std::string& name, int32_t bank, DType dtype, int32_t partitions,
                                    std::vector<int64_t> free_shape, Loc loc) {
  const int64_t bytes = product(free_shape) * dtype_size(dtype);
  const int64_t banks = m_limits.psum_partition_bytes / m_limits.psum_bank_bytes;
  if (bank < 0 || bank >= banks || bytes > m_limits.psum_bank_bytes) {
    throw AllocationError(where(loc) + ": PSUM buffer '" + name + "' does not fit bank " +
                          std::to_string(bank));
  }
  return allocate(MemKind::kPsum, name, dtype, partitions, free_shape, bank * m_limits.psum_bank_bytes, loc);
}

void ProgramBuilder::touch_buffers(const Operation& op, InstrRef at) {
  for (const auto& o : operands_of(op)) {
    if (o.ap->mem == MemKind::kHbm)
      continue;
    auto& live = m_live[o.ap->mem == MemKind::kSbuf ? 0 : 1];
    auto [lo, hi] = o.ap->free_extent();
    const int64_t size = dtype_size(o.ap->dtype);
    const int64_t first = o.ap->offset + lo * size, end = o.ap->offset + (hi + 1) * size;
    auto it = live.upper_bound(first);
    if (it != live.begin())
      --it;
    for (; it != live.end() && it->first < end; ++it) {
      BufferLifetime& b = m_program.buffers[it->second];
      if (b.offset + b.bytes_per_partition <= first)
        continue;
      if (b.first.stream < 0)
        b.first = at;
      b.last = at;
    }
  }
}

void ProgramBuilder::emit(int32_t stream, Operation op, const Loc& loc) {
  Stream& st = m_program.streams.at(stream);
  const int32_t index = static_cast<int32_t>(st.instructions.size());
  m_dep_scratch.clear();
  m_deps.record(stream, index, accesses_of(op), m_dep_scratch);
  // Per producing stream, the highest completion count this instruction needs.
  std::vector<int64_t> need(m_program.streams.size(), 0);
  for (const InstrRef& d : m_dep_scratch) {
    // In-order compute engines see their own earlier results; DMA queues overlap transfers, so a DMA
    // that depends on an earlier one of its own queue must wait for it to complete.
    if (d.stream == stream && st.engine != Engine::kDma)
      continue;
    need[d.stream] = std::max<int64_t>(need[d.stream], d.index + 1);
  }
  Instruction in;
  in.op = std::move(op);
  in.loc = to_source_location(loc);
  for (size_t s = 0; s < need.size(); ++s) {
    if (need[s] > m_waited[stream][s]) {
      in.waits.push_back({m_program.streams[s].completion_sem, need[s]});
      m_waited[stream][s] = need[s];
    }
  }
  touch_buffers(in.op, {stream, index});
  st.instructions.push_back(std::move(in));
}

void ProgramBuilder::matmul(const AccessPattern& dst, const AccessPattern& stationary,
                            const AccessPattern& moving, bool accumulate, Loc loc) {
  emit(engine_stream(Engine::kPe), LoadStationary{stationary}, loc);
  emit(engine_stream(Engine::kPe), MultiplyMoving{dst, moving, accumulate}, loc);
}

void ProgramBuilder::pe_transpose(const AccessPattern& dst, const AccessPattern& src, Loc loc) {
  emit(engine_stream(Engine::kPe), PeTranspose{dst, src}, loc);
}

void ProgramBuilder::activation(const AccessPattern& dst, const AccessPattern& src, ActFunc func,
                                ScalarOperand scale, OptionalAp bias, OptionalAp accumulate, Loc loc) {
  emit(engine_stream(Engine::kAct), Activation{dst, src, func, scale, bias, accumulate}, loc);
}

void ProgramBuilder::tensor_tensor(const AccessPattern& dst, const AccessPattern& a, const AccessPattern& b,
                                   AluOp op, Engine engine, Loc loc) {
  emit(engine_stream(engine), TensorTensor{dst, a, b, op}, loc);
}

void ProgramBuilder::tensor_scalar(const AccessPattern& dst, const AccessPattern& src, AluOp op0,
                                   ScalarOperand s0, AluOp op1, ScalarOperand s1, bool reverse0,
                                   bool reverse1, Engine engine, Loc loc) {
  emit(engine_stream(engine), TensorScalar{dst, src, op0, s0, reverse0, op1, s1, reverse1}, loc);
}

void ProgramBuilder::scalar_tensor_tensor(const AccessPattern& dst, const AccessPattern& src, AluOp op0,
                                          ScalarOperand s0, AluOp op1, const AccessPattern& tensor, Loc loc) {
  emit(engine_stream(Engine::kDve), ScalarTensorTensor{dst, src, op0, s0, op1, tensor}, loc);
}

void ProgramBuilder::tensor_reduce(const AccessPattern& dst, const AccessPattern& src, AluOp op, bool negate,
                                   int32_t axes, Loc loc) {
  emit(engine_stream(Engine::kDve),
       TensorReduce{dst, src, op, axes < 0 ? std::max<int32_t>(src.ndim, 1) : axes, negate}, loc);
}

void ProgramBuilder::tensor_copy(const AccessPattern& dst, const AccessPattern& src, Engine engine, Loc loc) {
  emit(engine_stream(engine), TensorCopy{dst, src}, loc);
}

void ProgramBuilder::memset(const AccessPattern& dst, float value, Engine engine, Loc loc) {
  emit(engine_stream(engine), Memset{dst, value}, loc);
}

void ProgramBuilder::reciprocal(const AccessPattern& dst, const AccessPattern& src, Loc loc) {
  emit(engine_stream(Engine::kDve), Reciprocal{dst, src}, loc);
}

void ProgramBuilder::range_select(const AccessPattern& dst, const AccessPattern& src, CmpOp cmp0,
                                  const AccessPattern& bound0, CmpOp cmp1, const AccessPattern& bound1,
                                  float range_start, float fill, OptionalAp reduce_res, Loc loc) {
  emit(engine_stream(Engine::kDve),
       RangeSelect{dst, src, cmp0, bound0, cmp1, bound1, range_start, fill, reduce_res}, loc);
}

void ProgramBuilder::tensor_scalar_reduce(const AccessPattern& dst, const AccessPattern& src, AluOp op0,
                                          ScalarOperand s0, AluOp reduce_op, const AccessPattern& reduce_res,
                                          Loc loc) {
  emit(engine_stream(Engine::kDve), TensorScalarReduce{dst, src, op0, s0, reduce_op, reduce_res}, loc);
}

void ProgramBuilder::iota(const AccessPattern& dst, int64_t base, int64_t channel_multiplier, Steps steps,
                          Loc loc) {
  emit(engine_stream(Engine::kPool), Iota{dst, base, channel_multiplier, steps}, loc);
}

void ProgramBuilder::affine_select(const AccessPattern& dst, const AccessPattern& src, int64_t base,
                                   int64_t channel_multiplier, Steps steps, CmpOp cmp, float fill, Loc loc) {
  emit(engine_stream(Engine::kPool), AffineSelect{dst, src, base, channel_multiplier, steps, cmp, fill}, loc);
}

void ProgramBuilder::dma_copy(int32_t queue, const AccessPattern& dst, const AccessPattern& src, Loc loc) {
  emit(queue, DmaCopy{dst, src}, loc);
}

void ProgramBuilder::dma_transpose(int32_t queue, const AccessPattern& dst, const AccessPattern& src,
                                   Loc loc) {
  emit(queue, DmaTranspose{dst, src}, loc);
}

Program ProgramBuilder::finish() {
  // Buffers nothing touched have no lifetime to report.
  std::erase_if(m_program.buffers, [](const BufferLifetime& b) { return b.first.stream < 0; });
  return std::move(m_program);
}

AccessPattern columns(const AccessPattern& ap, int64_t first, int64_t count) {
  AccessPattern v = ap;
  const int last = ap.ndim - 1;
  v.offset += first * ap.dims[last].stride * (ap.mem == MemKind::kHbm ? 1 : dtype_size(ap.dtype));
  v.dims[last].count = count;
  return v;
}

AccessPattern partitions(const AccessPattern& ap, int32_t first, int32_t count) {
  AccessPattern v = ap;
  if (ap.mem == MemKind::kHbm) {
    v.offset += first * ap.partition_stride;
  } else {
    v.start_partition += first;
  }
  v.num_partitions = count;
  return v;
}

AccessPattern reshape(const AccessPattern& ap, int64_t elem_offset, std::initializer_list<ApDim> dims) {
  if (dims.size() > kMaxFreeDims)
    throw std::invalid_argument("reshape to more than 4 free dims");
  AccessPattern v = ap;
  v.offset += elem_offset * (ap.mem == MemKind::kHbm ? 1 : dtype_size(ap.dtype));
  v.ndim = static_cast<uint8_t>(dims.size());
  // Unused dims back to their defaults, so that equal views compare equal (and survive a JSON round trip).
  v.dims = {};
  std::copy(dims.begin(), dims.end(), v.dims.begin());
  return v;
}

AccessPattern with_dtype(const AccessPattern& ap, DType dtype) {
  AccessPattern v = ap;
  v.dtype = dtype;
  return v;
}

}  // namespace tn::kernels
