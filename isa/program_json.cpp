#include "isa/program_json.hpp"

#include <climits>
#include <cmath>
#include <limits>
#include <set>

namespace tn::isa {

using nlohmann::json;

namespace {

// An instruction is one JSON object: its mnemonic under kOpcodeKey, its fields under their own names, and
// optional "waits" and "loc". No field may be named like one of these reserved keys, or it would overwrite
// the mnemonic (as the AluOp fields named "op" of tensor_tensor and tensor_reduce once did).
constexpr std::string_view kOpcodeKey = "opcode";
constexpr std::string_view kReservedKeys[] = {kOpcodeKey, "waits", "loc", "counts"};

template <class Op>
constexpr bool has_reserved_field_name() {
  for (std::string_view field : Op::kFieldNames) {
    for (std::string_view key : kReservedKeys) {
      if (field == key)
        return true;
    }
  }
  return false;
}
template <size_t... I>
constexpr bool any_reserved_field_name(std::index_sequence<I...>) {
  return (has_reserved_field_name<std::variant_alternative_t<I, Operation>>() || ...);
}
static_assert(!any_reserved_field_name(std::make_index_sequence<kNumOpcodes>{}),
              "an instruction in isa/instructions.def has a field named like a reserved JSON key");

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw JsonFormatError(path + ": " + what);
}

const json& member(const json& j, const std::string& key, const std::string& path) {
  if (!j.is_object())
    fail(path, "expected an object");
  auto it = j.find(key);
  if (it == j.end())
    fail(path, "missing key \"" + key + "\"");
  return *it;
}

void reject_unknown_keys(const json& j, const std::set<std::string>& known, const std::string& path) {
  if (!j.is_object())
    fail(path, "expected an object");
  for (const auto& [key, value] : j.items()) {
    if (!known.count(key))
      fail(path + "." + key, "unknown key");
  }
}

// A number of type T; an integer must be integral and fit T (no silent wrap-around or truncation).
template <class T>
T number(const json& j, const std::string& path) {
  if (!j.is_number())
    fail(path, "expected a number");
  if constexpr (std::is_integral_v<T>) {
    if (!j.is_number_integer())
      fail(path, "expected an integer");
    using L = std::numeric_limits<T>;
    if (j.is_number_unsigned()) {
      if (j.get<uint64_t>() > static_cast<uint64_t>(L::max()))
        fail(path, "out of range");
    } else {
      const int64_t v = j.get<int64_t>();
      if constexpr (std::is_signed_v<T>) {
        if (v < L::min() || v > L::max())
          fail(path, "out of range");
      } else {
        if (v < 0 || static_cast<uint64_t>(v) > L::max())
          fail(path, "out of range");
      }
    }
  } else {
    const double v = j.get<double>();
    if (std::isfinite(v) && std::abs(v) > static_cast<double>(std::numeric_limits<T>::max())) {
      fail(path, "out of range");
    }
  }
  return j.get<T>();
}

int32_t to_int32(int64_t v, const std::string& path) {
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())
    fail(path, "out of range");
  return static_cast<int32_t>(v);
}

std::string text(const json& j, const std::string& path) {
  if (!j.is_string())
    fail(path, "expected a string");
  return j.get<std::string>();
}

const json& array(const json& j, const std::string& path) {
  if (!j.is_array())
    fail(path, "expected an array");
  return j;
}

// ---- field codecs: one encode/decode pair per field type used in instructions.def ----------------

json encode(bool v) { return v; }
json encode(int32_t v) { return v; }
json encode(int64_t v) { return v; }
// JSON has no infinities or NaN (nlohmann writes them as null): they are the strings "inf", "-inf", "nan".
json encode(float v) {
  if (std::isnan(v))
    return "nan";
  if (std::isinf(v))
    return v > 0 ? "inf" : "-inf";
  return v;
}
std::optional<float> non_finite(const json& j) {
  if (!j.is_string())
    return std::nullopt;
  const std::string& s = j.get_ref<const std::string&>();
  if (s == "inf")
    return std::numeric_limits<float>::infinity();
  if (s == "-inf")
    return -std::numeric_limits<float>::infinity();
  if (s == "nan")
    return std::numeric_limits<float>::quiet_NaN();
  return std::nullopt;
}
json encode(AluOp v) { return std::string(name_of(v)); }
json encode(ActFunc v) { return std::string(name_of(v)); }
json encode(CmpOp v) { return std::string(name_of(v)); }
json encode(BranchCond v) { return std::string(name_of(v)); }
// A register is {"reg": id}; an immediate is a plain integer.
json encode(const RegOrImm& v) { return v.is_reg ? json{{"reg", v.value}} : json(v.value); }
json encode(const Steps& v) { return json(std::vector<int64_t>(v.begin(), v.end())); }
json encode(const ShuffleMask& v) { return json(std::vector<int>(v.begin(), v.end())); }

