#include "kernels/builder/program_builder.hpp"

#include <algorithm>
#include <atomic>
#include <iterator>
#include <limits>
#include <optional>
#include <set>
#include <stdexcept>
#include <string_view>
#include <thread>

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

// The root as the build configured it: __FILE__ may be relative to the build folder (a compiler cache
// rewrites it) while a #line or another file's name is absolute.
#ifdef TRNSIM_SOURCE_ROOT
constexpr std::string_view kConfiguredRoot = TRNSIM_SOURCE_ROOT;
#else
constexpr std::string_view kConfiguredRoot;
#endif

// "kernels/attention_cte.cpp" rather than a build-machine absolute path, so programs and traces are
// byte-identical wherever the project is checked out. Paths inside the checkout just lose its root (so
// "sim/func/tests/x.cpp" stays whole); other paths fall back to the last well-known top-level folder.
std::string project_relative(const char* file) {
  std::string f(file);
  const std::string_view root = project_root();
  for (const std::string_view r : {root, kConfiguredRoot}) {
    if (!r.empty() && f.size() > r.size() && std::string_view(f).substr(0, r.size()) == r)
      return f.substr(r.size());
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

SourceLocation to_source_location(const Loc& loc) {
  // file_name() is one static string per source file: remember the last one's relative path.
  thread_local const char* last_name = nullptr;
  thread_local isa::SourceFile last_file;
  if (loc.file_name() != last_name) {
    last_file = std::string_view(project_relative(loc.file_name()));
    last_name = loc.file_name();
  }
  return {last_file, loc.line()};
}

std::string where(const Loc& loc) {
  auto s = to_source_location(loc);
  return s.file + ":" + std::to_string(s.line);
}

int64_t align_up(int64_t v, int64_t a) { return (v + a - 1) / a * a; }

std::string shape_text(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i)
    s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

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
    m_program.semaphores.push_back({std::string(engine_name(e)), 0});
    m_program.streams.push_back({std::string(engine_name(e)), e, sem, {}});
  }
  m_waited.assign(m_program.streams.size(), std::vector<int64_t>(m_program.streams.size(), 0));
  m_count_after.assign(m_program.streams.size(), {});
  m_counted.assign(m_program.streams.size(), 0);
  m_appended.assign(m_program.streams.size(), 0);
  m_live_hints.assign(m_program.streams.size() * 2 * kMaxOperands, 0);
  m_need_scratch.assign(m_program.streams.size(), 0);
}

ProgramBuilder::~ProgramBuilder() = default;

int32_t ProgramBuilder::hbm_tensor(const std::string& name, DType dtype, std::vector<int64_t> shape,
                                   TensorKind kind, TensorScope scope) {
  if (m_program.find_tensor(name) >= 0)
    throw std::invalid_argument("HBM tensor '" + name + "' declared twice");
  // Extents bounded so that element and byte counts (numel * dtype size) never overflow.
  int64_t elements = 1;
  for (int64_t n : shape) {
    if (n < 0 || (n > 0 && elements > std::numeric_limits<int64_t>::max() / 8 / n)) {
      throw std::invalid_argument("HBM tensor '" + name + "' of shape " + shape_text(shape) +
                                  " has a negative extent or more than 2^60 elements");
    }
    elements *= n;
  }
  m_program.tensors.push_back({name, dtype, std::move(shape), kind, scope});
  return static_cast<int32_t>(m_program.tensors.size() - 1);
}

int32_t ProgramBuilder::dma_queue(const std::string& name, DgeMode dge, Engine trigger) {
  const size_t streams_before = m_program.streams.size();
  const int32_t q = named_stream(name, Engine::kDma);
  const bool known = m_program.streams.size() == streams_before;  // named_stream found it
  isa::Stream& s = m_program.streams[size_t(q)];
  if (dge != DgeMode::kHardware)
    trigger = Engine::kSp;  // only hwdge names a sequencer
  if (!known) {
    s.dge = dge;
    s.dge_trigger = trigger;
  } else if (s.dge != dge || s.dge_trigger != trigger) {
    throw std::logic_error("DMA queue '" + name + "' is " + std::string(dge_mode_name(s.dge)) + ", not " +
                           std::string(dge_mode_name(dge)));
  }
  return q;
}

