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
#include "sim/timing/cited_constants.hpp"

namespace tn::timing {

// The ranges of the constants, each with its physical meaning (the refusal's message quotes it). A range
// is closed at both ends so that every accepted value gives finite times; a constant every NeuronCore
// generation has at one value, and that the cost models and kernels assume, is fixed at that value.
namespace hw_range {
inline constexpr Range kNeuronCores{1, 8, false, "2 (Trn1) or 8 (Trn2, Trn3) per chip, hardware.md §0"};
inline constexpr Range kCoreVersion{2, 4, false,
                                    "the generations hardware.md describes: NeuronCore-v2, v3, v4"};
inline constexpr Range kClockMhz{
    1, 10000, false,
    "the engines run at 0.96-2.8 GHz, hardware.md §0; 1 MHz .. 10 GHz keeps a cycle "
    "within 100 ps .. 1 us"};
inline constexpr Range kArrayEdge{
    128, 128, false,
    "every generation's PE array is 128 x 128, hardware.md §0, §1.3; the matmul "
    "cost model and the kernels' tiles assume it"};
inline constexpr Range kOverheadCycles{
    0, 65536, false,
    "a fixed cost per instruction, 60-150 cycles on hardware (hardware.md §4.1); "
    "at most a whole instruction of 64K free elements (§1.4)"};
inline constexpr Range kDependencyLatency{
    0, 65536, false,
    "the cycles from an instruction's end until its output is committed, ~100 on hardware "
    "(hardware.md §4.1: a RAW-dependent chain's 264-cycle interval); at most 64K"};
inline constexpr Range kSlowdown{1, 16, false,
                                 "a dtype or stride slowdown, 2x or 4x on hardware (hardware.md §1.3, §1.7); "
                                 "1 is none"};
inline constexpr Range kLsSpeedup{
    1, 128, false,
    "LoadStationary is up to 4x faster than a matmul (hardware.md §1.3); at 128x "
    "it loads the array's 128 columns in one cycle"};
inline constexpr Range kMovingFree{
    512, 4096, false,
    "512 on v2/v3 (one PSUM bank of FP32) to 4096 on v4 (FP32 over all 8 banks), "
    "hardware.md §1.3; an FP32 result row then always fits the PSUM partition"};
inline constexpr Range kStationaryFree{128, 128, false,
                                       "gemm_stationary_fmax is 128 on every generation, the array's columns "
                                       "(hardware.md §3)"};
inline constexpr Range kActRate{1, 2, true,
                                "ScalarE moves 1 (v2, v3) or 2 (v4) BF16 elements per partition per cycle, "
                                "hardware.md §0, §1.5"};
inline constexpr Range kDvePerf4x{
    1, 4, true,
    "VectorE's fast perf mode moves 4 elements per partition per cycle on v3/v4, 1 "
    "on v2 (no perf mode), hardware.md §1.4"};
inline constexpr Range kDvePerf2x{
    1, 2, true,
    "VectorE's other perf mode moves 2 elements per partition per cycle on v3/v4, 1 "
    "on v2 (no perf mode), hardware.md §1.4"};
inline constexpr Range kDmaEngines{
    1, 128, false,
    "16 per NeuronCore (hardware.md §0, §1.8); no more than a whole Trn2 chip's "
    "128 (§1.1)"};
inline constexpr Range kDmaEngineBandwidth{
    1, 1000, false,
    "27.2-38.4 GB/s peak, 17-33 B/ns effective per engine (hardware.md "
    "§0, §1.8)"};
inline constexpr Range kDmaPacketBytes{
    64, 65536, false,
    "the largest piece a DMA engine moves at once: 4 KiB for compute DMA, 64 KiB for collectives "
    "(collectives.md §1)"};
inline constexpr Range kDmaPacketOverhead{
    0, 10000, false,
    "an engine's time per packet besides its bytes, tens of ns (hardware.md §1.8: effective below peak "
    "rate); at most 10 us"};
inline constexpr Range kEfficiency{
    0.01, 1, false,
    "a fraction of DMA throughput, 0.5 or 0.9 on hardware (hardware.md §1.8); at "
    "least 1%"};
inline constexpr Range kHbmBandwidth{10, 100000, false,
                                     "820 GB/s to 4.9 TB/s per chip, hardware.md §0, §1.9"};
inline constexpr Range kHbmStacks{
    1, 8, false,
    "2 (Trn1) or 4 (Trn2, Trn3) per chip (hardware.md §0, §1.9); at most one per "
    "NeuronCore"};
inline constexpr Range kCoresPerStack{
    1, 8, false,
    "1 (Trn1) or 2 (Trn2, Trn3) NeuronCores share a stack (hardware.md §1.9); "
    "at most a chip's 8"};
inline constexpr Range kPartitions{
    128, 128, false,
    "every generation has 128 partitions (hardware.md §0, §1.7); the partition "
    "windows and the kernels' tiles are those of 128"};
inline constexpr Range kSbufPartitionBytes{65536, 1048576, false,
                                           "192, 224 or 256 KiB per partition, hardware.md §0, §1.7"};
inline constexpr Range kFastStride{
    1, 4096, false, "16 bytes on hardware, hardware.md §1.7; 1 B (every stride slow) to 4 KiB"};
inline constexpr Range kPsumPartitionBytes{
    16384, 16384, false,
    "16 KiB per partition on every generation, hardware.md §0, §1.7; the "
    "kernels use all 8 banks"};
inline constexpr Range kPsumBankBytes{
    2048, 2048, false,
    "2 KiB (512 FP32) per bank on every generation, hardware.md §0, §1.7; the "
    "kernels' accumulators fill one"};
}  // namespace hw_range

// THE list of hardware constants: X(group, key, C++ type, unit, range). The struct fields, the loader's
// schema and range checks, override handling and to_json() are all generated from it, so a constant
// cannot exist in one place and be missing from another. `group`/`key` are the JSON path ($.group.key);
// the field is group_key; the range is one of hw_range above. Relations between constants (the HBM
// stacks hold the chip's cores, ...) are checked after loading (hw_config.cpp); the fixed ranges keep the
// PE operand limits within the array and PSUM banks within their partition.
#define TN_HW_CONSTANTS(X)                                                           \
  X(chip, neuron_cores, int64_t, "count", hw_range::kNeuronCores)                    \
  X(chip, neuron_core_version, int64_t, "version", hw_range::kCoreVersion)           \
  X(pe, clock_mhz, double, "MHz", hw_range::kClockMhz)                               \
  X(pe, array_rows, int64_t, "count", hw_range::kArrayEdge)                          \
  X(pe, array_cols, int64_t, "count", hw_range::kArrayEdge)                          \
  X(pe, mm_min_ii_cycles, int64_t, "cycles", hw_range::kOverheadCycles)              \
  X(pe, fp32_factor, int64_t, "x", hw_range::kSlowdown)                              \
  X(pe, ls_speed_factor, int64_t, "x", hw_range::kLsSpeedup)                         \
  X(pe, transpose_fp32_factor, int64_t, "x", hw_range::kSlowdown)                    \
  X(pe, max_moving_free, int64_t, "elements", hw_range::kMovingFree)                 \
  X(pe, max_stationary_free, int64_t, "elements", hw_range::kStationaryFree)         \
  X(act, clock_mhz, double, "MHz", hw_range::kClockMhz)                              \
  X(act, min_ii_cycles, int64_t, "cycles", hw_range::kOverheadCycles)                \
  X(act, static_overhead_cycles, int64_t, "cycles", hw_range::kOverheadCycles)       \
  X(act, dependency_latency_cycles, int64_t, "cycles", hw_range::kDependencyLatency) \
  X(act, reduce_readout_cycles, int64_t, "cycles", hw_range::kOverheadCycles)        \
  X(act, bf16_perf_factor, double, "x", hw_range::kActRate)                          \
  X(dve, clock_mhz, double, "MHz", hw_range::kClockMhz)                              \
  X(dve, min_ii_cycles, int64_t, "cycles", hw_range::kOverheadCycles)                \
  X(dve, static_overhead_cycles, int64_t, "cycles", hw_range::kOverheadCycles)       \
  X(dve, dependency_latency_cycles, int64_t, "cycles", hw_range::kDependencyLatency) \
  X(dve, perf_mode_4x_factor, double, "x", hw_range::kDvePerf4x)                     \
  X(dve, perf_mode_2x_factor, double, "x", hw_range::kDvePerf2x)                     \
  X(pool, clock_mhz, double, "MHz", hw_range::kClockMhz)                             \
  X(pool, startup_cycles, int64_t, "cycles", hw_range::kOverheadCycles)              \
  X(sp, clock_mhz, double, "MHz", hw_range::kClockMhz)                               \
  X(sp, sync_instruction_cycles, int64_t, "cycles", hw_range::kOverheadCycles)       \
  X(sp, sequencer_instruction_cycles, int64_t, "cycles", hw_range::kOverheadCycles)  \
  X(dma, engines, int64_t, "count", hw_range::kDmaEngines)                           \
  X(dma, bytes_per_ns_per_engine, double, "B/ns", hw_range::kDmaEngineBandwidth)     \
  X(dma, packet_bytes, int64_t, "bytes", hw_range::kDmaPacketBytes)                  \
  X(dma, packet_overhead_ns, double, "ns", hw_range::kDmaPacketOverhead)             \
  X(dma, fixed_latency_ns, double, "ns", ::tn::timing::kLatencyNsRange)              \
  X(dma, hwdge_instruction_ns, double, "ns", ::tn::timing::kLatencyNsRange)          \
  X(dma, swdge_gpsimd_cycles, int64_t, "cycles", hw_range::kOverheadCycles)          \
  X(dma, transpose_efficiency_from_hbm, double, "fraction", hw_range::kEfficiency)   \
  X(dma, transpose_efficiency_on_chip, double, "fraction", hw_range::kEfficiency)    \
  X(hbm, chip_bandwidth_gb_per_s, double, "GB/s", hw_range::kHbmBandwidth)           \
  X(hbm, stacks, int64_t, "count", hw_range::kHbmStacks)                             \
  X(hbm, cores_per_stack, int64_t, "count", hw_range::kCoresPerStack)                \
  X(sbuf, partitions, int64_t, "count", hw_range::kPartitions)                       \
  X(sbuf, bytes_per_partition, int64_t, "bytes", hw_range::kSbufPartitionBytes)      \
  X(sbuf, fast_stride_max_bytes, int64_t, "bytes", hw_range::kFastStride)            \
  X(sbuf, strided_slowdown_factor, int64_t, "x", hw_range::kSlowdown)                \
  X(psum, bytes_per_partition, int64_t, "bytes", hw_range::kPsumPartitionBytes)      \
  X(psum, bank_bytes, int64_t, "bytes", hw_range::kPsumBankBytes)

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

#define TN_HW_DECLARE_FIELD(group, key, type, unit, range) type group##_##key = 0;
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
