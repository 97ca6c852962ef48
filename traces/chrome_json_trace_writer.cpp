#include "traces/chrome_json_trace_writer.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ostream>
#include <stdexcept>
#include <type_traits>

namespace tn::trace {

namespace {

constexpr size_t kFlushBytes = 1u << 20;

template <typename Int>
void append_int(std::string& out, Int v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// ns -> microseconds with exactly 3 decimals: Perfetto turns a fractional `ts` into llround(x * 1000)
// ns (§2(a)), so this keeps full ns resolution.
void append_us(std::string& out, uint64_t ns) {
  append_int(out, ns / 1000);
  const auto frac = static_cast<unsigned>(ns % 1000);
  const char digits[4] = {'.', static_cast<char>('0' + frac / 100), static_cast<char>('0' + frac / 10 % 10),
                          static_cast<char>('0' + frac % 10)};
  out.append(digits, 4);
}

// Shortest round-trip form; always with a '.' or exponent so readers keep it a double. JSON has no
// NaN or infinity: those become null.
void append_double(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  const std::string_view s(buf, static_cast<size_t>(r.ptr - buf));
  out += s;
  if (s.find_first_of(".e") == std::string_view::npos) {
    out += ".0";
  }
}

// Length of the well-formed UTF-8 sequence at the start of `s` (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF), or 0 if it is not well formed.
size_t utf8_sequence_length(std::string_view s) {
  const auto b = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  const auto cont = [&](size_t i, uint8_t lo = 0x80, uint8_t hi = 0xBF) {
    return i < s.size() && b(i) >= lo && b(i) <= hi;
  };
  const uint8_t c = b(0);
  if (c < 0x80) {
    return 1;
  }
  if (c >= 0xC2 && c <= 0xDF) {
    return cont(1) ? 2 : 0;
  }
  if (c >= 0xE0 && c <= 0xEF) {
    const uint8_t lo = c == 0xE0 ? 0xA0 : 0x80;
    const uint8_t hi = c == 0xED ? 0x9F : 0xBF;
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    const uint8_t lo = c == 0xF0 ? 0x90 : 0x80;
    const uint8_t hi = c == 0xF4 ? 0x8F : 0xBF;
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<uint8_t>(s[i]);
    if (c >= 0x80) {
      const size_t n = utf8_sequence_length(s.substr(i));
      if (n == 0) {
        out += "\\ufffd";
        ++i;
      } else {
        out.append(s.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
}

}  // namespace

ChromeJsonTraceWriter::ChromeJsonTraceWriter(std::ostream& out) : m_out(&out) {
  m_buf = "{\"traceEvents\":[\n";
}

ChromeJsonTraceWriter::ChromeJsonTraceWriter(const std::filesystem::path& path)
    : m_file(std::make_unique<std::ofstream>(path, std::ios::binary | std::ios::trunc)), m_out(m_file.get()) {
  if (!*m_file) {
    throw std::runtime_error("ChromeJsonTraceWriter: cannot open " + path.string());
  }
  m_buf = "{\"traceEvents\":[\n";
}

ChromeJsonTraceWriter::~ChromeJsonTraceWriter() {
  if (!m_finished) {
    try {
      finish();
    } catch (...) {
      // A destructor must not throw; callers who care about errors call finish() themselves.
    }
  }
}

void ChromeJsonTraceWriter::check_open(std::string_view call) const {
  if (m_finished) {
    throw std::logic_error("ChromeJsonTraceWriter::" + std::string(call) + " after finish()");
  }
}

void ChromeJsonTraceWriter::begin_event() {
  if (!m_first_event) {
    m_buf += ",\n";
  }
  m_first_event = false;
  m_buf += '{';
}

void ChromeJsonTraceWriter::end_event() {
  m_buf += '}';
  if (m_buf.size() >= kFlushBytes) {
    flush();
  }
}

void ChromeJsonTraceWriter::flush() {
  m_out->write(m_buf.data(), static_cast<std::streamsize>(m_buf.size()));
  m_flushed_bytes += m_buf.size();
  m_buf.clear();
}

TrackId ChromeJsonTraceWriter::add_process(uint32_t pid, std::string_view name) {
  check_open("add_process");
  begin_event();
  m_buf += R"("ph":"M","name":"process_name","pid":)";
  append_int(m_buf, pid);
  m_buf += R"(,"args":{"name":)";
  append_json_string(m_buf, name);
  m_buf += '}';
  end_event();
  begin_event();
  m_buf += R"("ph":"M","name":"process_sort_index","pid":)";
  append_int(m_buf, pid);
  m_buf += R"(,"args":{"sort_index":)";
  append_int(m_buf, m_process_count++);
  m_buf += '}';
  end_event();
  Track t;
  t.kind = TrackKind::kProcess;
  t.pid = pid;
  t.name = name;
  return m_tracks.add(std::move(t));
}

uint32_t ChromeJsonTraceWriter::add_lane(Track& t) {
  const auto lane = static_cast<uint32_t>(t.lane_tids.size());
  const uint32_t tid = kTidBase + ++m_tid_count;
  t.lane_tids.push_back(tid);
  begin_event();
  m_buf += R"("ph":"M","name":"thread_name","pid":)";
  append_int(m_buf, t.pid);
  m_buf += R"(,"tid":)";
  append_int(m_buf, tid);
  m_buf += R"(,"args":{"name":)";
  append_json_string(m_buf, lane == 0 ? t.name : t.name + " #" + std::to_string(lane));
  m_buf += '}';
  end_event();
  begin_event();
  m_buf += R"("ph":"M","name":"thread_sort_index","pid":)";
  append_int(m_buf, t.pid);
  m_buf += R"(,"tid":)";
  append_int(m_buf, tid);
  m_buf += R"(,"args":{"sort_index":)";
  append_int(m_buf, int64_t{t.rank} * kLaneSortStride + lane);
  m_buf += '}';
  end_event();
  return tid;
}

TrackId ChromeJsonTraceWriter::add_slice_track(TrackId process, std::string_view name, int rank) {
  check_open("add_slice_track");
  const Track& p = m_tracks.get(process, TrackKind::kProcess, "add_slice_track");
  Track t;
  t.kind = TrackKind::kSlice;
  t.pid = p.pid;
  t.rank = rank;
  t.name = name;
  add_lane(t);
  return m_tracks.add(std::move(t));
}

TrackId ChromeJsonTraceWriter::add_counter_track(TrackId process, std::string_view name,
                                                 std::string_view unit, int rank) {
  check_open("add_counter_track");
  const Track& p = m_tracks.get(process, TrackKind::kProcess, "add_counter_track");
  // JSON has no counter descriptors: the track exists through its `C` events, ordered by the UI.
  Track t;
  t.kind = TrackKind::kCounter;
  t.pid = p.pid;
  t.rank = rank;
  t.name = name;
  t.counter_key = unit.empty() ? std::string("value") : std::string(unit);
  return m_tracks.add(std::move(t));
}

uint32_t ChromeJsonTraceWriter::lane_count(TrackId slice_track) const {
  return m_tracks.get(slice_track, TrackKind::kSlice, "lane_count").lanes.lane_count();
}

void ChromeJsonTraceWriter::write_flow_event(char phase, uint64_t id, const FlowEnd& at) {
  begin_event();
  m_buf += R"("ph":")";
  m_buf += phase;
  m_buf += R"(","name":"flow","cat":"flow","id":"0x)";
  char buf[20];
  const auto r = std::to_chars(buf, buf + sizeof buf, id, 16);
  m_buf.append(buf, r.ptr);
  m_buf += R"(","pid":)";
  append_int(m_buf, at.pid);
  m_buf += R"(,"tid":)";
  append_int(m_buf, at.tid);
  m_buf += R"(,"ts":)";
  append_us(m_buf, at.mid_ns);
  if (phase == 'f') {
    m_buf += R"(,"bp":"e")";  // bind to the enclosing slice, not the next one
  }
  end_event();
}

void ChromeJsonTraceWriter::slice(TrackId track, std::string_view name, uint64_t start_ns, uint64_t end_ns,
                                  std::span<const Arg> args, std::span<const uint64_t> flow_ids) {
  check_open("slice");
  Track& t = m_tracks.get(track, TrackKind::kSlice, "slice");
  end_ns = std::max(end_ns, start_ns);
  const LaneAllocator::Placement lane = t.lanes.place(start_ns, end_ns);
  if (lane.lane >= t.lane_tids.size()) {
    add_lane(t);
  }
  const uint32_t tid = t.lane_tids[lane.lane];

  begin_event();
  m_buf += R"("ph":"X","name":)";
  append_json_string(m_buf, name);
  m_buf += R"(,"pid":)";
  append_int(m_buf, t.pid);
  m_buf += R"(,"tid":)";
  append_int(m_buf, tid);
  m_buf += R"(,"ts":)";
  append_us(m_buf, start_ns);
  m_buf += R"(,"dur":)";
  append_us(m_buf, end_ns - start_ns);
  if (!args.empty()) {
    m_buf += R"(,"args":{)";
    bool first = true;
    for (const Arg& a : args) {
      if (!first) {
        m_buf += ',';
      }
      first = false;
      append_json_string(m_buf, a.key);
      m_buf += ':';
      std::visit(
          [&](const auto& v) {
            using V = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<V, int64_t>) {
              append_int(m_buf, v);
            } else if constexpr (std::is_same_v<V, double>) {
              append_double(m_buf, v);
            } else {
              append_json_string(m_buf, v);
            }
          },
          a.value);
    }
    m_buf += '}';
  }
  end_event();

  const FlowEnd here{t.pid, tid, start_ns + (end_ns - start_ns) / 2, start_ns};
  for (const uint64_t id : flow_ids) {
    if (const std::optional<FlowEnd> first = m_flows.match(id, here)) {
      // Source = the slice that starts first (ties: the one reported first).
      const bool first_is_source = first->start_ns <= here.start_ns;
      write_flow_event('s', id, first_is_source ? *first : here);
      write_flow_event('f', id, first_is_source ? here : *first);
    }
  }
}

void ChromeJsonTraceWriter::counter(TrackId track, uint64_t ts_ns, double value) {
  check_open("counter");
  const Track& t = m_tracks.get(track, TrackKind::kCounter, "counter");
  begin_event();
  m_buf += R"("ph":"C","name":)";
  append_json_string(m_buf, t.name);
  m_buf += R"(,"pid":)";
  append_int(m_buf, t.pid);
  m_buf += R"(,"ts":)";
  append_us(m_buf, ts_ns);
  m_buf += R"(,"args":{)";
  append_json_string(m_buf, t.counter_key);
  m_buf += ':';
  append_double(m_buf, value);
  m_buf += '}';
  end_event();
}

void ChromeJsonTraceWriter::finish() {
  check_open("finish");
  m_finished = true;
  m_buf += "\n]}\n";
  flush();
  m_out->flush();
  if (m_file) {
    m_file->close();
  }
  if (m_out->fail()) {
    throw std::runtime_error("ChromeJsonTraceWriter: writing the trace failed");
  }
}

}  // namespace tn::trace
