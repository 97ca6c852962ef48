// A dense row-major float64 tensor on the host: the currency between the CLI, the reference and the
// comparator. Values are doubles whatever dtype they stand for; callers round them to that dtype first.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace tn::ref {

struct HostTensor {
  std::vector<int64_t> shape;
  std::vector<double> data;

  // Product of the extents; 1 for a rank-0 (scalar) shape.
  static int64_t numel_of(const std::vector<int64_t>& shape) {
    int64_t n = 1;
    for (int64_t e : shape) {
      n *= e;
    }
    return n;
  }

  static HostTensor zeros(std::vector<int64_t> shape) {
    HostTensor t;
    t.data.assign(static_cast<size_t>(numel_of(shape)), 0.0);
    t.shape = std::move(shape);
    return t;
  }

  int64_t numel() const { return numel_of(shape); }

  // Flat row-major offset of a full index. Bounds-checked: meant for tests and setup code, not hot loops.
  int64_t index(std::initializer_list<int64_t> idx) const {
    if (idx.size() != shape.size()) {
      throw std::out_of_range("HostTensor::index: rank " + std::to_string(idx.size()) + " index into rank " +
                              std::to_string(shape.size()) + " tensor");
    }
    int64_t flat = 0;
    size_t axis = 0;
    for (int64_t i : idx) {
      if (i < 0 || i >= shape[axis]) {
        throw std::out_of_range("HostTensor::index: index " + std::to_string(i) + " out of range for axis " +
                                std::to_string(axis) + " of extent " + std::to_string(shape[axis]));
      }
      flat = flat * shape[axis] + i;
      ++axis;
    }
    return flat;
  }

  double& at(std::initializer_list<int64_t> idx) { return data[static_cast<size_t>(index(idx))]; }
  double at(std::initializer_list<int64_t> idx) const { return data[static_cast<size_t>(index(idx))]; }
};

// "(2, 3, 4)" — for error messages.
inline std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    s += (i ? ", " : "") + std::to_string(shape[i]);
  }
  return s + ")";
}

// The multi-index of row-major element `flat` in `shape`.
inline std::vector<int64_t> unflatten_index(int64_t flat, const std::vector<int64_t>& shape) {
  std::vector<int64_t> idx(shape.size());
  for (size_t axis = shape.size(); axis-- > 0;) {
    idx[axis] = shape[axis] ? flat % shape[axis] : 0;
    flat = shape[axis] ? flat / shape[axis] : 0;
  }
  return idx;
}

// "[1, 2]" — an element's index in error messages.
inline std::string index_string(const std::vector<int64_t>& idx) {
  std::string s = "[";
  for (size_t i = 0; i < idx.size(); ++i) {
    s += (i ? ", " : "") + std::to_string(idx[i]);
  }
  return s + "]";
}

}  // namespace tn::ref
