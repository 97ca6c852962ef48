// The system presets (configs/systems/), their overrides, and the errors, each naming the file and path.
#include "sim/timing/system_config.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "sim/timing/hw_config.hpp"

using nlohmann::json;
using namespace tn::timing;

namespace {

json preset_json(const std::string& name) {
  std::ifstream in(system_preset_path(name));
  return json::parse(in);
}

// Writes the trn2.48xlarge preset after `edit` to a scratch file and returns the loader's error.
std::string error_for(const std::function<void(json&)>& edit) {
  json j = preset_json("trn2.48xlarge");
  edit(j);
  const auto dir = std::filesystem::temp_directory_path() / "tn_timing_system_config_test";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "bad.json").string();
  std::ofstream(path) << j.dump(2);
  try {
    load_system_config(path);
  } catch (const SystemConfigError& e) {
    return std::string(e.what()).substr(path.size());
  }
  return "no error";
}

std::string override_error(const json& overrides) {
  try {
    load_system_config("trn2.48xlarge", overrides);
  } catch (const SystemConfigError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("system presets: every preset loads, with its chip preset, and names itself") {
  for (const std::string& name : system_preset_names()) {
    CAPTURE(name);
    const SystemConfig s = load_system_config(name);
    CHECK(s.name == name);
    CHECK_NOTHROW(load_hw_config(s.chip));
    CHECK(s.to_json()["name"] == name);
  }
}

TEST_CASE("system presets: the figures of hardware.md §2") {
  const SystemConfig t = load_system_config("trn2.48xlarge");
  CHECK(t.topology == Topology::kTorus);
  CHECK(t.system_chips == 16);
  CHECK(t.torus_x * t.torus_y * t.torus_z == 16);
  CHECK(t.torus_x_link_gb_per_s == 256);
  CHECK(t.cc_cores_per_neuron_core == 2);
  const SystemConfig u = load_system_config("trn2u-ultraserver");
  CHECK(u.system_chips == 64);
  CHECK(u.torus_z == 4);
  CHECK(u.torus_z_link_gb_per_s == 128);  // the slower links between instances
  const SystemConfig one = load_system_config("trn1.32xlarge");
  CHECK(one.chip == "trn1");
  CHECK(one.torus_x_link_gb_per_s == 96);
  const SystemConfig s = load_system_config("trn3-ultraserver");
  CHECK(s.topology == Topology::kSwitch);
  CHECK(s.switch_port_gb_per_s == 128);
  CHECK(s.to_json().contains("switch"));
  CHECK_FALSE(s.to_json().contains("torus"));
}

TEST_CASE("system presets: overrides replace values and are checked") {
  CHECK(load_system_config("trn2.48xlarge", {{"torus", {{"x_link_gb_per_s", 100}}}}).torus_x_link_gb_per_s ==
        100);
  CHECK(override_error({{"torus", {{"x_link_gb_per_s", 0}}}}) ==
        "overrides: $.torus.x_link_gb_per_s: must be at least 1 GB/s: the torus has 4 chips along x "
        "($.torus.x)");
  CHECK(override_error({{"torus", {{"y_link_gb_per_s", 0.5}}}}) ==
        "overrides: $.torus.y_link_gb_per_s: must be at least 1 GB/s: the torus has 4 chips along y "
        "($.torus.y)");
  CHECK(override_error({{"switch", {{"port_gb_per_s", 1}}}}) ==
        "overrides: $.switch: unknown key (overrides name system constants, grouped as in the preset)");
  CHECK(override_error({{"cc", {{"hop_latency", 1}}}}) == "overrides: $.cc.hop_latency: unknown key");
  CHECK(override_error({{"torus", {{"x", 3}}}}) ==
        "overrides: $.system.chips: 16 chips, but the torus ($.torus.x, $.torus.y, $.torus.z) is 3 x 4 x 1");
}

// Each refusal of a value outside its range names "overrides", the path, the value, the range and why.
TEST_CASE("system presets: values outside their range are refused with the range and its meaning") {
  struct Case {
    json overrides;
    std::string message_start;
  };
  const Case cases[] = {
      {{{"system", {{"chips", 4096}}}},
       "overrides: $.system.chips: 4096 is out of range: must be in 1 .. 1024 ("},
      {{{"torus", {{"x", 0}}}}, "overrides: $.torus.x: 0 is out of range: must be in 1 .. 64 ("},
      {{{"torus", {{"z", INT64_MAX}}}},
       "overrides: $.torus.z: 9223372036854775807 is out of range: must be in 1 .. 64 ("},
      {{{"torus", {{"x_link_gb_per_s", 1e308}}}},
       "overrides: $.torus.x_link_gb_per_s: 1e+308 is out of range: must be in 0 .. 10000 GB/s ("},
      {{{"torus", {{"z_link_gb_per_s", -1}}}},
       "overrides: $.torus.z_link_gb_per_s: -1 is out of range: must be in 0 .. 10000 GB/s ("},
      {{{"cc", {{"cores_per_neuron_core", 1 << 20}}}},
       "overrides: $.cc.cores_per_neuron_core: 1048576 is out of range: must be in 1 .. 8 ("},
      {{{"cc", {{"hop_latency_ns", -1}}}},
       "overrides: $.cc.hop_latency_ns: -1 is out of range: must be in 0 .. 100000 ns ("},
      {{{"cc", {{"trigger_latency_ns", 1e300}}}},
       "overrides: $.cc.trigger_latency_ns: 1e+300 is out of range: must be in 0 .. 100000 ns ("},
      {{{"cc", {{"packet_bytes", 1}}}},
       "overrides: $.cc.packet_bytes: 1 is out of range: must be in 512 .. 16777216 bytes ("},
      {{{"algorithms", {{"rdh_max_bytes", INT64_MAX}}}},
       "overrides: $.algorithms.rdh_max_bytes: 9223372036854775807 is out of range: must be in 0 .. "
       "1099511627776 "
       "bytes ("},
  };
  for (const Case& c : cases) {
    CAPTURE(c.overrides.dump());
    const std::string msg = override_error(c.overrides);
    CHECK(msg.rfind(c.message_start, 0) == 0);
    CHECK(msg.find(".md") != std::string::npos);
  }
  try {
    load_system_config("trn3-ultraserver", {{"switch", {{"port_gb_per_s", 0}}}});
    FAIL("expected an error");
  } catch (const SystemConfigError& e) {
    CHECK(std::string(e.what()).rfind(
              "overrides: $.switch.port_gb_per_s: 0 is out of range: must be in 1 .. 10000 GB/s (", 0) == 0);
  }
  // A dimension of one chip may have no links; the ends of the ranges load.
  CHECK(override_error({{"torus", {{"z_link_gb_per_s", 0}}}}) == "no error");
  CHECK(override_error({{"cc", {{"packet_bytes", 512}, {"hop_latency_ns", 100000}}}}) == "no error");
}

TEST_CASE("system presets: malformed files name the path") {
  CHECK(error_for([](json& j) { j["system"]["chips"]["value"] = 15; }) ==
        ": $.system.chips: 15 chips, but the torus ($.torus.x, $.torus.y, $.torus.z) is 4 x 4 x 1");
  CHECK(error_for([](json& j) { j["topology"] = "ring"; }) ==
        ": $.topology: expected \"torus\" or \"switch\"");
  CHECK(error_for([](json& j) { j["switch"] = json::object(); }) ==
        ": $.switch: not a constant of a torus system");
  CHECK(error_for([](json& j) { j.erase("torus"); }) == ": $.torus: missing");
  CHECK(error_for([](json& j) { j["cc"]["packet_bytes"]["unit"] = "B"; }) ==
        ": $.cc.packet_bytes.unit: expected \"bytes\", got \"B\"");
  CHECK(error_for([](json& j) { j["extra"] = 1; }) == ": $.extra: unknown key");
  CHECK(error_for([](json& j) { j["algorithms"]["rdh_max_bytes"]["value"] = 1; }) ==
        ": $.algorithms.rdh_max_bytes: must be at least $.algorithms.mesh_max_bytes (RDH takes over from "
        "Mesh)");
  try {
    load_system_config("trn9.huge");
    FAIL("expected an error");
  } catch (const SystemConfigError& e) {
    CHECK(std::string(e.what()).find("no system preset named 'trn9.huge'; known: trn2.48xlarge") !=
          std::string::npos);
  }
}