json encode(const AccessPattern& ap) {
  json dims = json::array();
  for (int i = 0; i < ap.ndim; ++i)
    dims.push_back({ap.dims[i].stride, ap.dims[i].count});
  json j = {
      {"mem", mem_kind_name(ap.mem)}, {"dtype", dtype_name(ap.dtype)}, {"offset", ap.offset}, {"dims", dims}};
  if (ap.mem == MemKind::kHbm) {
    j["tensor"] = ap.tensor;
    j["partition"] = {ap.partition_stride, ap.num_partitions};
  } else {
    j["partitions"] = {ap.start_partition, ap.num_partitions};
  }
  return j;
}
json encode(const OptionalAp& v) { return v.present ? encode(v.ap) : json(nullptr); }
json encode(const ScalarOperand& v) { return v.is_ap ? encode(v.ap) : encode(v.imm); }

void decode(const json& j, const std::string& path, bool& v) {
  if (!j.is_boolean())
    fail(path, "expected true or false");
  v = j.get<bool>();
}
void decode(const json& j, const std::string& path, int32_t& v) { v = number<int32_t>(j, path); }
void decode(const json& j, const std::string& path, int64_t& v) { v = number<int64_t>(j, path); }
void decode(const json& j, const std::string& path, float& v) {
  const auto special = non_finite(j);
  v = special ? *special : number<float>(j, path);
}

template <class Enum>
void decode_enum(const json& j, const std::string& path, Enum& v,
                 std::optional<Enum> (*parse)(std::string_view)) {
  if (!j.is_string())
    fail(path, "expected a name");
  auto e = parse(j.get<std::string>());
  if (!e)
    fail(path, "unknown name \"" + j.get<std::string>() + "\"");
  v = *e;
}
void decode(const json& j, const std::string& path, AluOp& v) { decode_enum(j, path, v, alu_op_from_name); }
void decode(const json& j, const std::string& path, ActFunc& v) {
  decode_enum(j, path, v, act_func_from_name);
}
void decode(const json& j, const std::string& path, CmpOp& v) { decode_enum(j, path, v, cmp_op_from_name); }
void decode(const json& j, const std::string& path, BranchCond& v) {
  decode_enum(j, path, v, branch_cond_from_name);
}
void decode(const json& j, const std::string& path, RegOrImm& v) {
  v = RegOrImm{};
  if (j.is_object()) {
    reject_unknown_keys(j, {"reg"}, path);
    v.is_reg = true;
    decode(member(j, "reg", path), path + ".reg", v.value);
  } else {
    decode(j, path, v.value);
  }
}
void decode(const json& j, const std::string& path, Steps& v) {
  if (!j.is_array() || j.size() != v.size())
    fail(path, "expected an array of " + std::to_string(v.size()));
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = number<int64_t>(j[i], path + "[" + std::to_string(i) + "]");
}

void decode(const json& j, const std::string& path, ShuffleMask& v) {
  if (!j.is_array() || j.size() != v.size())
    fail(path, "expected an array of " + std::to_string(v.size()) + " source partitions");
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string at = path + "[" + std::to_string(i) + "]";
    const int64_t m = number<int64_t>(j[i], at);
    if ((m < 0 || m >= kQuadrantPartitions) && m != kShuffleKeep)
      fail(at, "a source partition is 0..31, or 255 to keep the destination's");
    v[i] = static_cast<uint8_t>(m);
  }
}

std::pair<int64_t, int64_t> pair_of(const json& j, const std::string& path) {
  if (!j.is_array() || j.size() != 2)
    fail(path, "expected [a, b]");
  return {number<int64_t>(j[0], path + "[0]"), number<int64_t>(j[1], path + "[1]")};
}

// A pair of int32 values, e.g. a buffer lifetime's [stream, index].
std::pair<int32_t, int32_t> int32_pair_of(const json& j, const std::string& path) {
  auto [a, b] = pair_of(j, path);
  return {to_int32(a, path + "[0]"), to_int32(b, path + "[1]")};
}

