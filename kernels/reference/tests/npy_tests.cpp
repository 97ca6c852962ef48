// .npy round trips for every dtype and rejection of malformed files.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <stdexcept>

#include "kernels/reference/npy.hpp"
#include "sim/numerics/float_formats.hpp"

namespace tn::ref {
namespace {

namespace fs = std::filesystem;

// A per-process scratch directory, removed when the test binary exits.
struct ScratchDir {
  fs::path dir = fs::temp_directory_path() / ("tn_reference_npy_" + std::to_string(::getpid()));
  ScratchDir() { fs::create_directories(dir); }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

// A fresh file path per call.
fs::path temp_path(const std::string& stem) {
  static ScratchDir scratch;
  static int counter = 0;
  return scratch.dir / (stem + "_" + std::to_string(counter++) + ".npy");
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// A hand-made .npy file: version major.0, header dict text as given, then the payload bytes.
fs::path make_npy(const std::string& dict, const std::string& payload, int major = 1) {
  std::string header = dict;
  header.push_back('\n');
  std::string bytes = "\x93NUMPY";
  bytes.push_back(static_cast<char>(major));
  bytes.push_back(0);
  const uint32_t len = static_cast<uint32_t>(header.size());
  bytes.append(reinterpret_cast<const char*>(&len), major == 1 ? 2 : 4);
  bytes += header + payload;
  const fs::path p = temp_path("handmade");
  std::ofstream(p, std::ios::binary) << bytes;
  return p;
}

template <typename T>
std::string raw(std::initializer_list<T> values) {
  std::string s;
  for (T v : values) {
    s.append(reinterpret_cast<const char*>(&v), sizeof(T));
  }
  return s;
}

std::string descr_of(const fs::path& p) {
  const std::string s = slurp(p);
  const size_t at = s.find("'descr': '") + 10;
  return s.substr(at, 3);
}

// Expects read_npy to throw std::runtime_error whose message names the file and contains `needle`.
void check_rejected(const fs::path& p, const std::string& needle) {
  try {
    read_npy(p);
    FAIL("read_npy accepted " << p.string());
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    CHECK_MESSAGE(msg.find(p.string()) != std::string::npos, msg);
    CHECK_MESSAGE(msg.find(needle) != std::string::npos, msg);
  }
}

TEST_CASE("npy: float64 round trip is exact including specials and scalar / empty / 1-d shapes") {
  const double inf = std::numeric_limits<double>::infinity();
  for (const HostTensor& t :
       {HostTensor{{2, 3}, {1.0 / 3, -0.0, inf, -inf, 1e-310, 12345.678}}, HostTensor{{}, {42.5}},
        HostTensor{{0}, {}}, HostTensor{{3}, {1, 2, 3}}, HostTensor{{2, 0, 4}, {}}}) {
    const fs::path p = temp_path("f8");
    write_npy(p, t);
    CHECK(descr_of(p) == "<f8");
    const HostTensor r = read_npy(p);
    CHECK(r.shape == t.shape);
    REQUIRE(r.data.size() == t.data.size());
    // Bit for bit (-0.0 stays negative). Not memcmp: the empty shapes' vectors have no storage, and
    // memcmp(nullptr, nullptr, 0) is undefined (its arguments are declared nonnull; UBSan reports it).
    CHECK(std::equal(r.data.begin(), r.data.end(), t.data.begin(), [](double a, double b) {
      return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b);
    }));
  }
  const fs::path p = temp_path("nan");
  write_npy(p, HostTensor{{1}, {std::numeric_limits<double>::quiet_NaN()}});
  CHECK(std::isnan(read_npy(p).data[0]));
}

TEST_CASE("npy: the header is format 1.0 and the data starts at a multiple of 64") {
  const fs::path p = temp_path("header");
  write_npy(p, HostTensor{{2, 3, 4}, std::vector<double>(24, 1.0)}, DType::kFloat32);
  const std::string s = slurp(p);
  CHECK(s.substr(0, 6) == "\x93NUMPY");
  CHECK(s[6] == 1);
  CHECK(s[7] == 0);
  uint16_t len = 0;
  std::memcpy(&len, s.data() + 8, 2);
  CHECK((10 + len) % 64 == 0);
  CHECK(s[10 + len - 1] == '\n');
  CHECK(s.find("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }") == 10);
  CHECK(s.size() == 10 + len + 24 * 4);
  const fs::path one = temp_path("header1d");
  write_npy(one, HostTensor{{5}, std::vector<double>(5, 0.0)}, DType::kFloat32);
  CHECK(slurp(one).find("'shape': (5,)") != std::string::npos);
  const fs::path scalar = temp_path("header0d");
  write_npy(scalar, HostTensor{{}, {1}}, DType::kFloat32);
  CHECK(slurp(scalar).find("'shape': ()") != std::string::npos);
}

TEST_CASE("npy: float dtypes round to their format and read back exactly") {
  const std::vector<double> values{1.0 / 3, -2.5, 1.00390625, 1e-3, 200.0, 250.0, 70000.0, -0.0};
  const HostTensor t{{2, 4}, values};
  struct Expect {
    DType dtype;
    const char* descr;
    float (*round)(float);
  };
  const Expect cases[] = {
      {DType::kFloat32, "<f4", [](float x) { return x; }},
      {DType::kBFloat16, "<f4", [](float x) { return num::bf16_to_f32(num::f32_to_bf16(x)); }},
      {DType::kFloat16, "<f2", [](float x) { return num::f16_to_f32(num::f32_to_f16(x)); }},
      {DType::kFloat8E4M3, "<f4", [](float x) { return num::fp8_e4m3_to_f32(num::f32_to_fp8_e4m3(x)); }},
      {DType::kFloat8E5M2, "<f4", [](float x) { return num::fp8_e5m2_to_f32(num::f32_to_fp8_e5m2(x)); }},
  };
  for (const Expect& e : cases) {
    CAPTURE(dtype_name(e.dtype));
    const fs::path p = temp_path(std::string(dtype_name(e.dtype)));
    write_npy(p, t, e.dtype);
    CHECK(descr_of(p) == e.descr);
    CHECK(npy_descr(e.dtype) == e.descr);
    const HostTensor r = read_npy(p);
    CHECK(r.shape == t.shape);
    for (size_t i = 0; i < values.size(); ++i) {
      const double want = e.round(static_cast<float>(values[i]));
      CHECK((r.data[i] == want || (std::isnan(want) && std::isnan(r.data[i]))));
    }
  }
  // Spot values: bf16 ties to even, fp16 overflows to inf, e4m3 max finite is 240.
  const fs::path p = temp_path("spots");
  write_npy(p, HostTensor{{3}, {1.00390625, 70000.0, 250.0}}, DType::kBFloat16);
  CHECK(read_npy(p).data[0] == 1.0);
  write_npy(p, HostTensor{{3}, {1.00390625, 70000.0, 250.0}}, DType::kFloat16);
  CHECK(read_npy(p).data[1] == std::numeric_limits<double>::infinity());
  write_npy(p, HostTensor{{1}, {230.0}}, DType::kFloat8E4M3);
  CHECK(read_npy(p).data[0] == 224.0);
}

TEST_CASE("npy: narrow floats as bits are their patterns, '<u2' or '|u1', and read back as values") {
  const HostTensor t{{5}, {1.0 / 3, -2.5, 1e-3, 200.0, -0.0}};
  struct Expect {
    DType dtype;
    const char* descr;
    uint16_t (*pattern)(float);
    float (*value)(uint16_t);
  };
  const Expect cases[] = {
      {DType::kBFloat16, "<u2", [](float x) { return uint16_t(num::f32_to_bf16(x)); },
       [](uint16_t b) { return num::bf16_to_f32(b); }},
      {DType::kFloat8E4M3, "|u1", [](float x) { return uint16_t(num::f32_to_fp8_e4m3(x)); },
       [](uint16_t b) { return num::fp8_e4m3_to_f32(uint8_t(b)); }},
      {DType::kFloat8E5M2, "|u1", [](float x) { return uint16_t(num::f32_to_fp8_e5m2(x)); },
       [](uint16_t b) { return num::fp8_e5m2_to_f32(uint8_t(b)); }},
  };
  for (const Expect& e : cases) {
    CAPTURE(dtype_name(e.dtype));
    const fs::path p = temp_path(std::string(dtype_name(e.dtype)) + "_bits");
    write_npy(p, t, e.dtype, NarrowFloats::kAsBits);
    CHECK(descr_of(p) == e.descr);
    CHECK(npy_descr(e.dtype, NarrowFloats::kAsBits) == e.descr);
    const HostTensor patterns = read_npy(p);
    const HostTensor values = read_npy_for(p, e.dtype, NarrowFloats::kAsBits);
    for (size_t i = 0; i < t.data.size(); ++i) {
      const uint16_t want = e.pattern(static_cast<float>(t.data[i]));
      CHECK(patterns.data[i] == want);
      CHECK(values.data[i] == e.value(want));
    }
    // Values where bits are expected, and bits where values are expected, are read for what they are.
    const fs::path f = temp_path("as_values");
    write_npy(f, t, e.dtype);
    CHECK_THROWS_WITH_AS(read_npy_for(f, e.dtype, NarrowFloats::kAsBits), doctest::Contains("holds '<f4'; a"),
                         std::runtime_error);
    CHECK(read_npy_for(p, e.dtype, NarrowFloats::kAsFloat32).data == patterns.data);
  }
  // Other dtypes are stored as always.
  CHECK(npy_descr(DType::kFloat16, NarrowFloats::kAsBits) == "<f2");
  CHECK(npy_descr(DType::kFloat32, NarrowFloats::kAsBits) == "<f4");
}

TEST_CASE("npy: integer dtypes round trip and reject values they cannot hold") {
  struct Expect {
    DType dtype;
    const char* descr;
    std::vector<double> good;
    std::vector<double> bad;
  };
  const Expect cases[] = {
      {DType::kInt32, "<i4", {-2147483648.0, 2147483647.0, 0, -7}, {2147483648.0, 0.5}},
      {DType::kUInt32, "<u4", {0, 4294967295.0, 17}, {-1, 4294967296.0}},
      {DType::kInt8, "|i1", {-128, 127, 0}, {128, -129}},
      {DType::kUInt8, "|u1", {0, 255, 9}, {256, -1, std::numeric_limits<double>::quiet_NaN()}},
  };
  for (const Expect& e : cases) {
    CAPTURE(dtype_name(e.dtype));
    const fs::path p = temp_path(std::string(dtype_name(e.dtype)));
    const HostTensor t{{static_cast<int64_t>(e.good.size())}, e.good};
    write_npy(p, t, e.dtype);
    CHECK(descr_of(p) == e.descr);
    const HostTensor r = read_npy(p);
    CHECK(r.shape == t.shape);
    CHECK(r.data == t.data);
    for (double x : e.bad) {
      CHECK_THROWS_AS(write_npy(p, HostTensor{{1}, {x}}, e.dtype), std::invalid_argument);
    }
  }
}

TEST_CASE("npy: write rejects a tensor whose data does not match its shape") {
  CHECK_THROWS_AS(write_npy(temp_path("bad"), HostTensor{{2, 2}, {1, 2, 3}}), std::invalid_argument);
  CHECK_THROWS_AS(write_npy(temp_path("bad"), HostTensor{{2, 2}, {1, 2, 3}}, DType::kFloat32),
                  std::invalid_argument);
}

TEST_CASE("npy: reads the other descrs and header spellings NumPy produces") {
  CHECK(read_npy(make_npy("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }",
                          raw<int64_t>({-5, 1LL << 40})))
            .data == std::vector<double>{-5, 1099511627776.0});
  CHECK(
      read_npy(make_npy("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", raw<uint8_t>({1, 0, 1})))
          .data == std::vector<double>{1, 0, 1});
  CHECK(read_npy(make_npy("{'descr': '<u1', 'fortran_order': False, 'shape': (1,), }", raw<uint8_t>({200})))
            .data == std::vector<double>{200});
  CHECK(read_npy(make_npy("{'descr': '|i1', 'fortran_order': False, 'shape': (1,), }", raw<int8_t>({-3})))
            .data == std::vector<double>{-3});
  // Version 2.0 (4-byte header length), no trailing comma, double quotes, Python 2 long suffix.
  const HostTensor r = read_npy(make_npy(
      "{\"shape\": (1L, 2L), \"fortran_order\": False, \"descr\": \"<f4\"}", raw<float>({1.5f, -2}), 2));
  CHECK(r.shape == std::vector<int64_t>{1, 2});
  CHECK(r.data == std::vector<double>{1.5, -2});
}

TEST_CASE("npy: malformed files are rejected with messages naming the file") {
  const std::string f4x2 = raw<float>({1, 2});
  check_rejected(make_npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", f4x2), "Fortran");
  check_rejected(make_npy("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", f4x2), "big-endian");
  check_rejected(make_npy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", f4x2),
                 "unsupported dtype");
  check_rejected(make_npy("{'descr': '|f4', 'fortran_order': False, 'shape': (2,), }", f4x2),
                 "unsupported dtype");
  check_rejected(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", f4x2), "truncated");
  check_rejected(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", f4x2),
                 "unexpected bytes");
  check_rejected(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999,), }", f4x2),
                 "truncated");
  // A fuzz finding (tools/fuzz.sh npy): extents whose product overflows int64 beside a zero extent read as an
  // empty array, and the next product of the shape was undefined behaviour.
  check_rejected(
      make_npy("{'descr': '<u1', 'fortran_order': False, 'shape': (15, 300300, 3, 2, 4, 30, 2, 300, "
               "300300, 3, 2, 30, 23, 0,), }",
               ""),
      "has more elements than 2^63");
  check_rejected(make_npy("{'descr': '<f4', 'fortran_order': False}", f4x2), "malformed header");
  check_rejected(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", f4x2),
                 "malformed header");
  check_rejected(make_npy("{'descr': '<f4', 'fortran_order': Nope, 'shape': (2,), }", f4x2),
                 "malformed header");
  check_rejected(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", f4x2, 9), "version");

  const fs::path full = temp_path("full");
  write_npy(full, HostTensor{{4}, {1, 2, 3, 4}}, DType::kFloat32);
  const std::string bytes = slurp(full);
  const fs::path cut = temp_path("cut");
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() - 3);
  check_rejected(cut, "truncated");
  const fs::path short_header = temp_path("short_header");
  std::ofstream(short_header, std::ios::binary) << bytes.substr(0, 30);
  check_rejected(short_header, "truncated header");
  const fs::path not_npy = temp_path("not_npy");
  std::ofstream(not_npy, std::ios::binary) << "PK\x03\x04 this is a zip";
  check_rejected(not_npy, "magic");
  check_rejected(temp_path("missing"), "cannot open");
}

TEST_CASE("npy: only regular files are read; a device or a folder is refused at once") {
  // Issue 13: /dev/zero and /dev/urandom as input files were read forever; a folder gave
  // "basic_filebuf::underflow error reading the file: Is a directory".
  check_rejected("/dev/zero", "is not a regular file");
  check_rejected("/dev/urandom", "is not a regular file");
  check_rejected(fs::temp_directory_path(), "is a folder, not a .npy file");
  CHECK_THROWS_WITH_AS(read_npy_header("/dev/zero"), doctest::Contains("is not a regular file"),
                       std::runtime_error);
}

TEST_CASE("npy: read_npy_header gives descr and shape without reading the data") {
  const fs::path p = temp_path("header");
  write_npy(p, HostTensor{{2, 3}, {1, 2, 3, 4, 5, 6}}, DType::kInt32);
  const NpyHeader h = read_npy_header(p);
  CHECK(h.descr == "<i4");
  CHECK(h.shape == std::vector<int64_t>{2, 3});
  // A header declaring far more than the file holds is still a header: its shape is for the caller to
  // refuse (the CLI compares it with the kernel's) before any data is read.
  const fs::path huge =
      make_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (999999999999, 999999), }", "");
  CHECK(read_npy_header(huge).shape == std::vector<int64_t>{999999999999, 999999});
  check_rejected(huge, "truncated data");
  check_rejected(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", "", 2), "truncated");
}

TEST_CASE("npy: an empty array round trips in every dtype") {
  for (DType d : kAllDTypes) {
    const fs::path p = temp_path("empty");
    write_npy(p, HostTensor{{0, 3}, {}}, d);
    const HostTensor back = read_npy(p);
    CHECK(back.shape == std::vector<int64_t>{0, 3});
    CHECK(back.data.empty());
  }
}

}  // namespace
}  // namespace tn::ref
