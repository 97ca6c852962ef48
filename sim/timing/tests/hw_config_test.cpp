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
  CHECK(hw.act_static_overhead_cycles == 60);
  CHECK(hw.act_reduce_readout_cycles == 64);
  CHECK(hw.pool_startup_cycles == 150);
  CHECK(hw.dve_perf_mode_4x_factor == 4);
  CHECK(hw.dve_perf_mode_2x_factor == 2);
  CHECK(hw.dma_engines == 16);
  CHECK(hw.dma_bytes_per_ns_per_engine == 23);
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

TEST_CASE("hw_config: trn1 and trn3 presets") {
  const HwConfig t1 = load_hw_config("trn1");
  CHECK(t1.pe_clock_mhz == 2800);
  CHECK(t1.dve_clock_mhz == 1120);
  CHECK(t1.act_clock_mhz == 1400);
  CHECK(t1.dma_bytes_per_ns_per_engine == 17);
  CHECK(t1.sbuf_bytes_per_partition == 192 * 1024);
  CHECK(t1.hbm_bytes_per_ns_per_stack() == 410);  // 820 GB/s over 2 stacks
  const HwConfig t3 = load_hw_config("trn3");
  CHECK(t3.dve_clock_mhz == 1200);
  CHECK(t3.dma_bytes_per_ns_per_engine == 33);
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
        f + ": $.pe.clock_mhz.value: must be > 0");
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
  CHECK(override_error({{"dma", {{"engines", 0}}}}) == "overrides: $.dma.engines: must be > 0");
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
