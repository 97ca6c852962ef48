#include "traces/perfetto_trace_writer.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <ostream>
#include <stdexcept>
#include <variant>

#include "traces/perfetto_fields.hpp"

namespace tn::trace {

namespace {

// Staged packets are handed to the stream once this many bytes have accumulated.
constexpr size_t kFlushBytes = 1u << 20;

// Lanes of one logical track share this key so the UI merges them into one row; the key is unique
// per logical track, so two distinct tracks that happen to share a name are not merged.
std::string lane_merge_key(uint64_t logical_uuid) { return "tn-lanes-" + std::to_string(logical_uuid); }

}  // namespace

PerfettoTraceWriter::PerfettoTraceWriter(std::ostream& out) : m_out(&out) {}

PerfettoTraceWriter::PerfettoTraceWriter(const std::filesystem::path& path)
    : m_file(std::make_unique<std::ofstream>(path, std::ios::binary | std::ios::trunc)), m_out(m_file.get()) {
  if (!*m_file) {
    throw std::runtime_error("PerfettoTraceWriter: cannot open " + path.string());
  }
}

PerfettoTraceWriter::~PerfettoTraceWriter() {
  if (!m_finished) {
    try {
      finish();
    } catch (...) {
      // A destructor must not throw; callers who care about errors call finish() themselves.
    }
  }
}

void PerfettoTraceWriter::check_open(std::string_view call) const {
  if (m_finished) {
    throw std::logic_error("PerfettoTraceWriter::" + std::string(call) + " after finish()");
  }
}

uint64_t PerfettoTraceWriter::intern(StringInterner& table, std::vector<uint64_t>& fresh, std::string_view s,
                                     bool stable) {
  const StringInterner::Result r = stable ? table.intern_stable(s) : table.intern(s);
  if (r.fresh) {
    fresh.push_back(r.iid);
  }
  return r.iid;
}

uint64_t PerfettoTraceWriter::stable_iid_at(std::span<KeyAt> cache, size_t position, StringInterner& table,
                                            std::vector<uint64_t>& fresh, std::string_view text) {
  if (position >= cache.size())
    return intern(table, fresh, text, true);
  KeyAt& cached = cache[position];
  if (cached.data == text.data() && cached.size == text.size() && cached.iid != 0)
    return cached.iid;  // stable text at the same address is the same text, interned before
  const uint64_t iid = intern(table, fresh, text, true);
  cached = KeyAt{text.data(), text.size(), iid};
  return iid;
}

void PerfettoTraceWriter::write_interned(uint32_t field, const StringInterner& table,
                                         const std::vector<uint64_t>& fresh) {
  for (const uint64_t iid : fresh) {
    m_pw.begin_nested(field);
    m_pw.varint(pf::interned::kEntryIid, iid);
    m_pw.bytes(pf::interned::kEntryName, table.text(iid));
    m_pw.end_nested();
  }
}

void PerfettoTraceWriter::begin_descriptor_packet() {
  m_pw.begin_nested(pf::trace::kPacket);
  m_pw.varint(pf::packet::kTrustedPacketSequenceId, kDescriptorSequenceId);
}

PerfettoTraceWriter::Sequence& PerfettoTraceWriter::sequence_of(Track& t, size_t lane, uint64_t track_uuid) {
  if (t.lane_sequences.size() <= lane)
    t.lane_sequences.resize(lane + 1, 0);
  if (t.lane_sequences[lane] != 0)
    return *m_sequences[t.lane_sequences[lane] - 1];
  auto seq = std::make_unique<Sequence>();
  seq->id = static_cast<uint32_t>(m_sequences.size() + 2);
  // The sequence's first packet: clear its incremental state, set its defaults and define its clock.
  m_pw.begin_nested(pf::trace::kPacket);
  m_pw.varint(pf::packet::kTrustedPacketSequenceId, seq->id);
  m_pw.varint(pf::packet::kSequenceFlags, pf::packet::kSeqIncrementalStateCleared);
  m_pw.begin_nested(pf::packet::kTracePacketDefaults);
  m_pw.varint(pf::defaults::kTimestampClockId, kIncrementalClockId);
  m_pw.begin_nested(pf::defaults::kTrackEventDefaults);
  m_pw.varint(pf::defaults::kTrackUuid, track_uuid);
  m_pw.end_nested();
  m_pw.end_nested();
  // BOOTTIME 0 is clock 64's 0, so decoded times are the plain ns the caller gave. (Every sequence's
  // snapshot says BOOTTIME 0: the trace clock must not go back between snapshots, and equal is allowed.)
  m_pw.begin_nested(pf::packet::kClockSnapshot);
  m_pw.begin_nested(pf::clock::kClocks);
  m_pw.varint(pf::clock::kClockId, pf::clock::kBoottime);
  m_pw.varint(pf::clock::kTimestamp, 0);
  m_pw.end_nested();
  m_pw.begin_nested(pf::clock::kClocks);
  m_pw.varint(pf::clock::kClockId, kIncrementalClockId);
  m_pw.varint(pf::clock::kTimestamp, 0);
  m_pw.varint(pf::clock::kIsIncremental, 1);
  m_pw.varint(pf::clock::kUnitMultiplierNs, 1);
  m_pw.end_nested();
  m_pw.end_nested();
  end_packet();
  m_sequences.push_back(std::move(seq));
  t.lane_sequences[lane] = static_cast<uint32_t>(m_sequences.size());
  return *m_sequences.back();
}

namespace {
constexpr uint64_t varint_tag(uint32_t field) { return (uint64_t(field) << 3) | uint64_t(WireType::kVarint); }
constexpr uint64_t nested_tag(uint32_t field) {
  return (uint64_t(field) << 3) | uint64_t(WireType::kLengthDelimited);
}
}  // namespace

char* PerfettoTraceWriter::put_event_header(char* p, Sequence& seq, uint64_t ts_ns) {
  p = put_varint(put_varint(p, varint_tag(pf::packet::kTrustedPacketSequenceId)), seq.id);
  if (ts_ns >= seq.last_ns) {
    p = put_varint(put_varint(p, varint_tag(pf::packet::kTimestamp)), ts_ns - seq.last_ns);
    seq.last_ns = ts_ns;
  } else {
    p = put_varint(put_varint(p, varint_tag(pf::packet::kTimestamp)), ts_ns);
    p = put_varint(put_varint(p, varint_tag(pf::packet::kTimestampClockId)), pf::clock::kBoottime);
  }
  // Every event packet depends on the sequence's defaults and clock, and most on its interned ids.
  return put_varint(put_varint(p, varint_tag(pf::packet::kSequenceFlags)),
                    pf::packet::kSeqNeedsIncrementalState);
}

void PerfettoTraceWriter::begin_event_packet(Sequence& seq, uint64_t ts_ns) {
  m_pw.begin_nested(pf::trace::kPacket);
  char header[kMaxEventHeader];
  m_pw.raw(std::string_view(header, size_t(put_event_header(header, seq, ts_ns) - header)));
}

void PerfettoTraceWriter::write_slice_end(Sequence& seq, uint64_t ts_ns) {
  // The whole packet at once (the same bytes as begin_event_packet, a nested track_event and end_packet):
  // it is short, so its length is one byte.
  char body[kMaxEventHeader + 8];
  char* p = put_event_header(body, seq, ts_ns);
  p = put_varint(p, nested_tag(pf::packet::kTrackEvent));
  *p++ = 2;  // the track_event's length: a type field of two bytes
  p = put_varint(put_varint(p, varint_tag(pf::event::kType)), pf::event::kTypeSliceEnd);
  const size_t length = size_t(p - body);
  static_assert(sizeof(body) < 128, "a one-byte length");
  char packet[sizeof(body) + 2];
  char* q = put_varint(packet, nested_tag(pf::trace::kPacket));
  *q++ = static_cast<char>(length);
  std::memcpy(q, body, length);
  m_pw.raw(std::string_view(packet, size_t(q + length - packet)));
  flush_if_full();
}

void PerfettoTraceWriter::end_packet() {
  m_pw.end_nested();
  flush_if_full();
}

void PerfettoTraceWriter::flush_if_full() {
  if (m_pw.size() >= kFlushBytes) {
    flush();
  }
}

void PerfettoTraceWriter::flush() {
  const std::string_view bytes = m_pw.data();
  m_out->write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  m_flushed_bytes += bytes.size();
  m_pw.clear();
}

TrackId PerfettoTraceWriter::add_process(uint32_t pid, std::string_view name) {
  check_open("add_process");
  Track t;
  t.kind = TrackKind::kProcess;
  t.uuid = new_uuid();
  t.name = name;
  // A process track is a root: no parent_uuid (§2(b), perfetto #940).
  begin_descriptor_packet();
  m_pw.begin_nested(pf::packet::kTrackDescriptor);
  m_pw.varint(pf::track::kUuid, t.uuid);
  m_pw.begin_nested(pf::track::kProcess);
  m_pw.varint(pf::process::kPid, pid);
  m_pw.bytes(pf::process::kProcessName, name);
  m_pw.end_nested();
  m_pw.varint(pf::track::kChildOrdering, pf::track::kChildOrderingExplicit);
  m_pw.end_nested();
  end_packet();
  return m_tracks.add(std::move(t));
}

void PerfettoTraceWriter::write_slice_track_descriptor(const Track& t, uint64_t uuid) {
  begin_descriptor_packet();
  m_pw.begin_nested(pf::packet::kTrackDescriptor);
  m_pw.varint(pf::track::kUuid, uuid);
  m_pw.varint(pf::track::kParentUuid, t.parent_uuid);
  m_pw.bytes(pf::track::kName, t.name);
  m_pw.int64(pf::track::kSiblingOrderRank, t.rank);
  m_pw.varint(pf::track::kSiblingMergeBehavior, pf::track::kMergeBySiblingMergeKey);
  m_pw.bytes(pf::track::kSiblingMergeKey, lane_merge_key(t.uuid));
  m_pw.end_nested();
  end_packet();
}

TrackId PerfettoTraceWriter::add_slice_track(TrackId process, std::string_view name, int rank) {
  check_open("add_slice_track");
  const Track& p = m_tracks.get(process, TrackKind::kProcess, "add_slice_track");
  Track t;
  t.kind = TrackKind::kSlice;
  t.uuid = new_uuid();
  t.parent_uuid = p.uuid;
  t.rank = rank;
  t.name = name;
  t.lane_uuids.push_back(t.uuid);
  write_slice_track_descriptor(t, t.uuid);
  return m_tracks.add(std::move(t));
}

TrackId PerfettoTraceWriter::add_counter_track(TrackId process, std::string_view name, std::string_view unit,
                                               int rank) {
  check_open("add_counter_track");
  const Track& p = m_tracks.get(process, TrackKind::kProcess, "add_counter_track");
  Track t;
  t.kind = TrackKind::kCounter;
  t.uuid = new_uuid();
  t.parent_uuid = p.uuid;
  t.rank = rank;
  t.name = name;
  begin_descriptor_packet();
  m_pw.begin_nested(pf::packet::kTrackDescriptor);
  m_pw.varint(pf::track::kUuid, t.uuid);
  m_pw.varint(pf::track::kParentUuid, t.parent_uuid);
  m_pw.bytes(pf::track::kName, name);
  m_pw.begin_nested(pf::track::kCounter);  // present even when empty: it makes this a counter track
  if (!unit.empty()) {
    m_pw.bytes(pf::counter::kUnitName, unit);  // free text; the `unit` enum only knows ns/count/bytes
  }
  m_pw.end_nested();
  m_pw.int64(pf::track::kSiblingOrderRank, rank);
  // Counters with equal names stay separate rows: merging counter tracks makes no sense.
  m_pw.varint(pf::track::kSiblingMergeBehavior, pf::track::kMergeNone);
  m_pw.end_nested();
  end_packet();
  return m_tracks.add(std::move(t));
}

uint32_t PerfettoTraceWriter::lane_count(TrackId slice_track) const {
  return m_tracks.get(slice_track, TrackKind::kSlice, "lane_count").lanes.lane_count();
}

size_t PerfettoTraceWriter::Sequence::first_slot_of(uint64_t key) const {
  return size_t(key * 0x9E3779B97F4A7C15ull >> 32) & (repeated.size() - 1);
}

const PerfettoTraceWriter::Sequence::Repeated* PerfettoTraceWriter::Sequence::find_repeated(
    uint64_t key) const {
  const size_t mask = repeated.size() - 1;
  for (size_t i = first_slot_of(key);; i = (i + 1) & mask) {
    if (repeated[i].key == key)
      return &repeated[i];
    if (repeated[i].key == 0)
      return nullptr;
  }
}

void PerfettoTraceWriter::Sequence::add_repeated(const Repeated& r) {
  if (2 * (repeated_count + 1) > repeated.size()) {
    std::vector<Repeated> old(repeated.size() * 2);
    old.swap(repeated);
    repeated_count = 0;
    for (const Repeated& e : old) {
      if (e.key != 0)
        add_repeated(e);
    }
  }
  const size_t mask = repeated.size() - 1;
  size_t i = first_slot_of(r.key);
  while (repeated[i].key != 0)
    i = (i + 1) & mask;
  repeated[i] = r;
  ++repeated_count;
}

void PerfettoTraceWriter::slice(TrackId track, std::string_view name, uint64_t start_ns, uint64_t end_ns,
                                std::span<const Arg> args, std::span<const uint64_t> flow_ids) {
  slice_with_repeats(track, name, start_ns, end_ns, args, flow_ids, RepeatedArgs{});
}

void PerfettoTraceWriter::write_annotation(const Arg& a, uint64_t key_iid, uint64_t value_iid) {
  if (key_iid != 0) {  // the usual shapes: an interned name and a number or an interned string
    using pf::annotation::kNameIid;
    if (const auto* v = std::get_if<int64_t>(&a.value)) {
      m_pw.pair_message(pf::event::kDebugAnnotations, kNameIid, key_iid, pf::annotation::kIntValue,
                        uint64_t(*v), false);
      return;
    }
    if (const auto* d = std::get_if<double>(&a.value)) {
      m_pw.pair_message(pf::event::kDebugAnnotations, kNameIid, key_iid, pf::annotation::kDoubleValue,
                        std::bit_cast<uint64_t>(*d), true);
      return;
    }
    if (value_iid != 0) {
      m_pw.pair_message(pf::event::kDebugAnnotations, kNameIid, key_iid, pf::annotation::kStringValueIid,
                        value_iid, false);
      return;
    }
  }
  m_pw.begin_nested(pf::event::kDebugAnnotations);
  if (key_iid != 0) {
    m_pw.varint(pf::annotation::kNameIid, key_iid);
  } else {
    m_pw.bytes(pf::annotation::kName, a.key);
  }
  if (const auto* v = std::get_if<int64_t>(&a.value)) {
    m_pw.int64(pf::annotation::kIntValue, *v);
  } else if (const auto* d = std::get_if<double>(&a.value)) {
    m_pw.double_(pf::annotation::kDoubleValue, *d);
  } else if (value_iid != 0) {
    m_pw.varint(pf::annotation::kStringValueIid, value_iid);
  } else {
    m_pw.bytes(pf::annotation::kStringValue, std::get<std::string_view>(a.value));
  }
  m_pw.end_nested();
}

void PerfettoTraceWriter::slice_with_repeats(TrackId track, std::string_view name, uint64_t start_ns,
                                             uint64_t end_ns, std::span<const Arg> args,
                                             std::span<const uint64_t> flow_ids,
                                             const RepeatedArgs& repeats) {
  check_open("slice");
  Track& t = m_tracks.get(track, TrackKind::kSlice, "slice");
  end_ns = std::max(end_ns, start_ns);

  const LaneAllocator::Placement lane = t.lanes.place(start_ns, end_ns);
  if (lane.is_new && lane.lane > 0) {
    const uint64_t uuid = new_uuid();
    t.lane_uuids.push_back(uuid);
    write_slice_track_descriptor(t, uuid);  // defined before its first event (§2(b))
  }
  const uint64_t track_uuid = t.lane_uuids[lane.lane];
  Sequence& seq = sequence_of(t, lane.lane, track_uuid);

  m_fresh_event_names.clear();
  m_fresh_annotation_names.clear();
  m_fresh_string_values.clear();
  if (m_arg_iids.size() < args.size())
    m_arg_iids.resize(args.size());
  // The args [0, prefix) and [suffix_from, n) either come as bytes kept from an earlier slice of this key
  // on this lane (`kept`), or are encoded here and kept.
  const size_t n = args.size();
  const bool keyed = repeats.key != 0 && size_t(repeats.prefix) + repeats.suffix <= n;
  const size_t prefix = keyed ? repeats.prefix : 0, suffix_from = keyed ? n - repeats.suffix : n;
  const Sequence::Repeated* kept = keyed ? seq.find_repeated(repeats.key) : nullptr;
  const size_t encoded_from = kept ? prefix : 0, encoded_to = kept ? suffix_from : n;
  // Names and keys stay valid and unchanged until finish() (TraceSink::slice): interned by pointer.
  const uint64_t name_iid = stable_iid_at(seq.event_name_at, 0, seq.event_names, m_fresh_event_names, name);
  for (size_t i = encoded_from; i < encoded_to; ++i) {
    const Arg& a = args[i];
    const uint64_t key_iid =
        stable_iid_at(seq.key_at, i, seq.annotation_names, m_fresh_annotation_names, a.key);
    uint64_t value_iid = 0;
    if (const auto* text = std::get_if<std::string_view>(&a.value)) {
      value_iid = a.stable_text
                      ? stable_iid_at(seq.value_at, i, seq.string_values, m_fresh_string_values, *text)
                      : intern(seq.string_values, m_fresh_string_values, *text, false);
    }
    m_arg_iids[i] = {key_iid, value_iid};
  }

  // SLICE_BEGIN
  begin_event_packet(seq, start_ns);
  if (!m_fresh_event_names.empty() || !m_fresh_annotation_names.empty() || !m_fresh_string_values.empty()) {
    m_pw.begin_nested(pf::packet::kInternedData);
    write_interned(pf::interned::kEventNames, seq.event_names, m_fresh_event_names);
    write_interned(pf::interned::kDebugAnnotationNames, seq.annotation_names, m_fresh_annotation_names);
    write_interned(pf::interned::kDebugAnnotationStringValues, seq.string_values, m_fresh_string_values);
    m_pw.end_nested();
  }
  m_pw.begin_nested(pf::packet::kTrackEvent);
  m_pw.varint(pf::event::kType, pf::event::kTypeSliceBegin);
  if (name_iid != 0) {
    m_pw.varint(pf::event::kNameIid, name_iid);
  } else {
    m_pw.bytes(pf::event::kName, name);
  }
  if (kept) {
    const char* bytes = seq.repeated_bytes.data() + kept->offset;
    m_pw.raw(std::string_view(bytes, kept->prefix_bytes));
    for (size_t i = prefix; i < suffix_from; ++i)
      write_annotation(args[i], m_arg_iids[i].first, m_arg_iids[i].second);
    m_pw.raw(std::string_view(bytes + kept->prefix_bytes, kept->suffix_bytes));
  } else {
    const size_t begin = m_pw.size();
    size_t prefix_end = begin, suffix_begin = begin;
    for (size_t i = 0; i < n; ++i) {
      if (i == suffix_from)
        suffix_begin = m_pw.size();
      write_annotation(args[i], m_arg_iids[i].first, m_arg_iids[i].second);
      if (i + 1 == prefix)
        prefix_end = m_pw.size();
    }
    const size_t end = m_pw.size();
    if (suffix_from == n)
      suffix_begin = end;
    if (keyed && prefix_end - begin <= UINT16_MAX && end - suffix_begin <= UINT16_MAX) {
      const std::string_view written = m_pw.data();
      Sequence::Repeated r;
      r.key = repeats.key;
      r.offset = static_cast<uint32_t>(seq.repeated_bytes.size());
      r.prefix_bytes = static_cast<uint16_t>(prefix_end - begin);
      r.suffix_bytes = static_cast<uint16_t>(end - suffix_begin);
      seq.repeated_bytes.append(written.substr(begin, r.prefix_bytes));
      seq.repeated_bytes.append(written.substr(suffix_begin, r.suffix_bytes));
      seq.add_repeated(r);
    }
  }
  for (const uint64_t id : flow_ids) {
    // The second slice of a pair terminates the flow so the id may be reused, but only if it is also
    // the later one: trace processor parses events in timestamp order and drops a terminating id it
    // has not seen begin. An earlier second slice gets a plain flow_id; the FlowTracker then links
    // the two when it reaches the later one (direction always comes from timestamps).
    const std::optional<FlowEnd> first = m_flows.match(id, FlowEnd{start_ns});
    const bool terminating = first && start_ns >= first->start_ns;
    m_pw.fixed64(terminating ? pf::event::kTerminatingFlowIds : pf::event::kFlowIds, id);
  }
  m_pw.end_nested();
  end_packet();

  // SLICE_END: closes the most recent open slice of the lane, which is the one just begun.
  write_slice_end(seq, end_ns);
}

void PerfettoTraceWriter::counter(TrackId track, uint64_t ts_ns, double value) {
  check_open("counter");
  Track& t = m_tracks.get(track, TrackKind::kCounter, "counter");
  Sequence& seq = sequence_of(t, 0, t.uuid);
  begin_event_packet(seq, ts_ns);
  m_pw.begin_nested(pf::packet::kTrackEvent);
  m_pw.varint(pf::event::kType, pf::event::kTypeCounter);
  // Doubles hold every integer below 2^53 exactly, so the int64 form decodes to the same value (-0.0
  // and negative values stay doubles: zig-zag-free int64 varints of negatives take 10 bytes).
  constexpr double kExactIntegers = 9007199254740992.0;  // 2^53
  if (value == std::trunc(value) && std::fabs(value) < kExactIntegers && !std::signbit(value)) {
    m_pw.int64(pf::event::kCounterValue, static_cast<int64_t>(value));
  } else {
    m_pw.double_(pf::event::kDoubleCounterValue, value);
  }
  m_pw.end_nested();
  end_packet();
}

void PerfettoTraceWriter::finish() {
  check_open("finish");
  m_finished = true;
  flush();
  m_out->flush();
  if (m_file) {
    m_file->close();
  }
  if (m_out->fail()) {
    throw std::runtime_error("PerfettoTraceWriter: writing the trace failed");
  }
}

}  // namespace tn::trace
