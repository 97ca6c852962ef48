#include "sim/func/hbm.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "sim/numerics/convert.hpp"

namespace tn::sim {

namespace {

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    s += (i ? ", " : "") + std::to_string(shape[i]);
  }
  return s + "]";
}

std::string describe(DType t, const std::vector<int64_t>& shape) {
  return std::string(dtype_name(t)) + " " + shape_string(shape);
}

// Throws unless tensor `t` holds data (see Hbm(holds_data)).
void check_holds_data(const HbmTensor& t, const char* what) {
  if (!t.holds_data())
    throw std::logic_error(std::string(what) + " hbm tensor '" + t.name +
                           "' of a memory that holds no data (a run without numerics)");
}

// Throws unless `count` values fill tensor `t` exactly.
void check_fill_count(const HbmTensor& t, size_t count) {
  check_holds_data(t, "filling");
  if (static_cast<int64_t>(count) != t.num_elements()) {
    throw std::invalid_argument("filling hbm tensor '" + t.name + "' (" + describe(t.dtype, t.shape) + ", " +
                                std::to_string(t.num_elements()) + " elements) with " +
                                std::to_string(count) + " values");
  }
}

// Calls f(Int{}) with the C++ type of an integer dtype.
template <typename F>
void with_integer_type(DType dtype, F&& f) {
  switch (dtype) {
    case DType::kInt32:
      return f(int32_t{});
    case DType::kUInt32:
      return f(uint32_t{});
    case DType::kInt8:
      return f(int8_t{});
    case DType::kUInt8:
      return f(uint8_t{});
    default:
      throw std::logic_error("dtype " + std::string(dtype_name(dtype)) + " is not an integer");
  }
}

template <typename Int>
void store_ints(const std::string& name, const std::vector<double>& values, std::byte* out) {
  for (size_t i = 0; i < values.size(); ++i) {
    const double v = values[i];
    // Within the range and integral: the comparisons are false for NaN, so NaN is refused too.
    if (!(v >= static_cast<double>(std::numeric_limits<Int>::min()) &&
          v <= static_cast<double>(std::numeric_limits<Int>::max()) && std::trunc(v) == v)) {
      throw std::invalid_argument("filling hbm tensor '" + name + "': element " + std::to_string(i) + " (" +
                                  std::to_string(v) + ") is not a value of its integer dtype");
    }
    const Int x = static_cast<Int>(v);
    std::memcpy(out + i * sizeof(Int), &x, sizeof(Int));
  }
}

template <typename Int>
void load_ints(const std::byte* in, double* out, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    Int x;
    std::memcpy(&x, in + i * sizeof(Int), sizeof(Int));
    out[i] = static_cast<double>(x);
  }
}

}  // namespace

HbmTensor& Hbm::declare(const isa::TensorDecl& decl, uint32_t core) {
  std::map<std::string, HbmTensor>& space =
      decl.scope == isa::TensorScope::kPrivate ? m_private[core] : m_tensors;
  auto it = space.find(decl.name);
  if (it != space.end()) {
    HbmTensor& t = it->second;
    if (t.dtype != decl.dtype || t.shape != decl.shape) {
      throw std::invalid_argument("hbm tensor '" + decl.name + "' is declared " +
                                  describe(decl.dtype, decl.shape) + " but holds " +
                                  describe(t.dtype, t.shape));
    }
    return t;
  }
  const int64_t n = decl.num_elements();
  if (n < 0) {
    throw std::invalid_argument("hbm tensor '" + decl.name + "' has a negative dimension");
  }
  HbmTensor t;
  t.name = decl.name;
  t.dtype = decl.dtype;
  t.shape = decl.shape;
  t.elements = n;
  if (m_holds_data || m_data_tensors.count(decl.name)) {
    t.bytes.assign(static_cast<size_t>(n) * dtype_size(decl.dtype), std::byte{0});
    t.written.assign(static_cast<size_t>(n), 0);
  }
  return space.emplace(decl.name, std::move(t)).first->second;
}

