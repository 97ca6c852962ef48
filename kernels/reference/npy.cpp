// .npy reader/writer. Format: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
//   magic "\x93NUMPY", major, minor, header length (uint16 LE in 1.0, uint32 LE in 2.0/3.0), then a Python
//   dict literal {'descr': ..., 'fortran_order': ..., 'shape': (...), } padded with spaces and '\n' so that
//   the data starts at a multiple of 64 bytes; then the raw C-order elements.
#include "kernels/reference/npy.hpp"

#include <algorithm>
#include <bit>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <vector>

#include "sim/numerics/convert.hpp"
#include "sim/numerics/float_formats.hpp"

namespace tn::ref {
namespace {

static_assert(std::endian::native == std::endian::little, "npy I/O copies little-endian elements verbatim");

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
constexpr size_t kHeaderAlign = 64;

template <typename T>
void put(std::vector<char>& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.insert(out.end(), bytes, bytes + sizeof(T));
}

template <typename T>
T get(const char* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}

[[noreturn]] void fail_file(const std::filesystem::path& path, const std::string& msg) {
  throw std::runtime_error("read_npy(" + path.string() + "): " + msg);
}

// Integers are written only when exact: a non-integral or out-of-range value is a caller bug.
template <typename Int>
Int exact_int(const std::filesystem::path& path, double x, size_t i) {
  if (!(x == std::trunc(x) && x >= static_cast<double>(std::numeric_limits<Int>::min()) &&
        x <= static_cast<double>(std::numeric_limits<Int>::max()))) {
    throw std::invalid_argument("write_npy(" + path.string() + "): element " + std::to_string(i) + " = " +
                                std::to_string(x) + " is not a representable integer of the target dtype");
  }
  return static_cast<Int>(x);
}

void write_file(const std::filesystem::path& path, const std::string& descr, const HostTensor& t,
                const std::vector<char>& payload) {
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < t.shape.size(); ++i) {
    dict += std::to_string(t.shape[i]) + (t.shape.size() == 1 ? "," : i + 1 < t.shape.size() ? ", " : "");
  }
  dict += "), }";
  const size_t prefix = kMagicLen + 2 + 2;  // magic, version, uint16 header length
  const size_t total = (prefix + dict.size() + 1 + kHeaderAlign - 1) / kHeaderAlign * kHeaderAlign;
  dict.append(total - prefix - dict.size() - 1, ' ');
  dict += '\n';
  if (dict.size() > std::numeric_limits<uint16_t>::max()) {
    throw std::invalid_argument("write_npy(" + path.string() + "): header too long for format 1.0");
  }

  std::vector<char> head(kMagic, kMagic + kMagicLen);
  head.push_back(1);  // version 1.0
  head.push_back(0);
  put<uint16_t>(head, static_cast<uint16_t>(dict.size()));
  head.insert(head.end(), dict.begin(), dict.end());

  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(head.data(), static_cast<std::streamsize>(head.size()));
  f.write(payload.data(), static_cast<std::streamsize>(payload.size()));
  f.close();
  if (!f) {
    throw std::runtime_error("write_npy(" + path.string() + "): cannot write file");
  }
}

void check_tensor(const std::filesystem::path& path, const HostTensor& t) {
  for (int64_t e : t.shape) {
    if (e < 0) {
      throw std::invalid_argument("write_npy(" + path.string() + "): negative extent in shape " +
                                  shape_string(t.shape));
    }
  }
  if (static_cast<int64_t>(t.data.size()) != t.numel()) {
    throw std::invalid_argument("write_npy(" + path.string() + "): " + std::to_string(t.data.size()) +
                                " values for shape " + shape_string(t.shape));
  }
}

// ---- header parsing: just enough of Python's literal syntax for the dicts NumPy writes ----

class HeaderParser {
 public:
  HeaderParser(const std::filesystem::path& path, std::string text) : path_(path), s_(std::move(text)) {}

  std::string descr;
  bool fortran_order = false;
  std::vector<int64_t> shape;

  void parse() {
    bool has_descr = false, has_order = false, has_shape = false;
    expect('{');
    while (!peek('}')) {
      const std::string key = string_literal();
      expect(':');
      if (key == "descr") {
        descr = string_literal();
        has_descr = true;
      } else if (key == "fortran_order") {
        fortran_order = boolean();
        has_order = true;
      } else if (key == "shape") {
        shape = int_tuple();
        has_shape = true;
      } else {
        fail("unexpected header key '" + key + "'");
      }
      if (!peek('}')) {
        expect(',');
      }
    }
    expect('}');
    if (!has_descr || !has_order || !has_shape) {
      fail("header lacks 'descr', 'fortran_order' or 'shape'");
    }
  }