void decode(const json& j, const std::string& path, AccessPattern& ap) {
  ap = AccessPattern{};
  const json& mem_json = member(j, "mem", path);
  const std::string mem = mem_json.is_string() ? mem_json.get<std::string>() : std::string();
  if (mem == "hbm") {
    ap.mem = MemKind::kHbm;
    reject_unknown_keys(j, {"mem", "dtype", "offset", "dims", "tensor", "partition"}, path);
    decode(member(j, "tensor", path), path + ".tensor", ap.tensor);
    auto [stride, count] = pair_of(member(j, "partition", path), path + ".partition");
    ap.partition_stride = stride;
    ap.num_partitions = to_int32(count, path + ".partition[1]");
  } else if (mem == "sbuf" || mem == "psum") {
    ap.mem = mem == "sbuf" ? MemKind::kSbuf : MemKind::kPsum;
    reject_unknown_keys(j, {"mem", "dtype", "offset", "dims", "partitions"}, path);
    auto [start, count] = pair_of(member(j, "partitions", path), path + ".partitions");
    ap.start_partition = to_int32(start, path + ".partitions[0]");
    ap.num_partitions = to_int32(count, path + ".partitions[1]");
  } else {
    fail(path + ".mem", "expected \"hbm\", \"sbuf\" or \"psum\"");
  }
  const json& dt = member(j, "dtype", path);
  auto dtype = dt.is_string() ? dtype_from_name(dt.get<std::string>()) : std::nullopt;
  if (!dtype)
    fail(path + ".dtype", "unknown dtype");
  ap.dtype = *dtype;
  decode(member(j, "offset", path), path + ".offset", ap.offset);
  const json& dims = member(j, "dims", path);
  if (!dims.is_array() || dims.size() > kMaxFreeDims)
    fail(path + ".dims", "expected at most 4 [stride, count]");
  ap.ndim = static_cast<uint8_t>(dims.size());
  for (size_t i = 0; i < dims.size(); ++i) {
    const std::string dim_path = path + ".dims[" + std::to_string(i) + "]";
    auto [stride, count] = pair_of(dims[i], dim_path);
    if (stride < INT32_MIN || stride > INT32_MAX || count < INT32_MIN || count > INT32_MAX)
      fail(dim_path, "stride and count must fit 32 bits");
    ap.dims[i] = {stride, count};
  }
}
void decode(const json& j, const std::string& path, OptionalAp& v) {
  v = OptionalAp{};
  if (j.is_null())
    return;
  v.present = true;
  decode(j, path, v.ap);
}
void decode(const json& j, const std::string& path, ScalarOperand& v) {
  v = ScalarOperand{};
  if (j.is_number() || non_finite(j)) {
    decode(j, path, v.imm);
  } else {
    v.is_ap = true;
    decode(j, path, v.ap);
  }
}

template <size_t I = 0>
Operation decode_by_mnemonic(std::string_view name, const json& j, const std::string& path) {
  if constexpr (I == kNumOpcodes) {
    fail(path + "." + std::string(kOpcodeKey), "unknown instruction \"" + std::string(name) + "\"");
  } else {
    using Op = std::variant_alternative_t<I, Operation>;
    if (Op::kMnemonic != name)
      return decode_by_mnemonic<I + 1>(name, j, path);
    Op op;
    std::set<std::string> known = {std::string(kOpcodeKey)};
    Op::for_each_field(op, [&](const char* field, auto& value) {
      known.insert(field);
      decode(member(j, field, path), path + "." + field, value);
    });
    reject_unknown_keys(j, known, path);
    return op;
  }
}

// "file:line" (the file may itself contain colons); the line is a positive decimal number.
SourceLocation parse_loc(const json& j, const std::string& path) {
  if (!j.is_string())
    fail(path, "expected file:line");
  const std::string loc = j.get<std::string>();
  const size_t colon = loc.rfind(':');
  if (colon == std::string::npos || colon + 1 == loc.size() || loc.size() - colon > 11) {
    fail(path, "expected file:line");
  }
  uint64_t line = 0;
  for (size_t i = colon + 1; i < loc.size(); ++i) {
    if (loc[i] < '0' || loc[i] > '9')
      fail(path, "expected file:line");
    line = line * 10 + static_cast<uint64_t>(loc[i] - '0');
  }
  if (line == 0 || line > std::numeric_limits<uint32_t>::max())
    fail(path, "expected file:line");
  return {std::string_view(loc).substr(0, colon), static_cast<uint32_t>(line)};
}

}  // namespace

