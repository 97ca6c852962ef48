// The hardware constants the timing model uses, loaded from a preset such as configs/hw/trn2.json.
// Every constant in a file is {"value", "unit", "source"}: the unit must match the one the code expects
// (it is also part of the field name) and the source cites hardware.md, so each number can be traced.
#pragma once
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

#include "isa/engine.hpp"
#include "isa/validator.hpp"

namespace tn::timing {

// THE list of hardware constants: X(group, key, C++ type, unit, lower bound). The struct fields, the
// loader's schema, override handling and to_json() are all generated from it, so a constant cannot
// exist in one place and be missing from another. `group`/`key` are the JSON path ($.group.key); the
// field is group_key. Bounds: kPositive (> 0) or kNonNegative (>= 0).
#define TN_HW_CONSTANTS(X)                                             \
  X(chip, neuron_cores, int64_t, "count", kPositive)                   \
  X(chip, neuron_core_version, int64_t, "version", kPositive)          \
  X(pe, clock_mhz, double, "MHz", kPositive)                           \
  X(pe, array_rows, int64_t, "count", kPositive)                       \
  X(pe, array_cols, int64_t, "count", kPositive)                       \
  X(pe, mm_min_ii_cycles, int64_t, "cycles", kNonNegative)             \
  X(pe, fp32_factor, int64_t, "x", kPositive)                          \
  X(pe, ls_speed_factor, int64_t, "x", kPositive)                      \
  X(pe, transpose_fp32_factor, int64_t, "x", kPositive)                \
  X(pe, max_moving_free, int64_t, "elements", kPositive)               \
  X(pe, max_stationary_free, int64_t, "elements", kPositive)           \
  X(act, clock_mhz, double, "MHz", kPositive)                          \
  X(act, min_ii_cycles, int64_t, "cycles", kNonNegative)               \
  X(act, static_overhead_cycles, int64_t, "cycles", kNonNegative)      \
  X(act, reduce_readout_cycles, int64_t, "cycles", kNonNegative)       \
  X(act, bf16_perf_factor, double, "x", kPositive)                     \
  X(dve, clock_mhz, double, "MHz", kPositive)                          \
  X(dve, min_ii_cycles, int64_t, "cycles", kNonNegative)               \
  X(dve, static_overhead_cycles, int64_t, "cycles", kNonNegative)      \
  X(dve, perf_mode_4x_factor, double, "x", kPositive)                  \
  X(dve, perf_mode_2x_factor, double, "x", kPositive)                  \
  X(pool, clock_mhz, double, "MHz", kPositive)                         \
  X(pool, startup_cycles, int64_t, "cycles", kNonNegative)             \
  X(sp, clock_mhz, double, "MHz", kPositive)                           \
  X(sp, sync_instruction_cycles, int64_t, "cycles", kNonNegative)      \
  X(sp, sequencer_instruction_cycles, int64_t, "cycles", kNonNegative) \
  X(dma, engines, int64_t, "count", kPositive)                         \
  X(dma, bytes_per_ns_per_engine, double, "B/ns", kPositive)           \
  X(dma, fixed_latency_ns, double, "ns", kNonNegative)                 \
  X(dma, transpose_efficiency_from_hbm, double, "fraction", kPositive) \
  X(dma, transpose_efficiency_on_chip, double, "fraction", kPositive)  \
  X(hbm, chip_bandwidth_gb_per_s, double, "GB/s", kPositive)           \
  X(hbm, stacks, int64_t, "count", kPositive)                          \
  X(hbm, cores_per_stack, int64_t, "count", kPositive)                 \
  X(sbuf, partitions, int64_t, "count", kPositive)                     \
  X(sbuf, bytes_per_partition, int64_t, "bytes", kPositive)            \
  X(sbuf, fast_stride_max_bytes, int64_t, "bytes", kPositive)          \
  X(sbuf, strided_slowdown_factor, int64_t, "x", kPositive)            \
  X(psum, bytes_per_partition, int64_t, "bytes", kPositive)            \
  X(psum, bank_bytes, int64_t, "bytes", kPositive)

// Thrown for any problem with a preset or its overrides; the message starts with the file (or
// "overrides") and the JSON path of the offending value, e.g. "hw/trn2.json: $.pe.clock_mhz.unit: missing".
class HwConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct HwConfig {
  std::string name;         // preset name, e.g. "trn2"
  std::string description;  // free text from the file
  std::string origin;       // the file it was loaded from

#define TN_HW_DECLARE_FIELD(group, key, type, unit, bound) type group##_##key = 0;
  TN_HW_CONSTANTS(TN_HW_DECLARE_FIELD)
#undef TN_HW_DECLARE_FIELD

  // SBUF/PSUM geometry and PE operand limits, for the validator and the functional core state.
  isa::MemoryLimits memory_limits() const;
  // The clock an engine's cycles count in. DMA queues are fed by the Sync engine's sequencer
  // (hardware.md §1.2: SyncE "is mostly used to trigger DMAs"), so their control instructions count
  // SyncE cycles; DMA transfers themselves are timed in ns by the DMA model.
  double clock_mhz(isa::Engine engine) const;
  // Bandwidth of one HBM stack (the chip figure spread evenly over the stacks, hardware.md §1.9); the
  // cores on a stack share it. GB/s == B/ns.
  double hbm_bytes_per_ns_per_stack() const { return hbm_chip_bandwidth_gb_per_s / hbm_stacks; }
  // Dense BF16 matmul peak of one core: rows x cols MACs x 2 FLOP per PE cycle (hardware.md §1.1: "use
  // per-core clock x array width"; 128 * 128 * 2 * 2.4 GHz = 78.6 TFLOPS on trn2).
  double peak_matmul_flops_per_s() const {
    return double(pe_array_rows) * double(pe_array_cols) * 2.0 * pe_clock_mhz * 1e6;
  }
  // The resolved values as {"name": ..., "pe": {"clock_mhz": 2400, ...}, ...}: the same shape as
  // overrides, for run summaries.
  nlohmann::json to_json() const;
};

// Loads a preset by name ("trn2" -> <configs>/hw/trn2.json) or by path (anything containing '/' or
// ending in ".json"), then applies `overrides`: an object with the file's nesting mapping to plain
// values, e.g. {"dma": {"fixed_latency_ns": 1000}}. Unknown keys, missing keys, wrong types, missing
// or wrong units, empty sources and out-of-range values all throw HwConfigError.
HwConfig load_hw_config(const std::string& path_or_preset_name, const nlohmann::json& overrides = {});

// Where a preset name resolves to: config_dir()/hw/<name>.json (sim/timing/config_dir.hpp).
std::filesystem::path hw_preset_path(std::string_view preset_name);

}  // namespace tn::timing