const HbmTensor& Hbm::at_private(uint32_t core, const std::string& name) const {
  if (const auto space = m_private.find(core); space != m_private.end()) {
    if (const auto it = space->second.find(name); it != space->second.end())
      return it->second;
  }
  throw std::out_of_range("no private hbm tensor named '" + name + "' on core " + std::to_string(core));
}

HbmTensor& Hbm::at(const std::string& name) {
  auto it = m_tensors.find(name);
  if (it == m_tensors.end()) {
    throw std::out_of_range("no hbm tensor named '" + name + "'");
  }
  return it->second;
}

const HbmTensor& Hbm::at(const std::string& name) const {
  auto it = m_tensors.find(name);
  if (it == m_tensors.end()) {
    throw std::out_of_range("no hbm tensor named '" + name + "'");
  }
  return it->second;
}

void Hbm::fill(const std::string& name, const std::vector<float>& values) {
  HbmTensor& t = at(name);
  check_fill_count(t, values.size());
  num::encode(t.dtype, values.data(), t.bytes.data(), values.size());
  std::fill(t.written.begin(), t.written.end(), uint8_t{1});
}

void Hbm::fill_exact(const std::string& name, const std::vector<double>& values) {
  HbmTensor& t = at(name);
  if (dtype_is_float(t.dtype)) {
    fill(name, std::vector<float>(values.begin(), values.end()));
    return;
  }
  check_fill_count(t, values.size());
  with_integer_type(t.dtype, [&]<typename Int>(Int) { store_ints<Int>(name, values, t.bytes.data()); });
  std::fill(t.written.begin(), t.written.end(), uint8_t{1});
}

std::vector<double> Hbm::read_exact(const std::string& name) const {
  const HbmTensor& t = at(name);
  check_holds_data(t, "reading");
  if (dtype_is_float(t.dtype)) {
    const std::vector<float> f = read(name);
    return std::vector<double>(f.begin(), f.end());
  }
  std::vector<double> out(static_cast<size_t>(t.num_elements()));
  with_integer_type(t.dtype,
                    [&]<typename Int>(Int) { load_ints<Int>(t.bytes.data(), out.data(), out.size()); });
  for (size_t i = 0; i < out.size(); ++i) {
    if (!t.written[i])
      out[i] = std::numeric_limits<double>::quiet_NaN();
  }
  return out;
}

// Elements nothing has stored read back as NaN, so that a kernel that forgets part of its output
// cannot pass a comparison against a reference by leaving zeros behind.
std::vector<float> Hbm::read(const std::string& name) const {
  const HbmTensor& t = at(name);
  check_holds_data(t, "reading");
  std::vector<float> out(static_cast<size_t>(t.num_elements()));
  num::decode(t.dtype, t.bytes.data(), out.data(), out.size());
  for (size_t i = 0; i < out.size(); ++i) {
    if (!t.written[i]) {
      out[i] = std::numeric_limits<float>::quiet_NaN();
    }
  }
  return out;
}

int64_t Hbm::unwritten_elements(const std::string& name) const {
  const HbmTensor& t = at(name);
  check_holds_data(t, "reading");
  int64_t n = 0;
  for (uint8_t w : t.written) {
    n += w == 0;
  }
  return n;
}

std::vector<HbmTensor*> Hbm::bind(const isa::Program& program) {
  std::vector<HbmTensor*> out;
  out.reserve(program.tensors.size());
  for (const isa::TensorDecl& decl : program.tensors) {
    if (decl.kind == isa::TensorKind::kInput && !contains(decl.name)) {
      throw std::invalid_argument("kernel '" + program.kernel + "' (core " + std::to_string(program.core_id) +
                                  ") reads input tensor '" + decl.name + "' (" +
                                  describe(decl.dtype, decl.shape) +
                                  "), which is not in hbm: declare and fill it before running");
    }
    out.push_back(&declare(decl, program.core_id));  // checks dtype and shape of an existing tensor
  }
  return out;
}

}  // namespace tn::sim