 private:
  [[noreturn]] void fail(const std::string& msg) {
    fail_file(path_, "malformed header: " + msg + " in " + s_.substr(0, s_.find_last_not_of(" \n") + 1));
  }

  void skip_space() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) {
      ++pos_;
    }
  }
  bool peek(char c) {
    skip_space();
    return pos_ < s_.size() && s_[pos_] == c;
  }
  void expect(char c) {
    if (!peek(c)) {
      fail(std::string("expected '") + c + "'");
    }
    ++pos_;
  }
  std::string string_literal() {
    skip_space();
    if (pos_ >= s_.size() || (s_[pos_] != '\'' && s_[pos_] != '"')) {
      fail("expected a string");
    }
    const char quote = s_[pos_++];
    const size_t end = s_.find(quote, pos_);
    if (end == std::string::npos) {
      fail("unterminated string");
    }
    std::string out = s_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return out;
  }
  bool boolean() {
    skip_space();
    for (const auto& [word, value] : {std::pair{"True", true}, std::pair{"False", false}}) {
      if (s_.compare(pos_, std::strlen(word), word) == 0) {
        pos_ += std::strlen(word);
        return value;
      }
    }
    fail("expected True or False");
  }
  std::vector<int64_t> int_tuple() {
    std::vector<int64_t> out;
    expect('(');
    while (!peek(')')) {
      skip_space();
      const size_t start = pos_;
      while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) {
        ++pos_;
      }
      if (pos_ == start || pos_ - start > 18) {
        fail("expected a non-negative extent");
      }
      out.push_back(std::stoll(s_.substr(start, pos_ - start)));
      if (pos_ < s_.size() && s_[pos_] == 'L') {  // Python 2 long suffix in old files
        ++pos_;
      }
      if (!peek(')')) {
        expect(',');
      }
    }
    expect(')');
    return out;
  }

  const std::filesystem::path& path_;
  std::string s_;
  size_t pos_ = 0;
};

// The element types read_npy understands. NumPy spells 1-byte types with '|'; '<' is accepted too.
struct ElementType {
  const char* kind;
  size_t size;
  double (*decode)(const char*);
};

constexpr ElementType kReadable[] = {
    {"f8", 8, [](const char* p) { return get<double>(p); }},
    {"f4", 4, [](const char* p) { return static_cast<double>(get<float>(p)); }},
    {"f2", 2, [](const char* p) { return static_cast<double>(num::f16_to_f32(get<uint16_t>(p))); }},
    {"i8", 8, [](const char* p) { return static_cast<double>(get<int64_t>(p)); }},
    {"i4", 4, [](const char* p) { return static_cast<double>(get<int32_t>(p)); }},
    {"u4", 4, [](const char* p) { return static_cast<double>(get<uint32_t>(p)); }},
    {"i2", 2, [](const char* p) { return static_cast<double>(get<int16_t>(p)); }},
    {"u2", 2, [](const char* p) { return static_cast<double>(get<uint16_t>(p)); }},
    {"i1", 1, [](const char* p) { return static_cast<double>(get<int8_t>(p)); }},
    {"u1", 1, [](const char* p) { return static_cast<double>(get<uint8_t>(p)); }},
    {"b1", 1, [](const char* p) { return get<uint8_t>(p) != 0 ? 1.0 : 0.0; }},
};

const ElementType* find_element_type(const std::string& descr) {
  for (const ElementType& e : kReadable) {
    if (descr.size() == 3 && descr.compare(1, 2, e.kind) == 0 &&
        (descr[0] == '<' || (descr[0] == '|' && e.size == 1))) {
      return &e;
    }
  }
  return nullptr;
}

}  // namespace

namespace {

bool narrow_float(DType dtype) {
  return dtype == DType::kBFloat16 || dtype == DType::kFloat8E4M3 || dtype == DType::kFloat8E5M2;
}

}  // namespace

