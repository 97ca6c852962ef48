#include "sim/func/value_slice.hpp"

#include <algorithm>
#include <map>
#include <tuple>
#include <utility>
#include <variant>

#include "isa/operands.hpp"

namespace tn::sim {

namespace {

// A bounding box of memory: partitions [p0, p1) x bytes [b0, b1) of an on-chip memory, or elements
// [b0, b1) of an HBM tensor (p0 = 0, p1 = 1).
struct Box {
  int64_t p0 = 0, p1 = 1, b0 = 0, b1 = 0;
  bool overlaps(const Box& o) const { return p0 < o.p1 && o.p0 < p1 && b0 < o.b1 && o.b0 < b1; }
  bool covers(const Box& o) const { return p0 <= o.p0 && o.p1 <= p1 && b0 <= o.b0 && o.b1 <= b1; }
};

struct Access {
  int32_t space;  // which memory (SpaceIndex)
  Box box;
  bool dense = false;  // a write that stores every byte of its box
};

// Gives every memory of the launch a number: per program its SBUF, PSUM and PE stationary register; the
// shared HBM tensors by name (one per rank, and every rank runs the same programs); private HBM tensors
// by program and name.
class SpaceIndex {
 public:
  int32_t on_chip(size_t program, isa::MemKind mem) {
    return id({"", int64_t(program), mem == isa::MemKind::kSbuf ? 0 : 1});
  }
  int32_t stationary(size_t program) { return id({"", int64_t(program), 2}); }
  int32_t hbm(size_t program, const isa::TensorDecl& t) {
    const int64_t owner = t.scope == isa::TensorScope::kPrivate ? int64_t(program) : -1;
    const int32_t space = id({t.name, owner, 3});
    m_tensor_name.try_emplace(space, t.name);
    return space;
  }
  size_t size() const { return m_ids.size(); }
  // The tensor name of an HBM space (empty for on-chip ones).
  std::string name_of(int32_t space) const {
    const auto it = m_tensor_name.find(space);
    return it == m_tensor_name.end() ? "" : it->second;
  }

