// A run's memory and work, estimated from the kernel's resolved parameters before any program is built or
// tensor allocated, so that a run the machine cannot hold is refused at once (naming the parameters that
// drive the estimate) and a long one says how long before it starts.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "isa/dtype.hpp"

namespace tn::cli {

// One HBM tensor of the run, as the estimate sees it.
struct EstimatedTensor {
  DType dtype = DType::kFloat32;
  double elements = 0;         // a double: a refused shape may hold more elements than an int64 sums safely
  bool runtime_value = false;  // a runtime parameter (length, offset, bound): drawn even without numerics
};

struct RunEstimate {
  std::string kernel;
  // The parameters that drive the estimate, with their values: "bs * seqlen_q * seqlen_kv = 64 * 131072 *
  // 131072 = 1.1e+12".
  std::string drivers;
  double instructions = 0;  // of one rank's programs (over its cores): every rank runs the same ones
  uint32_t ranks = 1;       // each rank holds its own tensors and runs the programs
  std::vector<EstimatedTensor> inputs, outputs;  // one rank's
};

// What the run does with its tensors (RunConfig's mode and check_numerics).
struct EstimateMode {
  bool data = true;            // not timing_only: inputs drawn, HBM images of every tensor
  bool check_numerics = true;  // the float64 reference and its outputs
  bool both = false;           // `both`: a second HBM image for the functional pass
};

// Host bytes a program holds per instruction while it is built and run: the 56-byte record, its share of
// the stream chunks, the builder's dependency tracking and buffer lifetimes and the timed run's per-stream
// state. Measured on attention_cte 32K timing_only runs without a trace (2026-12-03): bs 1, 142 K
// instructions, peaked at 32 MiB and bs 4, 568 K instructions, at 83 MiB, from a 13 MiB start: 124-142 B
// each. 160 leaves some room.
inline constexpr double kBytesPerInstruction = 160;

// The bytes the estimate expects the run to hold at its peak: program, HBM images and the host copies
// (float64) of inputs, outputs and the reference's outputs.
double estimated_bytes(const RunEstimate& e, const EstimateMode& mode);

// Refuses (ConfigError naming `file`, the kernel, the drivers, the instructions and bytes) a run whose
// estimate exceeds `available_bytes`; `limit_source` says where that figure came from.
void check_fits(const std::string& file, const RunEstimate& e, const EstimateMode& mode,
                double available_bytes, const std::string& limit_source);

// The rates the wall-time estimate uses (whole process, one 2-core CI machine; README "Speed"):
// timing_only runs 1.8-2.0 M instructions/s at 32K, runs with numerics 10-15 K instructions/s
// (attention_cte 8K and 32K with numerics: 14.6 K and 14.3 K; the matmul case 7.3 K).
inline constexpr double kTimingOnlyInstructionsPerS = 1.5e6;
inline constexpr double kNumericsInstructionsPerS = 1.0e4;
// A run expected to take longer than this says so before it starts.
inline constexpr double kLongRunS = 10;

// The line a long run prints on stderr before it starts ("" for a short one).
std::string long_run_notice(const RunEstimate& e, const EstimateMode& mode);

// MemAvailable of /proc/meminfo in bytes, or nullopt where there is none.
std::optional<double> available_memory_bytes();

// "21G", "512MiB", "1.5 GB", "1048576": bytes (binary units; K/M/G/T with an optional "i", "B", "iB").
// Throws ConfigError naming `option` for anything else, zero or negative.
double parse_memory_size(const std::string& option, const std::string& text);

// {{"bs", 64}, {"seqlen_q", 131072}} -> "bs * seqlen_q = 64 * 131072 = 8.4 M": a RunEstimate's drivers.
std::string product_text(const std::vector<std::pair<std::string, int64_t>>& factors);

// 23622320128 -> "22.0 GiB", 2048 -> "2.0 KiB".
std::string format_bytes(double bytes);
// 1.45e8 -> "145.0 M", 12345 -> "12.3 K", 812 -> "812".
std::string format_count(double n);

}  // namespace tn::cli