std::string npy_descr(DType dtype, NarrowFloats narrow) {
  if (narrow == NarrowFloats::kAsBits && narrow_float(dtype))
    return dtype == DType::kBFloat16 ? "<u2" : "|u1";
  switch (dtype) {
    case DType::kFloat32:
    case DType::kBFloat16:
    case DType::kFloat8E4M3:
    case DType::kFloat8E5M2:
      return "<f4";
    case DType::kFloat16:
      return "<f2";
    case DType::kInt32:
      return "<i4";
    case DType::kUInt32:
      return "<u4";
    case DType::kInt8:
      return "|i1";  // NumPy's own spelling for 1-byte types
    case DType::kUInt8:
      return "|u1";
  }
  throw std::invalid_argument("npy_descr: unknown dtype");
}

void write_npy(const std::filesystem::path& path, const HostTensor& tensor, DType dtype,
               NarrowFloats narrow) {
  check_tensor(path, tensor);
  std::vector<char> payload;
  payload.reserve(tensor.data.size() * 4);
  const bool bits = narrow == NarrowFloats::kAsBits && narrow_float(dtype);
  for (size_t i = 0; i < tensor.data.size(); ++i) {
    const double x = tensor.data[i];
    if (bits) {
      // The pattern the engines store (sim/numerics: round to nearest even from float32).
      const float f = static_cast<float>(x);
      char b[2] = {};
      num::encode(dtype, &f, reinterpret_cast<std::byte*>(b), 1);
      payload.insert(payload.end(), b, b + dtype_size(dtype));
      continue;
    }
    switch (dtype) {
      case DType::kFloat32:
      case DType::kBFloat16:
      case DType::kFloat8E4M3:
      case DType::kFloat8E5M2:
        put<float>(payload, num::round_to(dtype, static_cast<float>(x)));
        break;
      case DType::kFloat16:
        put<uint16_t>(payload, num::f32_to_f16(static_cast<float>(x)));
        break;
      case DType::kInt32:
        put<int32_t>(payload, exact_int<int32_t>(path, x, i));
        break;
      case DType::kUInt32:
        put<uint32_t>(payload, exact_int<uint32_t>(path, x, i));
        break;
      case DType::kInt8:
        put<int8_t>(payload, exact_int<int8_t>(path, x, i));
        break;
      case DType::kUInt8:
        put<uint8_t>(payload, exact_int<uint8_t>(path, x, i));
        break;
    }
  }
  write_file(path, npy_descr(dtype, narrow), tensor, payload);
}

void write_npy(const std::filesystem::path& path, const HostTensor& tensor) {
  check_tensor(path, tensor);
  std::vector<char> payload;
  payload.reserve(tensor.data.size() * 8);
  for (double x : tensor.data) {
    put<double>(payload, x);
  }
  write_file(path, "<f8", tensor, payload);
}

namespace {

// An opened .npy file with its header read: the stream stands at the first data byte.
struct OpenedNpy {
  std::ifstream in;
  NpyHeader header;
  const ElementType* type = nullptr;
  size_t data_size = 0;  // the bytes after the header
};

// Reads and checks the header, never more of the file: only regular files (a folder, a FIFO or a device
// such as /dev/zero or /dev/urandom would read forever or fail obscurely), and the header's length is
// checked against the file's size before it is read.
OpenedNpy open_npy(const std::filesystem::path& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status))
    fail_file(path, "cannot open file");
  if (std::filesystem::is_directory(status))
    fail_file(path, "is a folder, not a .npy file");
  if (!std::filesystem::is_regular_file(status))
    fail_file(path, "is not a regular file (a device, FIFO or socket cannot hold a .npy array)");
  const uintmax_t file_size = std::filesystem::file_size(path, ec);
  OpenedNpy f;
  f.in.open(path, std::ios::binary);
  if (ec || !f.in)
    fail_file(path, "cannot open file");
  const auto read = [&](char* to, size_t n) {
    if (!f.in.read(to, static_cast<std::streamsize>(n)))
      fail_file(path, f.in.bad() ? "read error" : "file ended while reading it");
  };

  char prefix[kMagicLen + 2 + 4];
  if (file_size < kMagicLen + 2)
    fail_file(path, "not a .npy file (bad magic)");
  read(prefix, kMagicLen + 2);
  if (std::memcmp(prefix, kMagic, kMagicLen) != 0)
    fail_file(path, "not a .npy file (bad magic)");
  const int major = static_cast<unsigned char>(prefix[kMagicLen]);
  if (major < 1 || major > 3)
    fail_file(path, "unsupported format version " + std::to_string(major));
  const size_t len_size = major == 1 ? 2 : 4;
  const size_t prefix_size = kMagicLen + 2 + len_size;
  if (file_size < prefix_size)
    fail_file(path, "truncated header");
  read(prefix + kMagicLen + 2, len_size);
  const size_t header_len =
      len_size == 2 ? get<uint16_t>(prefix + kMagicLen + 2) : get<uint32_t>(prefix + kMagicLen + 2);
  if (file_size - prefix_size < header_len)
    fail_file(path, "truncated header (needs " + std::to_string(header_len) + " bytes)");
  std::string text(header_len, '\0');
  read(text.data(), header_len);

  HeaderParser parser(path, std::move(text));
  parser.parse();
  if (parser.fortran_order)
    fail_file(path, "Fortran-order arrays are not supported (save with C order)");
  if (!parser.descr.empty() && parser.descr[0] == '>')
    fail_file(path, "big-endian dtype '" + parser.descr + "' is not supported");
  f.type = find_element_type(parser.descr);
  if (f.type == nullptr)
    fail_file(path, "unsupported dtype descr '" + parser.descr + "'");
  // Every extent's product must be an element count (a zero extent does not excuse the others: the
  // shape's consumers multiply them in order).
  int64_t elements = 1;
  for (int64_t e : parser.shape) {
    if (e > 0 && __builtin_mul_overflow(elements, e, &elements))
      fail_file(path, "shape " + shape_string(parser.shape) + " has more elements than 2^63");
  }
  f.header = {parser.descr, parser.shape};
  f.data_size = static_cast<size_t>(file_size - prefix_size - header_len);
  return f;
}

}  // namespace

