// Device HBM shared by every NeuronCore of a run: named tensors as raw little-endian bytes in their
// dtype. Programs refer to tensors by index; bind() resolves those indices to buffers by name, so the
// programs of several cores address the same memory (hardware.md §1.10: LNC2 cores share HBM).
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "isa/program.hpp"

namespace tn::sim {

struct HbmTensor {
  std::string name;
  DType dtype = DType::kFloat32;
  std::vector<int64_t> shape;
  std::vector<std::byte> bytes;
  std::vector<uint8_t> written;  // per element: has anything stored it? (reads of unwritten data fail)
  int64_t num_elements() const { return static_cast<int64_t>(written.size()); }
};

class Hbm {
 public:
  // Creates (or returns the existing, after checking dtype and shape) tensor `decl.name`.
  HbmTensor& declare(const isa::TensorDecl& decl);
  HbmTensor& at(const std::string& name);
  const HbmTensor& at(const std::string& name) const;
  bool contains(const std::string& name) const { return m_tensors.count(name) != 0; }
  // Stores host values (already in fp32) into a tensor, converting to its dtype; marks it written.
  void fill(const std::string& name, const std::vector<float>& values);
  // Stores host values without a detour through fp32 for integer dtypes: an int32 tensor holds 2^24 + 1
  // exactly. Integer dtypes need every value to be an integer in the dtype's range (std::invalid_argument
  // naming the element otherwise); float dtypes round through fp32 as fill() does.
  void fill_exact(const std::string& name, const std::vector<double>& values);
  // Reads a tensor back as fp32; elements nothing has stored read as NaN.
  std::vector<float> read(const std::string& name) const;
  // Reads a tensor back exactly (integers beyond 2^24 included); unwritten elements read as NaN.
  std::vector<double> read_exact(const std::string& name) const;
  // How many elements of a tensor nothing has stored (0 once an output is complete).
  int64_t unwritten_elements(const std::string& name) const;
  // Resolves a program's tensor indices to buffers, declaring missing output/internal ones (zero bytes,
  // unwritten). Throws std::invalid_argument when an input is missing or an existing tensor's dtype or
  // shape differs from the program's declaration.
  std::vector<HbmTensor*> bind(const isa::Program& program);

 private:
  std::map<std::string, HbmTensor> m_tensors;  // ordered: deterministic iteration
};

}  // namespace tn::sim
