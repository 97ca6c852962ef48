#include "sim/func/hbm.hpp"

#include <algorithm>
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

}  // namespace

HbmTensor& Hbm::declare(const isa::TensorDecl& decl) {
  auto it = m_tensors.find(decl.name);
  if (it != m_tensors.end()) {
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
  t.bytes.assign(static_cast<size_t>(n) * dtype_size(decl.dtype), std::byte{0});
  t.written.assign(static_cast<size_t>(n), 0);
  return m_tensors.emplace(decl.name, std::move(t)).first->second;
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
  if (static_cast<int64_t>(values.size()) != t.num_elements()) {
    throw std::invalid_argument("filling hbm tensor '" + name + "' (" + describe(t.dtype, t.shape) + ", " +
                                std::to_string(t.num_elements()) + " elements) with " +
                                std::to_string(values.size()) + " values");
  }
  num::encode(t.dtype, values.data(), t.bytes.data(), values.size());
  std::fill(t.written.begin(), t.written.end(), uint8_t{1});
}

// Elements nothing has stored read back as NaN, so that a kernel that forgets part of its output
// cannot pass a comparison against a reference by leaving zeros behind.
std::vector<float> Hbm::read(const std::string& name) const {
  const HbmTensor& t = at(name);
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
    out.push_back(&declare(decl));  // checks dtype and shape of an existing tensor
  }
  return out;
}

}  // namespace tn::sim
