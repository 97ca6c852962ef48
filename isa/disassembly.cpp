#include "isa/disassembly.hpp"

#include <charconv>
#include <iomanip>
#include <sstream>

namespace tn::isa {

namespace {
// Appends with std::to_chars, not an ostream: the trace formats every instruction's operands, and an
// ostringstream per instruction was most of that cost. Text is what `s << v` with setprecision(9) wrote.
void print(std::string& s, const AccessPattern& ap) { append(s, ap); }
void print(std::string& s, const OptionalAp& v) {
  if (v.present) {
    print(s, v.ap);
  } else {
    s += "none";
  }
}
void print(std::string& s, float v);
void print(std::string& s, const ScalarOperand& v) {
  if (v.is_ap) {
    print(s, v.ap);
  } else {
    print(s, v.imm);
  }
}
void print(std::string& s, int64_t v) { append_decimal(s, v); }
void print(std::string& s, int32_t v) { append_decimal(s, v); }
void print(std::string& s, float v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, double(v), std::chars_format::general, 9);
  s.append(buf, r.ptr);
}
void print(std::string& s, const Steps& v) {
  s += '[';
  for (size_t i = 0; i < v.size(); ++i) {
    if (i)
      s += ',';
    append_decimal(s, v[i]);
  }
  s += ']';
}
// A mask as its distinct runs, e.g. [0 x32] for a broadcast or [1,0,3,2,...].
void print(std::string& s, const ShuffleMask& v) {
  s += '[';
  for (size_t i = 0; i < v.size();) {
    size_t j = i;
    while (j < v.size() && v[j] == v[i])
      ++j;
    if (i)
      s += ',';
    if (v[i] == kShuffleKeep)
      s += "keep";
    else
      append_decimal(s, int(v[i]));
    if (j - i > 1) {
      s += " x";
      append_decimal(s, int64_t(j - i));
    }
    i = j;
  }
  s += ']';
}
void print(std::string& s, bool v) { s += v ? "true" : "false"; }
void print(std::string& s, AluOp v) { s += name_of(v); }
void print(std::string& s, ActFunc v) { s += name_of(v); }
void print(std::string& s, CmpOp v) { s += name_of(v); }
void print(std::string& s, BranchCond v) { s += name_of(v); }
void print(std::string& s, const RegOrImm& v) {
  if (v.is_reg)
    s += 'r';
  append_decimal(s, v.value);
}
}  // namespace

std::string disassemble(const Operation& op) {
  std::string s;
  s.reserve(160);
  std::visit(
      [&](const auto& o) {
        s += std::decay_t<decltype(o)>::kMnemonic;
        const char* sep = " ";
        std::decay_t<decltype(o)>::for_each_field(o, [&](const char* field, const auto& v) {
          s += sep;
          s += field;
          s += '=';
          print(s, v);
          sep = ", ";
        });
      },
      op);
  return s;
}

void disassemble(const Program& p, std::ostream& out) {
  out << "; kernel " << p.kernel << ", core " << p.core_id << ", " << p.num_instructions()
      << " instructions\n";
  for (size_t i = 0; i < p.tensors.size(); ++i) {
    const auto& t = p.tensors[i];
    out << "; tensor t" << i << " " << t.name << " " << dtype_name(t.dtype) << " [";
    for (size_t k = 0; k < t.shape.size(); ++k)
      out << (k ? "," : "") << t.shape[k];
    out << "] " << tensor_kind_name(t.kind) << (t.scope == TensorScope::kPrivate ? " private" : "") << "\n";
  }
  for (size_t g = 0; g < p.replica_groups.size(); ++g) {
    out << "; replica group " << g << " [";
    for (size_t r = 0; r < p.replica_groups[g].size(); ++r) {
      out << (r ? ", [" : "[");
      for (size_t k = 0; k < p.replica_groups[g][r].size(); ++k)
        out << (k ? "," : "") << p.replica_groups[g][r][k];
      out << "]";
    }
    out << "]\n";
  }
  for (const Region& r : p.regions) {
    out << "; region \"" << r.name << "\":";
    for (size_t s = 0; s < r.ranges.size() && s < p.streams.size(); ++s) {
      if (r.ranges[s].first < r.ranges[s].second)
        out << " " << p.streams[s].name << "[" << r.ranges[s].first << ":" << r.ranges[s].second << "]";
    }
    out << "\n";
  }
  for (const auto& s : p.streams) {
    out << "\n"
        << s.name << ":  ; " << engine_name(s.engine) << " engine, completion semaphore S["
        << s.completion_sem << "]";
    if (s.dge != DgeMode::kNone) {
      out << ", " << dge_mode_name(s.dge);
      if (s.dge == DgeMode::kHardware)
        out << " commanded by " << engine_name(s.dge_trigger);
    }
    out << "\n";
    for (size_t i = 0; i < s.instructions.size(); ++i) {
      const auto& in = s.instructions[i];
      out << "  " << std::setw(6) << i << (in.counts ? "  " : " ~");  // ~: in a runtime loop, not counted
      for (const auto& w : in.waits) {
        // Bounds-checked: listing a program is how one debugs an invalid one.
        const bool known = w.sem >= 0 && static_cast<size_t>(w.sem) < p.semaphores.size();
        out << "wait S[" << w.sem << "](" << (known ? p.semaphores[w.sem].name : "?") << ")>=" << w.at_least;
        if (w.consume)
          out << " consume " << w.consume;
        out << "; ";
      }
      out << disassemble(in.op.get());
      if (in.loc.line)
        out << "  ; " << in.loc.file << ":" << in.loc.line;
      out << "\n";
    }
  }
}

}  // namespace tn::isa
