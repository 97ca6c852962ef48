#include "bench/fidelity_cases.hpp"

#include <stdexcept>

namespace tn::bench {

using nlohmann::json;

namespace {

// A microbenchmark run (kernels/microbenchmark.hpp) on `preset`, timed with numerics and no trace.
// `dge` is the load queue's descriptor generation.
json microbenchmark(const std::string& preset, const std::string& kind, int64_t count, int64_t partitions,
                    int64_t elements, const std::string& dtype = "float32", const std::string& dge = "none") {
  return {{"kernel", "microbenchmark"},
          {"params",
           {{"kind", kind},
            {"count", count},
            {"partitions", partitions},
            {"elements", elements},
            {"dtype", dtype},
            {"dge", dge}}},
          {"hardware", preset},
          {"mode", "timing"},
          {"trace", {{"perfetto", false}}}};
}

// Two microbenchmark runs of 1000 and 2000 instructions: one instruction's share of a stream.
FidelityCase per_instruction(std::string id, std::string fact, std::string source, double expected,
                             const std::string& preset, const std::string& kind, int64_t partitions,
                             int64_t elements, double roofline_ns, const std::string& dtype = "float32",
                             const std::string& dge = "none") {
  FidelityCase c;
  c.id = std::move(id);
  c.fact = std::move(fact);
  c.source = std::move(source);
  c.expected = expected;
  c.unit = "ns";
  c.measure = Measure::kPerInstruction;
  c.runs = {microbenchmark(preset, kind, 1000, partitions, elements, dtype, dge),
            microbenchmark(preset, kind, 2000, partitions, elements, dtype, dge)};
  c.count_difference = 1000;
  c.roofline = roofline_ns;
  return c;
}

std::vector<FidelityCase> make_cases() {
  std::vector<FidelityCase> cases;
  // ScalarE / VectorE / GpSimd instruction costs (hardware.md §1.4-§1.6, §4.1). Rooflines: N elements per
  // partition at one per cycle (ScalarE 1.4 / 1.2 GHz on trn1 / trn2, VectorE 0.96 GHz x its perf mode).
  cases.push_back(per_instruction(
      "act_raw_chain_trn1", "ScalarE RAW-dependent chain of 1-element instructions, NC-v2 (trn1)",
      "§4.1, §5 #13 [S14]: measured initiation interval", 189, "trn1", "scalar_chain", 1, 1, 1 / 1.4));
  cases.push_back(per_instruction("act_raw_chain_trn2", "the same chain on NC-v3 (trn2)",
                                  "current NKI performance guide (issue 14): 222 ns", 222, "trn2",
                                  "scalar_chain", 1, 1, 1 / 1.2));
  cases.push_back(per_instruction("act_tiny",
                                  "ScalarE tiny independent instruction: MIN_II 64 + ~100 static cycles",
                                  "§4.1 [S11,S21]: max(MIN_II ~64, N) + ~100 cycles static overhead",
                                  164 / 1.2, "trn2", "scalar_independent", 1, 1, 1 / 1.2));
  cases.push_back(per_instruction("dve_tiny", "VectorE tiny independent instruction: ~164 cycles",
                                  "§1.4, §4.1 [S11]: max(MIN_II ~64, N x passes) + ~100 static", 164 / 0.96,
                                  "trn2", "vector_independent", 1, 1, 1 / 0.96));
  cases.push_back(per_instruction("act_n2048", "ScalarE instruction of N = 2048 fp32 elements: N cycles",
                                  "§1.5, §4.1 [S11,S21]: cost ~ max(MIN_II, N)", 2048 / 1.2, "trn2",
                                  "scalar_independent", 128, 2048, 2048 / 1.2));
  cases.push_back(per_instruction("dve_n2048_fp32", "VectorE copy of N = 2048 fp32 elements: N cycles",
                                  "§1.4, §4.1 [S11]: ~N cycles for N > 128, no perf mode for fp32",
                                  2048 / 0.96, "trn2", "vector_independent", 128, 2048, 2048 / 0.96));
  cases.push_back(per_instruction("dve_n2048_bf16", "VectorE bf16 SBUF->SBUF copy of N = 2048: 4x perf mode",
                                  "§1.4 [S12]: perf mode 4x for tensor_copy SBUF->SBUF, BF16 in and out",
                                  512 / 0.96, "trn2", "vector_independent", 128, 2048, 512 / 0.96,
                                  "bfloat16"));
  cases.push_back(per_instruction("pool_tiny", "GpSimd tiny instruction: ~150 cycles start-up + N",
                                  "§1.6, §4.1 [S21]: GPSIMD_START ~150 + N", 151 / 1.2, "trn2",
                                  "gpsimd_independent", 1, 1, 1 / 1.2));

  // DMA (hardware.md §1.8). Rooflines: bytes at 27.2 GB/s per engine (the peak, [S17]).
  {
    FidelityCase c;
    c.id = "dma_32k_single_engine";
    c.fact = "DMA of 32 KiB HBM -> SBUF on one engine (one partition)";
    c.source = "§1.8, §5 #12 [S17]: measured on Trn2";
    c.expected = 1416;
    c.unit = "ns";
    c.measure = Measure::kLoadQueueBusy;
    c.runs = {microbenchmark("trn2", "dma_stream", 1, 1, 8192)};
    c.roofline = 32768 / 27.2;
    cases.push_back(c);
  }
  {
    FidelityCase c;
    c.id = "dma_small_fixed_cost";
    c.fact = "DMA of 128 x 64 B: the fixed cost per transfer";
    c.source = "§1.8, §4.1 [S15]: ~1300 ns descriptor setup, synchronisation and semaphore";
    c.expected = 1300;
    c.unit = "ns";
    c.measure = Measure::kLoadQueueBusy;
    c.runs = {microbenchmark("trn2", "dma_stream", 1, 128, 16)};
    cases.push_back(c);
  }
  {
    FidelityCase c;
    c.id = "dma_stream_4k_rows";
    c.fact = "DMA stream of 128 x 4 KiB transfers: effective bandwidth per core";
    c.source = "§0, §1.8 [S15,S17]: 23 B/ns per engine x 16 = 368 GB/s; >= 4 KiB per partition saturates";
    c.expected = 368;
    c.unit = "GB/s";
    c.measure = Measure::kBandwidth;
    c.runs = {microbenchmark("trn2", "dma_stream", 100, 128, 1024),
              microbenchmark("trn2", "dma_stream", 200, 128, 1024)};
    c.count_difference = 100;
    c.bytes = 128 * 4096;
    c.roofline = 16 * 27.2;
    cases.push_back(c);
  }

  // Roofline: the bytes at the engines' peak.
  cases.push_back(per_instruction(
      "dma_hwdge_instruction",
      "hardware-DGE DMA stream of 128 x 64 B transfers on one Sync queue: time per instruction",
      "§1.8, §4.1 [S12,S16]: ~600 ns per hwdge instruction (v3)", 600, "trn2", "dma_stream", 128, 16,
      128 * 64 / (16 * 27.2), "float32", "hwdge"));

  // TensorE (hardware.md §1.3, §4.1): the matmul kernel's 128 x 128 x 512 multiplies.
  {
    FidelityCase c;
    c.id = "pe_matmul_bf16";
    c.fact = "TensorE 128x128x512 bf16 matmul interval: max(N, 64) cycles";
    c.source = "§1.3, §4.1 [S11,S14]: II ~ max(N_moving, 64) at 2.4 GHz";
    c.expected = 512 / 2.4;
    c.unit = "ns";
    c.measure = Measure::kOpcodeMean;
    c.opcode = "multiply_moving";
    c.runs = {json{{"kernel", "matmul"},
                   {"params", {{"m", 1024}, {"k", 1024}, {"n", 4096}, {"dtype", "bfloat16"}}},
                   {"hardware", "trn2"},
                   {"mode", "timing_only"},
                   {"trace", {{"perfetto", false}}}}};
    c.roofline = 512 / 2.4;
    cases.push_back(c);
  }
  {
    FidelityCase c = cases.back();
    c.id = "pe_matmul_fp32";
    c.fact = "TensorE 128x128x512 fp32 matmul: 4x the bf16 interval";
    c.source = "§1.3, §4.1 [S11,S14]: FP32 is 4x";
    c.expected = 4 * 512 / 2.4;
    c.runs[0]["params"] = {{"m", 256}, {"k", 256}, {"n", 1024}, {"dtype", "float32"}};
    c.roofline = 4 * 512 / 2.4;
    cases.push_back(c);
  }
  // Published kernel measurements (hardware.md §5).
  {
    FidelityCase c;
    c.id = "trn1_matmul_tutorial";
    c.fact = "Trn1 bf16 [4096,8192] @ [8192,8192], the NKI tutorial's fully optimised (blocked) matmul";
    c.source = "§5 #1 [S33]: 6.97 ms, 85.24 % HFU on one NC-v2";
    c.expected = 6.97;
    c.unit = "ms";
    c.measure = Measure::kTotalMs;
    c.runs = {json{
        {"kernel", "matmul"},
        {"params", {{"m", 4096}, {"k", 8192}, {"n", 8192}, {"dtype", "bfloat16"}, {"schedule", "blocked"}}},
        {"hardware", "trn1"},
        {"mode", "timing_only"},
        {"trace", {{"perfetto", false}}}}};
    // 2 x 4096 x 8192 x 8192 FLOP at 128 x 128 x 2 x 2.8 GHz = 91.75 TFLOPS.
    c.roofline = 2.0 * 4096 * 8192 * 8192 / (128.0 * 128 * 2 * 2.8e9) * 1e3;
    c.tolerance = 0.10;
    cases.push_back(c);
  }
  return cases;
}

double total_ns(const json& summary) { return summary.at("timing").at("total_ns").get<double>(); }

}  // namespace

const std::vector<FidelityCase>& fidelity_cases() {
  static const std::vector<FidelityCase> cases = make_cases();
  return cases;
}

const FidelityCase& fidelity_case(const std::string& id) {
  for (const FidelityCase& c : fidelity_cases()) {
    if (c.id == id)
      return c;
  }
  throw std::invalid_argument("no fidelity case '" + id + "'");
}

double simulate(const FidelityCase& c, const RunConfig& run) {
  switch (c.measure) {
    case Measure::kPerInstruction:
    case Measure::kBandwidth: {
      const double per_instruction =
          (total_ns(run(c.id + "_long", c.runs.at(1))) - total_ns(run(c.id + "_short", c.runs.at(0)))) /
          c.count_difference;
      return c.measure == Measure::kBandwidth ? c.bytes / per_instruction : per_instruction;
    }
    case Measure::kLoadQueueBusy:
      return run(c.id, c.runs.at(0))
          .at("timing")
          .at("cores")
          .at(0)
          .at("engines")
          .at("qSyncIO0")
          .at("busy_ns")
          .get<double>();
    case Measure::kTotalMs:
      return total_ns(run(c.id, c.runs.at(0))) / 1e6;
    case Measure::kOpcodeMean: {
      const json summary = run(c.id, c.runs.at(0));
      const json& op = summary.at("timing").at("opcodes").at(c.opcode);
      return op.at("time_ns").get<double>() / op.at("count").get<double>();
    }
  }
  return 0;
}

}  // namespace tn::bench
