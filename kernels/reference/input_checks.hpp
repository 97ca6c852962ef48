// Validation of a reference's inputs, shared by the references: every failure throws
// std::invalid_argument("<who>: <message>") naming the tensor and what was expected.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/reference/host_tensor.hpp"

namespace tn::ref::detail {

class InputChecks {
 public:
  explicit InputChecks(std::string who) : m_who(std::move(who)) {}
  void require(bool ok, const std::string& message) const;
  // The tensor holds as many values as its shape says.
  void data_size(const HostTensor* t, const std::string& name) const;
  // The tensor is present, has exactly `expected` shape, and holds that many values.
  void tensor(const HostTensor* t, const std::string& name, const std::vector<int64_t>& expected) const;
  // A per-row column: (n, 1) as the kernels take it, or plain (n).
  void column(const HostTensor* t, const std::string& name, int64_t n) const;

 private:
  std::string m_who;
};

}  // namespace tn::ref::detail
