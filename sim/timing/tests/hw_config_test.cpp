// Loading the presets, overrides, and the error messages (each names the file and the JSON path).
#include "sim/timing/hw_config.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>

using nlohmann::json;
using tn::timing::HwConfig;
using tn::timing::HwConfigError;
using tn::timing::load_hw_config;

namespace {

std::filesystem::path preset_file(const std::string& name) {
  return std::filesystem::path(TRNSIM_SOURCE_DIR) / "configs" / "hw" / (name + ".json");
}

json read_json(const std::filesystem::path& p) {
  std::ifstream in(p);
  return json::parse(in);
}

std::filesystem::path scratch_dir() {
  auto dir = std::filesystem::temp_directory_path() / "tn_timing_hw_config_test";
  std::filesystem::create_directories(dir / "hw");
  return dir;
}

// Writes trn2.json after `edit` to a scratch file and returns the loader's error message.
std::string error_for(const std::function<void(json&)>& edit, const std::string& file = "bad.json") {
  json j = read_json(preset_file("trn2"));
  edit(j);
  const std::string path = (scratch_dir() / file).string();
  std::ofstream(path) << j.dump(2);
  try {
    load_hw_config(path);
  } catch (const HwConfigError& e) {
    return e.what();
  }
  return "no error";
}

std::string override_error(const json& overrides) {
  try {
    load_hw_config("trn2", overrides);
  } catch (const HwConfigError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("hw_config: trn2 preset values") {
  const HwConfig hw = load_hw_config("trn2");
  CHECK(hw.name == "trn2");
  CHECK(hw.pe_clock_mhz == 2400);
  CHECK(hw.dve_clock_mhz == 960);
  CHECK(hw.act_clock_mhz == 1200);
  CHECK(hw.pool_clock_mhz == 1200);
  CHECK(hw.pe_array_rows == 128);
  CHECK(hw.pe_array_cols == 128);
  CHECK(hw.pe_mm_min_ii_cycles == 64);
  CHECK(hw.pe_fp32_factor == 4);
  CHECK(hw.pe_ls_speed_factor == 4);
  CHECK(hw.act_min_ii_cycles == 64);
  CHECK(hw.act_static_overhead_cycles == 100);
  CHECK(hw.act_dependency_latency_cycles == 100);
  CHECK(hw.dve_static_overhead_cycles == 100);
  CHECK(hw.dve_dependency_latency_cycles == 100);
  CHECK(hw.act_reduce_readout_cycles == 64);
  CHECK(hw.pool_startup_cycles == 150);
  CHECK(hw.dve_perf_mode_4x_factor == 4);
  CHECK(hw.dve_perf_mode_2x_factor == 2);
  CHECK(hw.dma_engines == 16);
  CHECK(hw.dma_bytes_per_ns_per_engine == 27.2);
  CHECK(hw.dma_packet_bytes == 4096);
  CHECK(hw.dma_packet_overhead_ns == 27.5);
  CHECK(hw.dma_fixed_latency_ns == 1300);
  CHECK(hw.dma_transpose_efficiency_from_hbm == 0.9);
  CHECK(hw.dma_transpose_efficiency_on_chip == 0.5);
  // 2.9 TB/s over 4 stacks = 725 GB/s = 725 B/ns per stack, shared by 2 cores.
  CHECK(hw.hbm_bytes_per_ns_per_stack() == 725);
  CHECK(hw.hbm_cores_per_stack == 2);
  CHECK(hw.clock_mhz(tn::isa::Engine::kDve) == 960);
  CHECK(hw.peak_matmul_flops_per_s() == 128.0 * 128 * 2 * 2400e6);  // 78.64 TFLOPS
  const tn::isa::MemoryLimits l = hw.memory_limits();
  CHECK(l.num_partitions == 128);
  CHECK(l.sbuf_partition_bytes == 224 * 1024);
  CHECK(l.psum_partition_bytes == 16 * 1024);
  CHECK(l.psum_bank_bytes == 2 * 1024);
  CHECK(l.pe_max_moving_free == 512);
  CHECK(l.pe_max_stationary_free == 128);
}

TEST_CASE("hw_config: full 4 KiB packets move at each generation's effective DMA rate") {
  // hardware.md §0, §1.8: 17, 23 and 33 B/ns per engine on v2, v3 and v4 [S15,S17]; the presets give the
  // peak rate and a per-packet overhead that together make these.
  for (const auto& [preset, effective] : {std::pair{"trn1", 17.0}, {"trn2", 23.0}, {"trn3", 33.0}}) {
    INFO(preset);
    const HwConfig hw = load_hw_config(preset);
    const double packet = double(hw.dma_packet_bytes);
    const double ns = packet / hw.dma_bytes_per_ns_per_engine + hw.dma_packet_overhead_ns;
    CHECK(packet / ns == doctest::Approx(effective).epsilon(0.001));
  }
}

TEST_CASE("hw_config: trn1 and trn3 presets") {
  const HwConfig t1 = load_hw_config("trn1");
  CHECK(t1.pe_clock_mhz == 2800);
  CHECK(t1.dve_clock_mhz == 1120);
  CHECK(t1.act_clock_mhz == 1400);
  CHECK(t1.dma_bytes_per_ns_per_engine == 27.2);
  CHECK(t1.sbuf_bytes_per_partition == 192 * 1024);
  CHECK(t1.hbm_bytes_per_ns_per_stack() == 410);  // 820 GB/s over 2 stacks
  const HwConfig t3 = load_hw_config("trn3");
  CHECK(t3.dve_clock_mhz == 1200);
  CHECK(t3.dma_bytes_per_ns_per_engine == 38.4);
  CHECK(t3.sbuf_bytes_per_partition == 256 * 1024);
  CHECK(t3.hbm_bytes_per_ns_per_stack() == 1225);  // 4.9 TB/s over 4 stacks
  CHECK(t3.memory_limits().pe_max_moving_free == 4096);
}

TEST_CASE("hw_config: a path loads like the preset name") {
  const HwConfig by_path = load_hw_config(preset_file("trn2").string());
  CHECK(by_path.to_json() == load_hw_config("trn2").to_json());
  CHECK(by_path.origin == preset_file("trn2").string());
}

TEST_CASE("hw_config: overrides replace values") {
  const HwConfig hw =
      load_hw_config("trn2", {{"dma", {{"fixed_latency_ns", 1000}}}, {"pe", {{"clock_mhz", 2000.5}}}});
  CHECK(hw.dma_fixed_latency_ns == 1000);
  CHECK(hw.pe_clock_mhz == 2000.5);
  CHECK(hw.dma_engines == 16);
}

TEST_CASE("hw_config: to_json has the resolved values in the overrides' shape") {
  const HwConfig hw = load_hw_config("trn2");
  json j = hw.to_json();
  CHECK(j["name"] == "trn2");
  CHECK(j["pe"]["clock_mhz"] == 2400);
  CHECK(j["dma"]["engines"] == 16);
  j.erase("name");
  CHECK(load_hw_config("trn2", j).to_json() == hw.to_json());
}

TEST_CASE("hw_config: errors name the file and the JSON path") {
  const std::string f = (scratch_dir() / "bad.json").string();
  CHECK(error_for([](json& j) { j["pe"]["clock_mhz"].erase("unit"); }) ==
        f + ": $.pe.clock_mhz.unit: missing");
  CHECK(error_for([](json& j) { j["pe"]["clock_mhz"].erase("source"); }) ==
        f + ": $.pe.clock_mhz.source: missing");
  CHECK(error_for([](json& j) { j["pe"]["clock_mhz"].erase("value"); }) ==
        f + ": $.pe.clock_mhz.value: missing");
  CHECK(error_for([](json& j) { j["pe"]["clock_mhz"]["source"] = ""; }) ==
        f + ": $.pe.clock_mhz.source: must not be empty");
  CHECK(error_for([](json& j) { j["pe"]["clock_mhz"]["unit"] = "GHz"; }) ==
        f + ": $.pe.clock_mhz.unit: expected \"MHz\", got \"GHz\"");
  CHECK(error_for([](json& j) { j["pe"]["clock_mhz"]["unit"] = 7; }) ==
        f + ": $.pe.clock_mhz.unit: expected a string, got number");
  CHECK(error_for([](json& j) { j["pe"]["clock_mhz"]["value"] = "fast"; }) ==
        f + ": $.pe.clock_mhz.value: expected a number, got string");
  CHECK(error_for([](json& j) { j["dma"]["engines"]["value"] = 16.5; }) ==
        f + ": $.dma.engines.value: expected an integer, got a fraction");
  CHECK(error_for([](json& j) { j["pe"]["clock_mhz"]["value"] = -1; }) ==
        f + ": $.pe.clock_mhz.value: -1 is out of range: must be in 1 .. 10000 MHz (" +
            std::string(tn::timing::hw_range::kClockMhz.meaning) + ")");
  CHECK(error_for([](json& j) { j["hbm"]["stacks"]["value"] = 2; }) ==
        f + ": $.hbm.cores_per_stack: 2 stacks ($.hbm.stacks) x 2 cores per stack = 4, but the chip has 8 " +
            "NeuronCores ($.chip.neuron_cores): every core sits on one stack (hardware.md §1.9)");
  CHECK(error_for([](json& j) { j["pe"]["clock_mhz"]["note"] = "x"; }) ==
        f + ": $.pe.clock_mhz.note: unknown key (a constant has value, unit and source)");
  CHECK(error_for([](json& j) { j["pe"]["clock_mhz"] = 2400; }) ==
        f + ": $.pe.clock_mhz: expected an object with value, unit and source, got number");
  CHECK(error_for([](json& j) { j["pe"]["clock_ghz"] = j["pe"]["clock_mhz"]; }) ==
        f + ": $.pe.clock_ghz: unknown key");
  CHECK(error_for([](json& j) { j["tpu"] = json::object(); }) == f + ": $.tpu: unknown key");
  CHECK(error_for([](json& j) { j["dma"].erase("engines"); }) == f + ": $.dma.engines: missing");
  CHECK(error_for([](json& j) { j.erase("psum"); }) == f + ": $.psum: missing");
  CHECK(error_for([](json& j) { j["psum"] = 3; }) == f + ": $.psum: expected an object, got number");
  CHECK(error_for([](json& j) { j.erase("name"); }) == f + ": $.name: missing");
  CHECK(error_for([](json& j) { j = json::array(); }) == f + ": $: expected an object, got array");
}

TEST_CASE("hw_config: malformed JSON and missing files") {
  const std::string path = (scratch_dir() / "broken.json").string();
  std::ofstream(path) << "{\"pe\": {";
  try {
    load_hw_config(path);
    FAIL("expected an error");
  } catch (const HwConfigError& e) {
    CHECK(std::string(e.what()).rfind(path + ":1:9: malformed JSON", 0) == 0);
  }
  try {
    load_hw_config("trn9");
    FAIL("expected an error");
  } catch (const HwConfigError& e) {
    const std::string msg = e.what();
    CHECK(msg.rfind("hw/trn9.json: cannot open ", 0) == 0);
    CHECK(msg.find("no hardware preset named 'trn9'") != std::string::npos);
  }
}

TEST_CASE("hw_config: override errors") {
  CHECK(override_error({{"dma", {{"latency", 1}}}}) == "overrides: $.dma.latency: unknown key");
  CHECK(override_error({{"gpu", {{"x", 1}}}}) ==
        "overrides: $.gpu: unknown key (overrides name hardware constants, grouped as in the preset)");
  CHECK(override_error({{"dma", {{"fixed_latency_ns", "1us"}}}}) ==
        "overrides: $.dma.fixed_latency_ns: expected a number, got string");
  CHECK(override_error({{"dma", 5}}) == "overrides: $.dma: expected an object, got number");
  CHECK(override_error(json::array()) == "overrides: $: expected an object, got array");
  CHECK(override_error({{"dma", {{"engines", 0}}}})
            .rfind("overrides: $.dma.engines: 0 is out of range: must be in 1 .. 128 (16 per NeuronCore",
                   0) == 0);
}

// Each refusal of a value outside its range, as an override: the message names "overrides", the JSON path,
// the value as written, the range with its unit, and why (a hardware.md figure).
TEST_CASE("hw_config: values outside their range are refused with the range and its meaning") {
  struct Case {
    json overrides;
    std::string message_start;
  };
  const Case cases[] = {
      // The examples.
      {{{"pe", {{"clock_mhz", 1e308}}}},
       "overrides: $.pe.clock_mhz: 1e+308 is out of range: must be in 1 .. 10000 MHz"},
      {{{"act", {{"clock_mhz", 5e-324}}}},
       "overrides: $.act.clock_mhz: 5e-324 is out of range: must be in 1 .. 10000 MHz"},
      {{{"dma", {{"transpose_efficiency_from_hbm", 7}}}},
       "overrides: $.dma.transpose_efficiency_from_hbm: 7 is out of range: must be in 0.01 .. 1 ("},
      {{{"dve", {{"perf_mode_4x_factor", 1.5}}}},
       "overrides: $.dve.perf_mode_4x_factor: 1.5 is out of range: must be a power of two in 1 .. 4 ("},
      {{{"dve", {{"perf_mode_2x_factor", 1e6}}}},
       "overrides: $.dve.perf_mode_2x_factor: 1000000.0 is out of range: must be a power of two in 1 .. 2 ("},
      {{{"act", {{"bf16_perf_factor", 3}}}},
       "overrides: $.act.bf16_perf_factor: 3 is out of range: must be a power of two in 1 .. 2 ("},
      {{{"hbm", {{"cores_per_stack", int64_t{1} << 20}}}},
       "overrides: $.hbm.cores_per_stack: 1048576 is out of range: must be in 1 .. 8 ("},
      {{{"pe", {{"array_rows", 1}}}}, "overrides: $.pe.array_rows: 1 is out of range: must be 128 ("},
      {{{"dma", {{"engines", INT64_MAX}}}},
       "overrides: $.dma.engines: 9223372036854775807 is out of range: must be in 1 .. 128 ("},
      {{{"dma", {{"engines", uint64_t{1} << 63}}}},
       "overrides: $.dma.engines: 9223372036854775808 is out of range: must be in 1 .. 128 ("},
      // One of each other kind of range.
      {{{"chip", {{"neuron_core_version", 5}}}},
       "overrides: $.chip.neuron_core_version: 5 is out of range: must be in 2 .. 4 ("},
      {{{"pe", {{"mm_min_ii_cycles", -1}}}},
       "overrides: $.pe.mm_min_ii_cycles: -1 is out of range: must be in 0 .. 65536 cycles ("},
      {{{"pe", {{"fp32_factor", 0}}}},
       "overrides: $.pe.fp32_factor: 0 is out of range: must be in 1 .. 16 ("},
      {{{"pe", {{"max_moving_free", 8192}}}},
       "overrides: $.pe.max_moving_free: 8192 is out of range: must be in 512 .. 4096 elements ("},
      {{{"dma", {{"fixed_latency_ns", 1e9}}}},
       "overrides: $.dma.fixed_latency_ns: 1000000000.0 is out of range: must be in 0 .. 100000 ns ("},
      {{{"dma", {{"bytes_per_ns_per_engine", 0.5}}}},
       "overrides: $.dma.bytes_per_ns_per_engine: 0.5 is out of range: must be in 1 .. 1000 B/ns ("},
      {{{"hbm", {{"chip_bandwidth_gb_per_s", 0}}}},
       "overrides: $.hbm.chip_bandwidth_gb_per_s: 0 is out of range: must be in 10 .. 100000 GB/s ("},
      {{{"sbuf", {{"partitions", 64}}}}, "overrides: $.sbuf.partitions: 64 is out of range: must be 128 ("},
      {{{"sbuf", {{"bytes_per_partition", 1024}}}},
       "overrides: $.sbuf.bytes_per_partition: 1024 is out of range: must be in 65536 .. 1048576 bytes ("},
      {{{"psum", {{"bank_bytes", 512}}}},
       "overrides: $.psum.bank_bytes: 512 is out of range: must be 2048 bytes ("},
      {{{"psum", {{"bytes_per_partition", 4096}}}},
       "overrides: $.psum.bytes_per_partition: 4096 is out of range: must be 16384 bytes ("},
  };
  for (const Case& c : cases) {
    CAPTURE(c.overrides.dump());
    const std::string msg = override_error(c.overrides);
    CHECK(msg.rfind(c.message_start, 0) == 0);
    CHECK(msg.find("hardware.md") != std::string::npos);
  }
}

// Relations between constants: each refusal names every constant involved by its JSON path.
TEST_CASE("hw_config: relations between constants are checked, naming every path") {
  struct Case {
    json overrides;
    std::string message;
  };
  const Case cases[] = {
      {{{"hbm", {{"cores_per_stack", 1}}}},
       "overrides: $.hbm.cores_per_stack: 4 stacks ($.hbm.stacks) x 1 cores per stack = 4, but the chip has "
       "8 "
       "NeuronCores ($.chip.neuron_cores): every core sits on one stack (hardware.md §1.9)"},
      {{{"chip", {{"neuron_cores", 2}}}},
       "overrides: $.hbm.cores_per_stack: 4 stacks ($.hbm.stacks) x 2 cores per stack = 8, but the chip has "
       "2 "
       "NeuronCores ($.chip.neuron_cores): every core sits on one stack (hardware.md §1.9)"},
      {{{"dve", {{"perf_mode_4x_factor", 1}}}},
       "overrides: $.dve.perf_mode_2x_factor: 2 exceeds $.dve.perf_mode_4x_factor (1): the 2x mode's "
       "conditions "
       "are the 4x mode's relaxed (hardware.md §1.4)"},
      {{{"act", {{"static_overhead_cycles", 0}}}},
       "overrides: $.act.dependency_latency_cycles: 100 exceeds $.act.min_ii_cycles + "
       "$.act.static_overhead_cycles (64 + 0): an instruction's output must be committed before the shortest "
       "next instruction on its engine ends (hardware.md §4.1: 100 after 164 cycles)"},
      {{{"dve", {{"dependency_latency_cycles", 165}}}},
       "overrides: $.dve.dependency_latency_cycles: 165 exceeds $.dve.min_ii_cycles + "
       "$.dve.static_overhead_cycles (64 + 100): an instruction's output must be committed before the "
       "shortest next instruction on its engine ends (hardware.md §4.1: 100 after 164 cycles)"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.overrides.dump());
    CHECK(override_error(c.overrides) == c.message);
  }
  // Changing the related constants together is accepted.
  CHECK(override_error({{"hbm", {{"stacks", 8}, {"cores_per_stack", 1}}}}) == "no error");
  CHECK(override_error({{"dve", {{"perf_mode_4x_factor", 1}, {"perf_mode_2x_factor", 1}}}}) == "no error");
}

// The values in range at both ends load, and the presets are inside every range.
TEST_CASE("hw_config: every range's ends are accepted") {
  CHECK(override_error({{"pe", {{"clock_mhz", 1}}}, {"act", {{"clock_mhz", 10000}}}}) == "no error");
  CHECK(override_error(
            {{"dma", {{"transpose_efficiency_on_chip", 0.01}, {"transpose_efficiency_from_hbm", 1}}}}) ==
        "no error");
  CHECK(override_error({{"dma", {{"engines", 1}}}}) == "no error");
  CHECK(override_error({{"dma", {{"engines", 128}}}}) == "no error");
  CHECK(override_error({{"dve", {{"perf_mode_4x_factor", 2}}}}) == "no error");
}

TEST_CASE("hw_config: TRNSIM_CONFIG_DIR redirects preset names") {
  const auto dir = scratch_dir();
  json j = read_json(preset_file("trn2"));
  j["pe"]["clock_mhz"].erase("unit");
  std::ofstream((dir / "hw" / "trn2.json").string()) << j.dump(2);
  setenv("TRNSIM_CONFIG_DIR", dir.c_str(), 1);
  CHECK(tn::timing::hw_preset_path("trn2") == dir / "hw" / "trn2.json");
  std::string msg;
  try {
    load_hw_config("trn2");
  } catch (const HwConfigError& e) {
    msg = e.what();
  }
  unsetenv("TRNSIM_CONFIG_DIR");
  CHECK(msg == "hw/trn2.json: $.pe.clock_mhz.unit: missing");
  CHECK(tn::timing::hw_preset_path("trn2") == preset_file("trn2"));
}