json operation_to_json(const Operation& op) {
  return std::visit(
      [](const auto& o) {
        json j = {{kOpcodeKey, std::decay_t<decltype(o)>::kMnemonic}};
        std::decay_t<decltype(o)>::for_each_field(
            o, [&](const char* field, const auto& v) { j[field] = encode(v); });
        return j;
      },
      op);
}

Operation operation_from_json(const json& j, const std::string& path) {
  const json& op = member(j, std::string(kOpcodeKey), path);
  if (!op.is_string())
    fail(path + "." + std::string(kOpcodeKey), "expected a mnemonic");
  return decode_by_mnemonic(op.get<std::string>(), j, path);
}

json program_to_json(const Program& p) {
  json tensors = json::array();
  for (const auto& t : p.tensors) {
    tensors.push_back({{"name", t.name},
                       {"dtype", dtype_name(t.dtype)},
                       {"shape", t.shape},
                       {"kind", tensor_kind_name(t.kind)},
                       {"scope", tensor_scope_name(t.scope)}});
  }
  json sems = json::array();
  for (const auto& s : p.semaphores)
    sems.push_back({{"name", s.name}, {"initial", s.initial}});
  json streams = json::array();
  for (const auto& s : p.streams) {
    json instrs = json::array();
    for (const auto& in : s.instructions) {
      json ji = operation_to_json(in.op.get());
      if (!in.waits.empty()) {
        json w = json::array();
        for (const auto& c : in.waits) {
          // [sem, at_least], or [sem, at_least, consume] for a consuming (counting-semaphore) wait.
          w.push_back(c.consume ? json{c.sem, c.at_least, c.consume} : json{c.sem, c.at_least});
        }
        ji["waits"] = w;
      }
      if (in.loc.line)
        ji["loc"] = in.loc.file + ":" + std::to_string(in.loc.line);
      if (!in.counts)
        ji["counts"] = false;
      instrs.push_back(std::move(ji));
    }
    json js = {{"name", s.name},
               {"engine", engine_name(s.engine)},
               {"completion_sem", s.completion_sem},
               {"instructions", std::move(instrs)}};
    if (s.dge != DgeMode::kNone) {
      js["dge"] = dge_mode_name(s.dge);
      if (s.dge == DgeMode::kHardware)
        js["dge_trigger"] = engine_name(s.dge_trigger);
    }
    if (!s.emission_order.empty())
      js["emission_order"] = s.emission_order;
    streams.push_back(std::move(js));
  }
  json buffers = json::array();
  for (const auto& b : p.buffers) {
    buffers.push_back({{"name", b.name},
                       {"mem", mem_kind_name(b.mem)},
                       {"offset", b.offset},
                       {"bytes_per_partition", b.bytes_per_partition},
                       {"partitions", b.partitions},
                       {"first", {b.first.stream, b.first.index}},
                       {"last", {b.last.stream, b.last.index}}});
  }
  json out = {
      {"format", "trnsim-program-1"}, {"kernel", p.kernel}, {"core_id", p.core_id}, {"tensors", tensors},
      {"semaphores", sems},           {"streams", streams}, {"buffers", buffers}};
  if (!p.replica_groups.empty())
    out["replica_groups"] = p.replica_groups;  // [[[0, 4], [1, 5]], ...]
  if (!p.regions.empty()) {
    json regions = json::array();
    for (const Region& r : p.regions) {
      json ranges = json::array();
      for (const auto& [first, end] : r.ranges)
        ranges.push_back({first, end});
      regions.push_back({{"name", r.name}, {"ranges", ranges}});
    }
    out["regions"] = regions;  // [{"name": "step 1: attention_cte", "ranges": [[first, end] per stream]}]
  }
  return out;
}

