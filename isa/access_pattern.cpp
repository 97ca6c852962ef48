#include "isa/access_pattern.hpp"

#include <algorithm>
#include <charconv>
#include <sstream>
#include <stdexcept>

namespace tn::isa {

std::string_view mem_kind_name(MemKind m) {
  switch (m) {
    case MemKind::kHbm:
      return "hbm";
    case MemKind::kSbuf:
      return "sbuf";
    case MemKind::kPsum:
      return "psum";
  }
  return "?";
}

int64_t AccessPattern::free_size() const {
  int64_t n = 1;
  for (int i = 0; i < ndim; ++i)
    n *= dims[i].count;
  return n;
}

namespace {
// The elements the innermost free dims walk densely, each continuing where the ones inside it ended
// (dims of count 1 are skipped); `complete` says whether every dim did.
int64_t dense_inner_elements(const AccessPattern& ap, bool& complete) {
  int64_t run = 1;
  complete = true;
  for (int i = ap.ndim - 1; i >= 0; --i) {
    if (ap.dims[i].count == 1)
      continue;
    if (ap.dims[i].stride != run) {
      complete = false;
      break;
    }
    run *= ap.dims[i].count;
  }
  return run;
}
}  // namespace

bool AccessPattern::free_contiguous() const {
  bool complete = false;
  dense_inner_elements(*this, complete);
  return complete;
}

int64_t AccessPattern::contiguous_run() const {
  bool complete = false;
  return dense_inner_elements(*this, complete);
}

std::pair<int64_t, int64_t> AccessPattern::free_extent() const {
  int64_t lo = 0, hi = 0;
  for (int i = 0; i < ndim; ++i) {
    if (dims[i].count <= 0)
      return {0, -1};
    const int64_t span = int64_t(dims[i].stride) * (dims[i].count - 1);
    (span < 0 ? lo : hi) += span;
  }
  return {lo, hi};
}

std::pair<int64_t, int64_t> AccessPattern::touched_range() const {
  const auto [lo, hi] = free_extent();
  if (mem == MemKind::kHbm) {
    const int64_t rows = partition_stride * (num_partitions - 1);  // the outer dim's span, either sign
    return {offset + std::min<int64_t>(0, rows) + lo, offset + std::max<int64_t>(0, rows) + hi + 1};
  }
  const int64_t size = dtype_size(dtype);
  return {offset + lo * size, offset + (hi + 1) * size};
}

static AccessPattern make_ap(MemKind mem, DType t, int64_t offset, std::initializer_list<ApDim> dims) {
  if (dims.size() > kMaxFreeDims)
    throw std::invalid_argument("access pattern with more than 4 free dims");
  AccessPattern ap;
  ap.mem = mem;
  ap.dtype = t;
  ap.offset = offset;
  ap.ndim = static_cast<uint8_t>(dims.size());
  std::copy(dims.begin(), dims.end(), ap.dims.begin());
  return ap;
}

AccessPattern sbuf_ap(DType t, int64_t byte_addr, int32_t start_partition, int32_t num_partitions,
                      std::initializer_list<ApDim> dims) {
  AccessPattern ap = make_ap(MemKind::kSbuf, t, byte_addr, dims);
  ap.start_partition = start_partition;
  ap.num_partitions = num_partitions;
  return ap;
}

AccessPattern psum_ap(DType t, int64_t byte_addr, int32_t start_partition, int32_t num_partitions,
                      std::initializer_list<ApDim> dims) {
  AccessPattern ap = sbuf_ap(t, byte_addr, start_partition, num_partitions, dims);
  ap.mem = MemKind::kPsum;
  return ap;
}

AccessPattern hbm_ap(int32_t tensor, DType t, int64_t elem_offset, ApDim partition_dim,
                     std::initializer_list<ApDim> dims) {
  AccessPattern ap = make_ap(MemKind::kHbm, t, elem_offset, dims);
  ap.tensor = tensor;
  ap.num_partitions = static_cast<int32_t>(partition_dim.count);
  ap.partition_stride = partition_dim.stride;
  return ap;
}

void append(std::string& s, const AccessPattern& ap) {
  if (ap.mem == MemKind::kHbm) {
    s += "hbm:t";
    append_decimal(s, ap.tensor);
    s += '+';
    append_decimal(s, ap.offset);
    s += ' ';
    s += dtype_name(ap.dtype);
    s += " [[";
    append_decimal(s, ap.partition_stride);
    s += ',';
    append_decimal(s, ap.num_partitions);
    s += ']';
  } else {
    s += mem_kind_name(ap.mem);
    s += '[';
    append_decimal(s, ap.start_partition);
    s += ':';
    append_decimal(s, int64_t(ap.start_partition) + ap.num_partitions);
    s += "]@0x";
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, uint64_t(ap.offset), 16);  // as std::hex printed it
    s.append(buf, r.ptr);
    s += ' ';
    s += dtype_name(ap.dtype);
    s += " [";
  }
  for (int i = 0; i < ap.ndim; ++i) {
    if (i || ap.mem == MemKind::kHbm)
      s += ',';
    s += '[';
    append_decimal(s, ap.dims[i].stride);
    s += ',';
    append_decimal(s, ap.dims[i].count);
    s += ']';
  }
  s += ']';
}

std::string to_string(const AccessPattern& ap) {
  std::string s;
  append(s, ap);
  return s;
}

void append_decimal(std::string& s, int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  s.append(buf, r.ptr);
}

}  // namespace tn::isa
