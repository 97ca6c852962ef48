// Static checks of a Program against the hardware's limits, before anything runs: out-of-range accesses,
// SBUF/PSUM overflow, PSUM bank crossings, partition-window rules (hardware.md §1.7), engine legality
// (hardware.md §1.3-§1.6), operand shapes, and semaphore ids. Each issue names the instruction and the
// kernel source line that emitted it.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "isa/program.hpp"

namespace tn::isa {

struct MemoryLimits {
  int32_t num_partitions = 128;
  int64_t sbuf_partition_bytes = 224 * 1024;
  int64_t psum_partition_bytes = 16 * 1024;
  int64_t psum_bank_bytes = 2 * 1024;
  int64_t pe_max_moving_free = 512;
  int32_t pe_max_stationary_free = 128;
  // The NeuronCore generation (configs/hw chip.neuron_core_version): hardware DGE and gathers with a column
  // of indices need v3 or later (hardware.md §1.8 [S16]).
  int32_t neuron_core_version = 3;
};

// collectives.md §2: up to 4 permute channels within a node.
inline constexpr int32_t kMaxPermuteChannels = 4;

// Checks a program's replica groups against a launch of `ranks` ranks: every rank named exists.
std::vector<std::string> replica_group_issues(const Program& program, uint32_t ranks);

struct ValidationIssue {
  std::string where;  // e.g. "Tensor[12] multiply_moving (kernels/attention_cte.cpp:345)"
  std::string message;
  std::string to_string() const { return where + ": " + message; }
};

std::vector<ValidationIssue> validate(const Program& program, const MemoryLimits& limits);

class ValidationError : public std::runtime_error {
 public:
  explicit ValidationError(std::vector<ValidationIssue> issues);
  const std::vector<ValidationIssue>& issues() const { return m_issues; }

 private:
  std::vector<ValidationIssue> m_issues;
};

// Throws ValidationError listing every issue.
void validate_or_throw(const Program& program, const MemoryLimits& limits);

// "stream[index] mnemonic (file:line)" for messages from any layer.
std::string describe_instruction(const Program& program, size_t stream, size_t index);

}  // namespace tn::isa
