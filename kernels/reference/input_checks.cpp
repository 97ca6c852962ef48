#include "kernels/reference/input_checks.hpp"

#include <stdexcept>

namespace tn::ref::detail {

void InputChecks::require(bool ok, const std::string& message) const {
  if (!ok) {
    throw std::invalid_argument(m_who + ": " + message);
  }
}

void InputChecks::data_size(const HostTensor* t, const std::string& name) const {
  require(static_cast<int64_t>(t->data.size()) == t->numel(),
          name + " holds " + std::to_string(t->data.size()) + " values but its shape " +
              shape_string(t->shape) + " needs " + std::to_string(t->numel()));
}

void InputChecks::tensor(const HostTensor* t, const std::string& name,
                         const std::vector<int64_t>& expected) const {
  require(t != nullptr, name + " is required");
  require(t->shape == expected,
          name + " has shape " + shape_string(t->shape) + ", expected " + shape_string(expected));
  data_size(t, name);
}

void InputChecks::column(const HostTensor* t, const std::string& name, int64_t n) const {
  require(t->shape == std::vector<int64_t>{n, 1} || t->shape == std::vector<int64_t>{n},
          name + " has shape " + shape_string(t->shape) + ", expected (" + std::to_string(n) + ", 1)");
  data_size(t, name);
}

}  // namespace tn::ref::detail
