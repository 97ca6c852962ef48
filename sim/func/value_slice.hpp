// The value slice of a launch: the instructions whose results decide its control flow or its indirect
// addressing, so that a run without numerics (timing_only) evaluates exactly those and times the rest
// without data. Sinks are the reads of reg_load (the value lands in a sequencer register that branches,
// loop trip counts and register offsets use) and of a dma_gather's index column; the slice is every
// instruction that writes memory a slice instruction reads, closed transitively (DMAs and collectives
// included). Memory is matched by bounding boxes and without regard to order: an instruction that
// might feed the slice is in it, so evaluating the slice alone gives the same values as a run with
// numerics (its reads see only bytes slice instructions wrote, or inputs).
#pragma once
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "isa/program.hpp"

namespace tn::sim {

class ValueSlice {
 public:
  ValueSlice() = default;
  // `programs`: a launch's programs, one per core position (every rank runs the same ones).
  explicit ValueSlice(const std::vector<const isa::Program*>& programs);

  bool empty() const { return m_size == 0; }
  // Do the programs read runtime values at all (a reg_load, a dma_gather)? Then a run without numerics
  // keeps SBUF/PSUM images, to evaluate the slice and to read every gather's indices.
  bool reads_runtime_values() const { return m_reads_runtime_values; }
  // How many static instructions are in the slice.
  size_t size() const { return m_size; }
  // Does instruction `index` of stream `stream` of the program at core position `program` belong to it?
  bool contains(size_t program, size_t stream, size_t index) const {
    return !empty() && m_members[program][stream][index] != 0;
  }
  // The HBM tensors the slice reads or writes (by name, shared and private alike): the only ones a run
  // without numerics must hold data for; the inputs among them need their values.
  const std::set<std::string>& tensors() const { return m_tensors; }

 private:
  std::vector<std::vector<std::vector<uint8_t>>> m_members;  // [program][stream][instruction]
  std::set<std::string> m_tensors;
  size_t m_size = 0;
  bool m_reads_runtime_values = false;
};

}  // namespace tn::sim
