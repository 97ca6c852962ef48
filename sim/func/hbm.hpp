// The HBM of one rank: named tensors as raw little-endian bytes in their dtype. Shared tensors are seen
// by every NeuronCore of the rank (hardware.md §1.10: LNC2 cores share HBM); private ones exist once per
// core. Programs refer to tensors by index; bind() resolves those indices to buffers by name (and, for
// private tensors, by the program's core), so the programs of a rank's cores address the same memory.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
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
  int64_t elements = 0;
  int64_t num_elements() const { return elements; }
  // False in an Hbm that holds no data (timing without numerics): bytes and written are empty.
  bool holds_data() const { return written.size() == static_cast<size_t>(elements); }
};

class Hbm {
 public:
  // An Hbm that holds no data knows its tensors' names, dtypes and shapes only: a run without numerics
  // (timing_only) binds programs to it without allocating the bytes, and nothing may fill or read it.
  explicit Hbm(bool holds_data = true) : m_holds_data(holds_data) {}
  // Holds data for the tensors named in `data_tensors` only (shared and private alike): the HBM of a run
  // without numerics that still evaluates its value slice (sim/func/value_slice.hpp).
  explicit Hbm(std::set<std::string> data_tensors)
      : m_holds_data(false), m_data_tensors(std::move(data_tensors)) {}
  // True when every tensor holds data (HbmTensor::holds_data tells for one).
  bool holds_data() const { return m_holds_data; }
  // Creates (or returns the existing, after checking dtype and shape) tensor `decl.name`: the shared one,
  // or core `core`'s own for a private declaration.
  HbmTensor& declare(const isa::TensorDecl& decl, uint32_t core = 0);
  // Shared tensors by name.
  HbmTensor& at(const std::string& name);
  const HbmTensor& at(const std::string& name) const;
  bool contains(const std::string& name) const { return m_tensors.count(name) != 0; }
  // Core `core`'s private tensor `name`.
  const HbmTensor& at_private(uint32_t core, const std::string& name) const;
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
  bool m_holds_data;
  std::set<std::string> m_data_tensors;        // without m_holds_data: the tensors that hold data anyway
  std::map<std::string, HbmTensor> m_tensors;  // ordered: deterministic iteration
  std::map<uint32_t, std::map<std::string, HbmTensor>> m_private;  // by core
};

}  // namespace tn::sim