 private:
  struct Key {
    std::string tensor;
    int64_t owner;
    int kind;
    bool operator<(const Key& o) const {
      return std::tie(tensor, owner, kind) < std::tie(o.tensor, o.owner, o.kind);
    }
  };
  int32_t id(const Key& k) { return m_ids.try_emplace(k, int32_t(m_ids.size())).first->second; }
  std::map<Key, int32_t> m_ids;
  std::map<int32_t, std::string> m_tensor_name;
};

// The bounding box an access pattern touches; `whole` for an HBM operand whose offset moves at run time
// (a gather's source, a register-offset DMA's shifted side): the whole tensor.
Box box_of(const isa::AccessPattern& ap, const isa::Program& p, bool whole) {
  Box b;
  std::tie(b.b0, b.b1) = ap.touched_range();
  if (ap.on_chip()) {
    b.p0 = ap.start_partition;
    b.p1 = int64_t(ap.start_partition) + ap.num_partitions;
  } else if (whole) {
    b.b0 = 0;
    b.b1 = p.tensors.at(size_t(ap.tensor)).num_elements();
  }
  return b;
}

// Does a pattern touch every element of its bounding box?
bool fills_box(const isa::AccessPattern& ap) {
  if (!ap.free_contiguous())
    return false;
  return ap.on_chip() || ap.num_partitions == 1 || ap.partition_stride == ap.free_size();
}

// What a launch's instructions read and write, flat: instruction `id`'s reads are
// reads[read_begin[id], read_begin[id + 1]), its writes likewise. The index column of a dma_gather is
// listed apart: reading it is where the slice starts; the gather's own data movement is not in the slice.
struct LaunchAccesses {
  std::vector<Access> reads, writes;
  std::vector<uint32_t> read_begin{0}, write_begin{0};
  std::vector<std::pair<Access, uint32_t>> gather_indices;  // (the index column, the gather's id)
};

void add_accesses(const isa::Instruction& in, const isa::Program& p, size_t program, SpaceIndex& spaces,
                  LaunchAccesses& out) {
  const auto id = uint32_t(out.read_begin.size() - 1);
  const auto* gather = std::get_if<isa::DmaGather>(&in.op.get());
  const auto* shifted = std::get_if<isa::DmaCopyRegOffset>(&in.op.get());
  const auto* multiply = std::get_if<isa::MultiplyMoving>(&in.op.get());
  const bool shuffle = std::holds_alternative<isa::StreamShuffle>(in.op.get());
  for (const isa::Operand& o : isa::operands_of(in.op.get())) {
    if (o.ap->num_elements() == 0)
      continue;
    const bool moves =
        !o.ap->on_chip() && ((gather && o.ap == &gather->src) ||
                             (shifted && o.ap == (shifted->on_dst ? &shifted->dst : &shifted->src)));
    const int32_t space = o.ap->on_chip() ? spaces.on_chip(program, o.ap->mem)
                                          : spaces.hbm(program, p.tensors.at(size_t(o.ap->tensor)));
    Access a{space, box_of(*o.ap, p, moves)};
    if (gather && o.ap == &gather->index) {
      out.gather_indices.push_back({a, id});
      continue;
    }
    if (!o.is_write) {
      out.reads.push_back(a);
      continue;
    }
    // A write that may leave part of its destination as it was, or add to it, also reads it: an
    // accumulating multiply, a gather's skipped rows, a shuffle's unmoved partitions.
    const bool keeps_old = (gather && o.ap == &gather->dst) || shuffle || (multiply && multiply->accumulate);
    if (keeps_old)
      out.reads.push_back(a);
    a.dense = !keeps_old && !moves && fills_box(*o.ap);
    out.writes.push_back(a);
  }
  // The PE array's stationary operand is state between load_stationary and the multiplies.
  const Box whole_register{0, 1, 0, 1};
  if (std::holds_alternative<isa::LoadStationary>(in.op.get()))
    out.writes.push_back({spaces.stationary(program), whole_register, true});
  if (multiply)
    out.reads.push_back({spaces.stationary(program), whole_register});
  out.read_begin.push_back(uint32_t(out.reads.size()));
  out.write_begin.push_back(uint32_t(out.writes.size()));
}

constexpr int32_t kNoLoop = -1;

// Where an instruction sits in its program's emission order (isa::Stream::emission_order).
struct Place {
  uint32_t program = 0;
  int64_t order = -1;      // -1: the program records no order
  int32_t loop = kNoLoop;  // which runtime loop's body holds it
};

// Places of every instruction of program `pi`, appended to `places` in stream-then-index order. A runtime
// loop's body is a run of uncounted instructions that no counted one interrupts in emission order (loops
// do not nest; their entries and exits are counted).
void place_instructions(const isa::Program& p, uint32_t pi, int32_t& loops, std::vector<Place>& places) {
  const bool ordered = std::all_of(p.streams.begin(), p.streams.end(), [](const isa::Stream& st) {
    return st.emission_order.size() == st.instructions.size();
  });
  std::vector<std::pair<int64_t, size_t>> by_order;  // (order, counted) -> place index
  for (const isa::Stream& st : p.streams) {
    for (size_t i = 0; i < st.instructions.size(); ++i) {
      Place pl;
      pl.program = pi;
      if (ordered) {
        pl.order = st.emission_order[i];
        by_order.push_back({pl.order * 2 + (st.instructions[i].counts ? 1 : 0), places.size()});
      }
      places.push_back(pl);
    }
  }
  std::sort(by_order.begin(), by_order.end());
  bool in_loop = false;
  for (const auto& [key, at] : by_order) {
    const bool counted = key % 2 == 1;
    if (counted) {
      in_loop = false;
      continue;
    }
    if (!in_loop)
      ++loops;
    in_loop = true;
    places[at].loop = loops;
  }
}

}  // namespace

ValueSlice::ValueSlice(const std::vector<const isa::Program*>& programs) {
  // Most programs read no runtime value: nothing to evaluate, and nothing to analyse.
  const auto is_sink = [](const isa::Instruction& in) {
    return std::holds_alternative<isa::RegLoad>(in.op.get()) ||
           std::holds_alternative<isa::DmaGather>(in.op.get());
  };
  const bool any_sink = std::any_of(programs.begin(), programs.end(), [&](const isa::Program* p) {
    return std::any_of(p->streams.begin(), p->streams.end(), [&](const isa::Stream& st) {
      return std::any_of(st.instructions.begin(), st.instructions.end(), is_sink);
    });
  });
  if (!any_sink)
    return;
  m_reads_runtime_values = true;
  SpaceIndex spaces;
  struct Ref {
    uint32_t program, stream, index;
  };
  std::vector<Ref> refs;
  LaunchAccesses accesses;
  std::vector<Place> places;
  int32_t loops = 0;
  m_members.resize(programs.size());
  for (size_t pi = 0; pi < programs.size(); ++pi) {
    const isa::Program& p = *programs[pi];
    place_instructions(p, uint32_t(pi), loops, places);
    m_members[pi].resize(p.streams.size());
    for (size_t s = 0; s < p.streams.size(); ++s) {
      m_members[pi][s].assign(p.streams[s].instructions.size(), 0);
      for (size_t i = 0; i < p.streams[s].instructions.size(); ++i) {
        refs.push_back({uint32_t(pi), uint32_t(s), uint32_t(i)});
        add_accesses(p.streams[s].instructions[i], p, pi, spaces, accesses);
      }
    }
  }
  const auto reads_of = [&](uint32_t id) {
    return std::pair{accesses.reads.begin() + accesses.read_begin[id],
                     accesses.reads.begin() + accesses.read_begin[id + 1]};
  };
  const auto writes_of = [&](uint32_t id) {
    return std::pair{accesses.writes.begin() + accesses.write_begin[id],
                     accesses.writes.begin() + accesses.write_begin[id + 1]};
  };
  // Every memory's writers, to find the ones a read may see.
  struct Writer {
    Access access;
    uint32_t id;
  };
  std::vector<std::vector<Writer>> writers(spaces.size());
  for (uint32_t id = 0; id < refs.size(); ++id) {
    for (auto [w, end] = writes_of(id); w != end; ++w)
      writers[size_t(w->space)].push_back({*w, id});
  }

  std::vector<uint8_t> in_slice(refs.size(), 0);
  struct Read {
    Access access;
    uint32_t reader;
  };
  std::vector<Read> pending;  // reads whose writers are still to be added
  const auto add = [&](uint32_t id) {
    if (in_slice[id])
      return;
    in_slice[id] = 1;
    for (auto [r, end] = reads_of(id); r != end; ++r)
      pending.push_back({*r, id});
  };
  for (uint32_t id = 0; id < refs.size(); ++id) {
    const Ref& r = refs[id];
    if (std::holds_alternative<isa::RegLoad>(
            programs[r.program]->streams[r.stream].instructions[r.index].op.get()))
      add(id);
  }
  for (const auto& [index_column, gather] : accesses.gather_indices)
    pending.push_back({index_column, gather});
  // A write reaches a read (in the read's program's emission order) unless the last dense write covering
  // the read before it, one that runs whenever the read does (outside loops, or earlier in the read's own
  // loop), came after it. A write later in the order reaches the read only around a loop holding both,
  // and not past such a covering write inside that loop. Writes of another program (LNC2 cores sharing
  // HBM) are not ordered here: they always count.
  while (!pending.empty()) {
    const Read read = pending.back();
    pending.pop_back();
    const Place& rp = places[read.reader];
    const std::vector<Writer>& candidates = writers[size_t(read.access.space)];
    int64_t kill_order = -1;
    int32_t kill_loop = kNoLoop;
    if (rp.order >= 0) {
      for (const Writer& w : candidates) {
        const Place& wp = places[w.id];
        if (w.access.dense && wp.program == rp.program && wp.order < rp.order && wp.order > kill_order &&
            (wp.loop == kNoLoop || wp.loop == rp.loop) && w.access.box.covers(read.access.box)) {
          kill_order = wp.order;
          kill_loop = wp.loop;
        }
      }
    }
    for (const Writer& w : candidates) {
      if (in_slice[w.id] || !w.access.box.overlaps(read.access.box))
        continue;
      const Place& wp = places[w.id];
      bool reaches = true;
      if (rp.order >= 0 && wp.program == rp.program) {
        reaches = wp.order < rp.order ? wp.order >= kill_order
                                      : rp.loop != kNoLoop && wp.loop == rp.loop && kill_loop != rp.loop;
      }
      if (reaches)
        add(w.id);
    }
  }

  for (uint32_t id = 0; id < refs.size(); ++id) {
    if (!in_slice[id])
      continue;
    const Ref& r = refs[id];
    m_members[r.program][r.stream][r.index] = 1;
    ++m_size;
    for (const auto& [begin, end] : {reads_of(id), writes_of(id)}) {
      for (auto a = begin; a != end; ++a) {
        if (const std::string n = spaces.name_of(a->space); !n.empty())
          m_tensors.insert(n);
      }
    }
  }
}

}  // namespace tn::sim