NpyHeader read_npy_header(const std::filesystem::path& path) { return open_npy(path).header; }

HostTensor read_npy(const std::filesystem::path& path, std::string* descr) {
  OpenedNpy f = open_npy(path);
  const ElementType* type = f.type;
  const size_t data_size = f.data_size;
  if (descr)
    *descr = f.header.descr;
  HostTensor t;
  t.shape = f.header.shape;
  // Element count with an overflow guard: a shape that needs more bytes than the file holds is a
  // truncation, found before anything is allocated.
  size_t n = 1;
  bool too_big = false;
  for (int64_t e : t.shape) {
    const auto extent = static_cast<size_t>(e);
    too_big = too_big || (extent != 0 && n > data_size / type->size / extent);
    n = too_big ? n : n * extent;
  }
  if (std::find(t.shape.begin(), t.shape.end(), 0) != t.shape.end()) {
    n = 0;
    too_big = false;
  }
  if (too_big || data_size < n * type->size) {
    const std::string need =
        too_big ? "more than " + std::to_string(data_size) : std::to_string(n * type->size);
    fail_file(path, "truncated data: shape " + shape_string(t.shape) + " of '" + f.header.descr + "' needs " +
                        need + " bytes, the file has " + std::to_string(data_size));
  }
  if (data_size > n * type->size) {
    fail_file(path, std::to_string(data_size - n * type->size) + " unexpected bytes after the data");
  }
  std::vector<char> bytes(n * type->size);
  if (n > 0 && !f.in.read(bytes.data(), static_cast<std::streamsize>(bytes.size())))
    fail_file(path, f.in.bad() ? "read error" : "file ended while reading it");
  t.data.resize(n);
  for (size_t i = 0; i < n; ++i) {
    t.data[i] = type->decode(bytes.data() + i * type->size);
  }
  return t;
}

HostTensor read_npy_for(const std::filesystem::path& path, DType dtype, NarrowFloats narrow) {
  std::string descr;
  HostTensor t = read_npy(path, &descr);
  if (narrow != NarrowFloats::kAsBits || !narrow_float(dtype))
    return t;
  const std::string want = npy_descr(dtype, narrow);
  const bool one_byte = dtype != DType::kBFloat16;
  if (descr != want && !(one_byte && descr == "<u1")) {
    fail_file(path, "holds '" + descr + "'; a " + std::string(dtype_name(dtype)) +
                        " tensor stored as bits is '" + want +
                        "' (the config's \"npy\": {\"narrow_floats\": \"bits\"})");
  }
  for (double& x : t.data) {
    const auto pattern = static_cast<uint16_t>(x);  // an exact integer of the descr's range
    const std::byte b[2] = {std::byte(pattern & 0xFF), std::byte(pattern >> 8)};
    float f = 0;
    num::decode(dtype, b, &f, 1);
    x = f;
  }
  return t;
}

}  // namespace tn::ref