Program program_from_json(const json& j) {
  const std::string root = "$";
  reject_unknown_keys(j,
                      {"format", "kernel", "core_id", "tensors", "semaphores", "streams", "buffers",
                       "replica_groups", "regions"},
                      root);
  if (member(j, "format", root) != "trnsim-program-1")
    fail("$.format", "expected \"trnsim-program-1\"");
  Program p;
  p.kernel = text(member(j, "kernel", root), "$.kernel");
  p.core_id = number<uint32_t>(member(j, "core_id", root), "$.core_id");
  const json& tensors = array(member(j, "tensors", root), "$.tensors");
  for (size_t i = 0; i < tensors.size(); ++i) {
    const std::string path = "$.tensors[" + std::to_string(i) + "]";
    const json& t = tensors[i];
    reject_unknown_keys(t, {"name", "dtype", "shape", "kind", "scope"}, path);
    TensorDecl d;
    d.name = text(member(t, "name", path), path + ".name");
    const json& dtype = member(t, "dtype", path);
    auto dt = dtype.is_string() ? dtype_from_name(dtype.get<std::string>()) : std::nullopt;
    if (!dt)
      fail(path + ".dtype", "unknown dtype");
    d.dtype = *dt;
    const json& shape = array(member(t, "shape", path), path + ".shape");
    for (size_t k = 0; k < shape.size(); ++k) {
      d.shape.push_back(number<int64_t>(shape[k], path + ".shape[" + std::to_string(k) + "]"));
    }
    const std::string kind = text(member(t, "kind", path), path + ".kind");
    if (kind == "input")
      d.kind = TensorKind::kInput;
    else if (kind == "output")
      d.kind = TensorKind::kOutput;
    else if (kind == "internal")
      d.kind = TensorKind::kInternal;
    else
      fail(path + ".kind", "expected input, output or internal");
    // Optional: programs written before scopes existed hold shared tensors only.
    if (t.contains("scope")) {
      const std::string scope = text(t.at("scope"), path + ".scope");
      if (scope == "private")
        d.scope = TensorScope::kPrivate;
      else if (scope != "shared")
        fail(path + ".scope", "expected shared or private");
    }
    p.tensors.push_back(std::move(d));
  }
  if (j.contains("replica_groups")) {
    const json& groups = array(j.at("replica_groups"), "$.replica_groups");
    for (size_t g = 0; g < groups.size(); ++g) {
      const std::string gpath = "$.replica_groups[" + std::to_string(g) + "]";
      ReplicaGroup group;
      const json& rows = array(groups[g], gpath);
      for (size_t r = 0; r < rows.size(); ++r) {
        const std::string rpath = gpath + "[" + std::to_string(r) + "]";
        std::vector<int32_t> row;
        const json& ranks = array(rows[r], rpath);
        for (size_t k = 0; k < ranks.size(); ++k)
          row.push_back(number<int32_t>(ranks[k], rpath + "[" + std::to_string(k) + "]"));
        group.push_back(std::move(row));
      }
      p.replica_groups.push_back(std::move(group));
    }
  }
  if (j.contains("regions")) {
    const json& regions = array(j.at("regions"), "$.regions");
    for (size_t i = 0; i < regions.size(); ++i) {
      const std::string path = "$.regions[" + std::to_string(i) + "]";
      reject_unknown_keys(regions[i], {"name", "ranges"}, path);
      Region r;
      r.name = text(member(regions[i], "name", path), path + ".name");
      const json& ranges = array(member(regions[i], "ranges", path), path + ".ranges");
      for (size_t k = 0; k < ranges.size(); ++k)
        r.ranges.push_back(int32_pair_of(ranges[k], path + ".ranges[" + std::to_string(k) + "]"));
      p.regions.push_back(std::move(r));
    }
  }
  const json& sems = array(member(j, "semaphores", root), "$.semaphores");
  for (size_t i = 0; i < sems.size(); ++i) {
    const std::string path = "$.semaphores[" + std::to_string(i) + "]";
    reject_unknown_keys(sems[i], {"name", "initial"}, path);
    p.semaphores.push_back({text(member(sems[i], "name", path), path + ".name"),
                            number<int64_t>(member(sems[i], "initial", path), path + ".initial")});
  }
  const json& streams = array(member(j, "streams", root), "$.streams");
  for (size_t si = 0; si < streams.size(); ++si) {
    const std::string path = "$.streams[" + std::to_string(si) + "]";
    const json& s = streams[si];
    reject_unknown_keys(
        s, {"name", "engine", "completion_sem", "instructions", "dge", "dge_trigger", "emission_order"},
        path);
    Stream st;
    st.name = text(member(s, "name", path), path + ".name");
    const std::string engine = text(member(s, "engine", path), path + ".engine");
    auto e = engine_from_name(engine);
    if (!e)
      fail(path + ".engine", "unknown engine \"" + engine +
                                 "\" (expected Tensor, Scalar, Vector, GpSimd, Sync, DMA or CC-core)");
    st.engine = *e;
    st.completion_sem = number<int32_t>(member(s, "completion_sem", path), path + ".completion_sem");
    if (auto d = s.find("dge"); d != s.end()) {
      const std::string mode = text(*d, path + ".dge");
      const auto m = dge_mode_from_name(mode);
      if (!m)
        fail(path + ".dge", "unknown DGE mode \"" + mode + "\" (expected none, hwdge or swdge)");
      st.dge = *m;
    }
    if (auto t = s.find("dge_trigger"); t != s.end()) {
      const std::string trigger = text(*t, path + ".dge_trigger");
      const auto e = engine_from_name(trigger);
      if (st.dge != DgeMode::kHardware || !e)
        fail(path + ".dge_trigger", "\"" + trigger +
                                        "\": only a hwdge queue names the sequencer that commands its DGE "
                                        "block (Sync or Scalar)");
      st.dge_trigger = *e;
    }
    const json& instrs = array(member(s, "instructions", path), path + ".instructions");
    for (size_t ii = 0; ii < instrs.size(); ++ii) {
      const std::string ipath = path + ".instructions[" + std::to_string(ii) + "]";
      if (!instrs[ii].is_object())
        fail(ipath, "expected an object");
      json body = instrs[ii];
      Instruction in;
      if (auto w = body.find("waits"); w != body.end()) {
        const json& waits = array(*w, ipath + ".waits");
        for (size_t k = 0; k < waits.size(); ++k) {
          const std::string wpath = ipath + ".waits[" + std::to_string(k) + "]";
          const json& wj = waits[k];
          if (!wj.is_array() || (wj.size() != 2 && wj.size() != 3))
            fail(wpath, "expected [sem, at_least] or [sem, at_least, consume]");
          const int64_t sem = number<int64_t>(wj[0], wpath + "[0]");
          const int64_t v = number<int64_t>(wj[1], wpath + "[1]");
          int64_t consume = 0;
          if (wj.size() == 3) {
            consume = number<int64_t>(wj[2], wpath + "[2]");
            if (consume <= 0)
              fail(wpath + "[2]", "consume must be positive (omit it for a plain wait)");
          }
          in.waits.push_back({to_int32(sem, wpath + "[0]"), v, consume});
        }
        body.erase("waits");
      }
      if (auto l = body.find("loc"); l != body.end()) {
        in.loc = parse_loc(*l, ipath + ".loc");
        body.erase("loc");
      }
      if (auto c = body.find("counts"); c != body.end()) {
        if (!c->is_boolean())
          fail(ipath + ".counts", "expected true or false");
        in.counts = c->get<bool>();
        body.erase("counts");
      }
      in.op = operation_from_json(body, ipath);
      st.instructions.push_back(std::move(in));
    }
    if (auto order = s.find("emission_order"); order != s.end()) {
      const std::string opath = path + ".emission_order";
      const json& list = array(*order, opath);
      if (list.size() != st.instructions.size())
        fail(opath, "expected one entry per instruction (" + std::to_string(st.instructions.size()) + ")");
      for (size_t k = 0; k < list.size(); ++k)
        st.emission_order.push_back(number<uint32_t>(list[k], opath + "[" + std::to_string(k) + "]"));
    }
    p.streams.push_back(std::move(st));
  }
  if (auto bs = j.find("buffers"); bs != j.end()) {
    array(*bs, "$.buffers");
    for (size_t i = 0; i < bs->size(); ++i) {
      const std::string path = "$.buffers[" + std::to_string(i) + "]";
      const json& b = (*bs)[i];
      reject_unknown_keys(b, {"name", "mem", "offset", "bytes_per_partition", "partitions", "first", "last"},
                          path);
      BufferLifetime bl;
      bl.name = text(member(b, "name", path), path + ".name");
      const json& mem = member(b, "mem", path);
      if (mem != "sbuf" && mem != "psum")
        fail(path + ".mem", "expected sbuf or psum");
      bl.mem = mem == "sbuf" ? MemKind::kSbuf : MemKind::kPsum;
      bl.offset = number<int64_t>(member(b, "offset", path), path + ".offset");
      bl.bytes_per_partition =
          number<int64_t>(member(b, "bytes_per_partition", path), path + ".bytes_per_partition");
      bl.partitions = number<int32_t>(member(b, "partitions", path), path + ".partitions");
      auto [fs, fi] = int32_pair_of(member(b, "first", path), path + ".first");
      auto [ls, li] = int32_pair_of(member(b, "last", path), path + ".last");
      bl.first = {fs, fi};
      bl.last = {ls, li};
      p.buffers.push_back(std::move(bl));
    }
  }
  return p;
}

}  // namespace tn::isa