int32_t ProgramBuilder::named_stream(const std::string& name, Engine engine) {
  for (size_t i = 0; i < m_program.streams.size(); ++i) {
    if (m_program.streams[i].name == name)
      return static_cast<int32_t>(i);
  }
  drain_tracking();  // the worker appends to the streams this may move
  const int32_t sem = static_cast<int32_t>(m_program.semaphores.size());
  m_program.semaphores.push_back({name, 0});
  m_program.streams.push_back({name, engine, sem, {}});
  for (auto& row : m_waited)
    row.push_back(0);
  m_waited.emplace_back(m_program.streams.size(), 0);
  m_count_after.emplace_back();
  m_counted.push_back(0);
  m_appended.push_back(0);
  m_live_hints.resize(m_program.streams.size() * 2 * kMaxOperands, 0);
  m_need_scratch.push_back(0);
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
  // Bounded before the allocators multiply the extents: no on-chip buffer outgrows a partition of the
  // larger memory, and dividing keeps the running product from overflowing.
  const int64_t largest = std::max(m_limits.sbuf_partition_bytes, m_limits.psum_partition_bytes);
  int64_t bytes = 1;
  for (int64_t n : free_shape) {
    if (n > largest / bytes) {
      throw AllocationError(where(loc) + ": buffer '" + name + "' of free shape " + shape_text(free_shape) +
                            " is larger than a partition of SBUF (" +
                            std::to_string(m_limits.sbuf_partition_bytes) + " bytes)");
    }
    bytes *= n;
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
  const auto at_or_after = [&](int64_t offset) {
    return std::lower_bound(live.begin(), live.end(), offset,
                            [](const std::pair<int64_t, int32_t>& e, int64_t o) { return e.first < o; });
  };
  // Buffers overlapping the new one's range were released: forget them, including one that starts below
  // `addr` (the new buffer may be more strictly aligned than the one it replaces).
  auto first = at_or_after(addr);
  if (first != live.begin()) {
    const BufferLifetime& below = m_program.buffers[std::prev(first)->second];
    if (below.offset + below.bytes_per_partition > addr)
      --first;
  }
  first = live.erase(first, at_or_after(addr + life.bytes_per_partition));
  if (first != live.end() && first->first == addr)
    first->second = id;  // an empty buffer at the same address replaces the one there
  else
    live.insert(first, {addr, id});
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

void ProgramBuilder::touch_buffers(std::span<const Access> accesses, InstrRef at) {
  for (size_t k = 0; k < accesses.size(); ++k) {
    const Access& a = accesses[k];
    if (a.space >= 0)
      continue;  // HBM
    const size_t mem = a.space == on_chip_space(MemKind::kSbuf) ? 0 : 1;
    const auto& live = m_live[mem];
    const int64_t first = a.lo, end = a.hi;
    // The last live buffer starting at or below `first` (or the first one): where this stream's operand
    // in this place found it last time, if it still is, else a search.
    size_t& hint = m_live_hints[(size_t(at.stream) * 2 + mem) * kMaxOperands + std::min(k, kMaxOperands - 1)];
    size_t i = hint;
    if (i >= live.size() || live[i].first > first || (i + 1 < live.size() && live[i + 1].first <= first)) {
      const auto above = std::upper_bound(live.begin(), live.end(), first,
                                          [](int64_t o, const auto& e) { return o < e.first; });
      i = above == live.begin() ? 0 : size_t(above - live.begin()) - 1;
      hint = i;
    }
    for (; i < live.size() && live[i].first < end; ++i) {
      BufferLifetime& b = m_program.buffers[size_t(live[i].second)];
      if (b.offset + b.bytes_per_partition <= first)
        continue;
      if (b.first.stream < 0)
        b.first = at;
      b.last = at;
    }
  }
}

namespace {
// Loop-body instructions are tracked under these indices until the loop is laid out: far above any real
// index, so they never collide with instructions emitted later.
constexpr int32_t kProvisionalBase = 1 << 30;
}  // namespace

void ProgramBuilder::add_waits(int32_t stream, Instruction& in, const std::vector<InstrRef>& deps) {
  // Per producing stream, the highest completion count this instruction needs: a producer has retired
  // once its stream's completion semaphore reaches the count after it. In-order compute engines see
  // their own earlier results; DMA queues overlap transfers, so a DMA that depends on an earlier one of
  // its own queue must wait for it to complete. A loop-body producer counts as its stream's loop exit.
  // Only the few producing streams are visited, in stream order (the order of the waits), and their
  // entries of `need` are zero again afterwards.
  std::vector<int64_t>& need = m_need_scratch;
  std::vector<int32_t>& producers = m_producer_scratch;
  producers.clear();
  const bool in_order = m_program.streams[size_t(stream)].engine != Engine::kDma;
  for (const InstrRef& d : deps) {
    if (d.stream == stream && in_order)
      continue;
    const InstrRef producer = d.index >= kProvisionalBase ? m_loop_exit.at({d.stream, d.index}) : d;
    int64_t& n = need[size_t(producer.stream)];
    if (n == 0)
      producers.push_back(producer.stream);
    n = std::max(n, m_count_after[size_t(producer.stream)][size_t(producer.index)]);
  }
  std::sort(producers.begin(), producers.end());
  std::vector<int64_t>& waited = m_waited[size_t(stream)];
  for (const int32_t s : producers) {
    if (need[size_t(s)] > waited[size_t(s)]) {
      in.waits.push_back({m_program.streams[size_t(s)].completion_sem, need[size_t(s)]});
      waited[size_t(s)] = need[size_t(s)];
    }
    need[size_t(s)] = 0;
  }
}

namespace {
std::atomic<int64_t> g_tracking_worker_threshold{kDefaultTrackingWorkerThreshold};

bool second_core() {
  static const bool two = std::thread::hardware_concurrency() > 1;
  return two;
}
}  // namespace

void set_tracking_worker_threshold(int64_t instructions) { g_tracking_worker_threshold = instructions; }

int32_t ProgramBuilder::append(int32_t stream, const Operation& op, SourceLocation loc,
                               const std::vector<InstrRef>& extra,
                               const std::vector<Access>& extra_accesses) {
  if (stream < 0 || size_t(stream) >= m_program.streams.size())
    throw std::out_of_range("ProgramBuilder: no stream " + std::to_string(stream));
  const int32_t index = m_appended[size_t(stream)]++;
  m_access_scratch.clear();
  append_accesses_of(op, m_access_scratch);
  touch_buffers(m_access_scratch, {stream, index});  // the buffers its own operands touch
  const OpRef interned(op);
  if (extra.empty() && extra_accesses.empty() && !m_track_here) {
    if (m_worker) {
      m_worker->submit(stream, interned, loc, m_access_scratch);
      return index;
    }
    const int64_t threshold = g_tracking_worker_threshold;
    if (threshold >= 0 && m_tracked_here >= threshold && second_core()) {
      m_worker = std::make_unique<TrackingWorker>(
          [this](const PendingAppend& p, std::span<const Access> a) { track(p.stream, p.op, p.loc, a, {}); });
      m_worker->submit(stream, interned, loc, m_access_scratch);
      return index;
    }
  }
  drain_tracking();
  m_access_scratch.insert(m_access_scratch.end(), extra_accesses.begin(), extra_accesses.end());
  track(stream, interned, loc, m_access_scratch, extra);
  ++m_tracked_here;
  return index;
}

void ProgramBuilder::track(int32_t stream, const OpRef& op, const SourceLocation& loc,
                           std::span<const Access> accesses, std::span<const InstrRef> extra) {
  Stream& st = m_program.streams[size_t(stream)];
  const int32_t index = static_cast<int32_t>(st.instructions.size());
  m_dep_scratch.clear();
  m_deps.record(stream, index, accesses, m_dep_scratch);
  m_dep_scratch.insert(m_dep_scratch.end(), extra.begin(), extra.end());
  Instruction in{op, {}, loc};
  add_waits(stream, in, m_dep_scratch);
  st.instructions.push_back(std::move(in));
  st.emission_order.push_back(m_emitted++);
  m_count_after[size_t(stream)].push_back(++m_counted[size_t(stream)]);
}

void ProgramBuilder::drain_tracking() {
  if (m_worker)
    m_worker->drain();
}

void ProgramBuilder::emit(int32_t stream, Operation op, const Loc& loc) {
  if (m_loop) {
    m_program.streams.at(stream);  // range check now, not at layout time
    m_loop->push_back({stream, std::move(op), to_source_location(loc)});
    return;
  }
  append(stream, op, to_source_location(loc));
}

void ProgramBuilder::dynamic_loop(const AccessPattern& trip_count, int64_t max_trips,
                                  const std::function<void()>& body, Loc loc) {
  if (m_loop)
    throw std::logic_error(where(loc) + ": runtime loops do not nest");
  if (max_trips < 0 || max_trips > INT32_MAX) {
    throw std::invalid_argument(where(loc) + ": max_trips must be in 0..2^31-1");
  }
  std::vector<LoopItem> items;
  m_loop = &items;
  body();
  m_loop = nullptr;
  if (items.empty())
    return;
  const SourceLocation sloc = to_source_location(loc);
  const size_t n = items.size();
  // The layout reads the tracker and the streams as it goes: everything is tracked here until it ends.
  drain_tracking();
  m_track_here = true;
  const int32_t base = kProvisionalBase + m_next_provisional;
  m_next_provisional += static_cast<int32_t>(n);
  std::vector<int32_t> streams;
  for (const auto& it : items)
    streams.push_back(it.stream);
  std::sort(streams.begin(), streams.end());
  streams.erase(std::unique(streams.begin(), streams.end()), streams.end());

  // Entry on every stream of the loop: load and check the trip count (counted instructions).
  std::map<int32_t, int32_t> entry;
  for (int32_t s : streams) {
    entry[s] = append(s, RegLoad{kLoopRegister, trip_count}, sloc, {});
    append(s, RegCheck{kLoopRegister, 0, static_cast<int32_t>(max_trips)}, sloc, {});
  }

  // Dependencies: pass 1 finds those within an iteration and those on earlier instructions; pass 2
  // replays the body to find those carried from one iteration into the next.
  const auto item_of = [&](const InstrRef& r) -> std::optional<size_t> {
    if (r.index >= base && r.index < base + static_cast<int32_t>(n))
      return static_cast<size_t>(r.index - base);
    return std::nullopt;
  };
  std::map<int32_t, std::vector<InstrRef>> outside;  // per stream: producers before the loop
  std::set<std::pair<size_t, size_t>> same_iteration, carried;
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < n; ++i) {
      m_dep_scratch.clear();
      m_deps.record(items[i].stream, base + static_cast<int32_t>(i), accesses_of(items[i].op), m_dep_scratch);
      for (const InstrRef& d : m_dep_scratch) {
        const auto j = item_of(d);
        if (!j) {
          if (pass == 0)
            outside[items[i].stream].push_back(d);
          continue;
        }
        if (*j == i)
          continue;
        const bool same_stream = items[*j].stream == items[i].stream;
        if (same_stream && m_program.streams[items[i].stream].engine != Engine::kDma)
          continue;
        (*j < i ? same_iteration : carried).insert({*j, i});
      }
    }
  }
  for (int32_t s : streams)
    add_waits(s, m_program.streams[s].instructions[entry[s]], outside[s]);

  // One semaphore per dependency inside the loop: the producer signals after itself, the consumer's wait
  // consumes. Carried dependencies start at 1, so the first iteration does not wait.
  std::vector<std::vector<int32_t>> signals_after(n);
  std::vector<std::vector<SemCondition>> consume(n);
  for (const auto* edges : {&same_iteration, &carried}) {
    for (const auto& [from, to] : *edges) {
      const int32_t sem = static_cast<int32_t>(m_program.semaphores.size());
      m_program.semaphores.push_back({"loop " + items[from].loc.file + ":" +
                                          std::to_string(items[from].loc.line) + " -> " +
                                          std::to_string(items[to].loc.line),
                                      edges == &carried ? 1 : 0});
      signals_after[from].push_back(sem);
      consume[to].push_back({sem, 1, 1});
    }
  }

  // Lay out each stream's loop: head branch, body (with signals), decrement, back-branch; then the exit
  // marker, a counted instruction that consumers after the loop wait for. In emission order the body is
  // item i at loop_start + i, its loop's control instructions beside the items they follow.
  const uint32_t loop_start = m_emitted;
  m_emitted += static_cast<uint32_t>(n);
  for (int32_t s : streams) {
    Stream& st = m_program.streams[s];
    auto push_uncounted = [&](Instruction in, size_t item) {
      in.counts = false;
      st.instructions.push_back(std::move(in));
      st.emission_order.push_back(loop_start + static_cast<uint32_t>(item));
      m_count_after[s].push_back(m_counted[s]);
      return static_cast<int32_t>(st.instructions.size() - 1);
    };
    const int32_t head = push_uncounted({Branch{0, BranchCond::kLe, kLoopRegister, 0}, {}, sloc}, 0);
    for (size_t i = 0; i < n; ++i) {
      if (items[i].stream != s)
        continue;
      Instruction in{items[i].op, consume[i], items[i].loc};
      const int32_t index = push_uncounted(std::move(in), i);
      touch_buffers(accesses_of(st.instructions[index].op.get()), {s, index});
      for (int32_t sem : signals_after[i])
        push_uncounted({SemSignal{sem, 1}, {}, items[i].loc}, i);
    }
    push_uncounted({RegOp{kLoopRegister, kLoopRegister, AluOp::kSubtract, RegOrImm{false, 1}}, {}, sloc},
                   n - 1);
    push_uncounted({Branch{head, BranchCond::kAlways, kLoopRegister, 0}, {}, sloc}, n - 1);
    Operation head_branch = st.instructions[head].op.get();  // interned operations are immutable
    std::get<Branch>(head_branch).target = static_cast<int32_t>(st.instructions.size());
    st.instructions[head].op = head_branch;
    m_appended[size_t(s)] = static_cast<int32_t>(st.instructions.size());  // the uncounted ones too
    const int32_t exit = append(s, RegSet{kLoopRegister, 0}, sloc);
    for (size_t i = 0; i < n; ++i) {
      if (items[i].stream == s)
        m_loop_exit[{s, base + static_cast<int32_t>(i)}] = InstrRef{s, exit};
    }
  }
  m_track_here = false;
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

void ProgramBuilder::stream_shuffle(const AccessPattern& dst, const AccessPattern& src,
                                    const ShuffleMask& mask, Loc loc) {
  emit(engine_stream(Engine::kDve), StreamShuffle{dst, src, mask}, loc);
}

void ProgramBuilder::stream_shuffle_broadcast(const AccessPattern& tile, Loc loc) {
  const ShuffleMask from_first{};  // every lane reads partition 0 of the source quadrant
  for (int32_t first = 0; first < tile.num_partitions; first += kQuadrantPartitions) {
    const int32_t n = std::min(kQuadrantPartitions, tile.num_partitions - first);
    stream_shuffle(partitions(tile, first, n), partitions(tile, 0, n), from_first, loc);
  }
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

void ProgramBuilder::rank_id(int32_t stream, int32_t reg, Loc loc) { emit(stream, RankId{reg}, loc); }

void ProgramBuilder::processing_rank_id(int32_t stream, int32_t reg, int32_t group, int32_t iteration,
                                        Loc loc) {
  emit(stream, ProcessingRankId{reg, group, iteration}, loc);
}

void ProgramBuilder::dma_copy_reg_offset(int32_t queue, const AccessPattern& dst, const AccessPattern& src,
                                         int32_t reg, int64_t scale, bool on_dst, Loc loc) {
  emit(queue, DmaCopyRegOffset{dst, src, reg, scale, on_dst}, loc);
}

int32_t ProgramBuilder::cc_core(int32_t index) {
  return named_stream("cc" + std::to_string(index), Engine::kCc);
}

int32_t ProgramBuilder::replica_group(const ReplicaGroup& g) {
  for (size_t i = 0; i < m_program.replica_groups.size(); ++i) {
    if (m_program.replica_groups[i] == g)
      return static_cast<int32_t>(i);
  }
  m_program.replica_groups.push_back(g);
  return static_cast<int32_t>(m_program.replica_groups.size() - 1);
}

void ProgramBuilder::all_gather(int32_t cc, const AccessPattern& dst, const AccessPattern& src, int32_t group,
                                Loc loc) {
  emit(cc, AllGather{dst, src, group}, loc);
}

void ProgramBuilder::all_to_all(int32_t cc, const AccessPattern& dst, const AccessPattern& src, int32_t group,
                                Loc loc) {
  emit(cc, AllToAll{dst, src, group}, loc);
}

void ProgramBuilder::collective_permute(int32_t cc, const AccessPattern& dst, const AccessPattern& src,
                                        int32_t group, int32_t channel, const std::vector<InstrRef>& after,
                                        Loc loc) {
  if (after.empty())
    return emit(cc, CollectivePermute{dst, src, group, channel}, loc);
  if (m_loop)
    throw std::logic_error(where(loc) +
                           ": a collective triggered after given instructions inside a runtime "
                           "loop is not supported");
  append(cc, CollectivePermute{dst, src, group, channel}, to_source_location(loc), after);
}

void ProgramBuilder::core_barrier(const AccessPattern& data, Engine engine, Loc loc) {
  if (m_loop)
    throw std::logic_error(where(loc) + ": core_barrier inside a runtime loop is not supported");
  append(engine_stream(engine), CoreBarrier{m_barriers++}, to_source_location(loc), {},
         accesses_of(data, true));
}

void ProgramBuilder::dma_transpose(int32_t queue, const AccessPattern& dst, const AccessPattern& src,
                                   Loc loc) {
  emit(queue, DmaTranspose{dst, src}, loc);
}

void ProgramBuilder::dma_gather(int32_t queue, const AccessPattern& dst, const AccessPattern& src,
                                const AccessPattern& index, int64_t index_scale, int64_t bound, Loc loc) {
  emit(queue, DmaGather{dst, src, index, index_scale, bound}, loc);
}

int32_t ProgramBuilder::begin_region(const std::string& name, Loc loc) {
  if (m_loop)
    throw std::logic_error(where(loc) + ": a region inside a runtime loop is not supported");
  Region r;
  r.name = name;
  for (const int32_t at : m_appended)
    r.ranges.emplace_back(at, at);
  m_program.regions.push_back(std::move(r));
  return static_cast<int32_t>(m_program.regions.size() - 1);
}

void ProgramBuilder::end_region(int32_t region) {
  Region& r = m_program.regions.at(size_t(region));
  r.ranges.resize(m_program.streams.size(), {0, 0});  // streams created inside start at 0
  for (size_t s = 0; s < m_program.streams.size(); ++s)
    r.ranges[s].second = m_appended[s];
}

std::vector<InstrRef> ProgramBuilder::region_end(int32_t region) const {
  const Region& r = m_program.regions.at(size_t(region));
  std::vector<InstrRef> out;
  for (size_t s = 0; s < r.ranges.size(); ++s) {
    if (r.ranges[s].second > r.ranges[s].first)
      out.push_back({static_cast<int32_t>(s), r.ranges[s].second - 1});
  }
  return out;
}

Program ProgramBuilder::finish() {
  drain_tracking();
  m_worker.reset();
  // Buffers nothing touched have no lifetime to report.
  std::erase_if(m_program.buffers, [](const BufferLifetime& b) { return b.first.stream < 0; });
  return std::move(m_program);
}

AccessPattern columns(const AccessPattern& ap, int64_t first, int64_t count) {
  AccessPattern v = ap;
  const int last = ap.ndim - 1;
  v.offset += first * ap.dims[last].stride * (ap.mem == MemKind::kHbm ? 1 : dtype_size(ap.dtype));
  v.dims[last] = {ap.dims[last].stride, count};
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

AccessPattern hbm_rows(int32_t tensor, DType dt, int64_t base, int64_t row_stride, int64_t row0, int64_t rows,
                       int64_t col0, int64_t cols) {
  return hbm_ap(tensor, dt, base + row0 * row_stride + col0, {row_stride, rows}, {{1, cols}});
}

AccessPattern hbm_broadcast(int32_t tensor, DType dt, int64_t element, int32_t partitions) {
  return hbm_ap(tensor, dt, element, {0, partitions}, {{1, 1}});
}

}  // namespace tn::kernels
