// Inputs a fuzz campaign (tests/fuzz, issue 13) or a slip of the hand produces: devices and folders where a
// file belongs, .npy headers declaring huge shapes, repeated keys. Each is refused at once with a message
// naming the JSON path and the file, and a non-zero exit: never a hang, an allocation failure or a run
// of something else than the config says.
#include <doctest/doctest.h>

#include "tools/tests/cli_harness.hpp"

namespace tn::cli::test {
namespace {

namespace fs = std::filesystem;

const std::string kAttention =
    R"("kernel": "attention_cte", "params": {"seqlen_q": 128, "seqlen_kv": 128, "d": 64}, "mode": "timing")";

std::string with_q_file(const std::string& path) {
  return "{" + kAttention + R"(, "inputs": {"files": {"q": ")" + path + R"("}}})";
}

TEST_CASE("cli hostile inputs: a device as an input file is refused, not read forever") {
  // Both hung in "drawing the inputs".
  for (const char* device : {"/dev/zero", "/dev/urandom"}) {
    expect_error("device_input", with_q_file(device),
                 std::string("$.inputs.files.q: read_npy(") + device + "): is not a regular file");
  }
}

TEST_CASE("cli hostile inputs: a folder as an input file names the folder") {
  // Was "basic_filebuf::underflow error reading the file: Is a directory".
  const fs::path dir = scratch_dir("folder_input_target");
  expect_error("folder_input", with_q_file(dir.string()),
               "$.inputs.files.q: read_npy(" + dir.string() + "): is a folder, not a .npy file");
}

TEST_CASE("cli hostile inputs: a .npy header declaring a huge shape is refused before its data is read") {
  const fs::path dir = scratch_dir("huge_npy_file");
  // A valid header for (2^40, 2^20) float32 values and no data: refused by shape, allocating nothing.
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1048576), }";
  header.append(117 - header.size(), ' ');  // 10 + 118 bytes: data at 128, a multiple of 64
  header += '\n';
  std::string bytes = "\x93NUMPY\x01";
  bytes.push_back('\0');
  bytes.push_back(static_cast<char>(header.size()));
  bytes.push_back('\0');
  write_text(dir / "q.npy", bytes + header);
  expect_error("huge_npy", with_q_file((dir / "q.npy").string()),
               "$.inputs.files.q: " + (dir / "q.npy").string() +
                   " has shape (1099511627776, 1048576), expected (1, 128, 64)");
}

TEST_CASE("cli hostile inputs: a repeated key is refused, naming its path") {
  // {"kernel": "a", "kernel": "b"} ran kernel b.
  expect_error("duplicate_kernel", R"({"kernel": "matmul", )" + kAttention + "}",
               "c.json: $.kernel: duplicate key \"kernel\"");
  expect_error("duplicate_override",
               "{" + kAttention + R"(, "hardware": {"overrides": {"dma": {"engines": 8, "engines": 16}}}})",
               "c.json: $.hardware.overrides.dma.engines: duplicate key \"engines\"");
}

TEST_CASE("cli hostile inputs: a device as a program JSON or hardware preset is refused") {
  expect_error("device_program", R"({"kernel": "program", "params": {"program": "/dev/zero"}})",
               "$.params.program: /dev/zero: is not a regular file");
  expect_error("device_hardware", "{" + kAttention + R"(, "hardware": "/dev/zero"})",
               "$.hardware: /dev/zero: cannot open");
}

TEST_CASE("cli hostile inputs: a NUL byte in a key is printed escaped, and the message goes on past it") {
  // Was printed raw: the message ended at the NUL ("... $.inputs.files.q").
  expect_error("nul_key", "{" + kAttention + R"(, "inputs": {"files": {"q\u0000x": "q.npy"}}})",
               "c.json: $.inputs.files.q\\u0000x: attention_cte has no input 'q\\u0000x'");
  expect_error("nul_override_key", "{" + kAttention + R"(, "hardware": {"overrides": {"dma\u0001": {}}}})",
               "overrides: $.dma\\u0001: unknown key");
}

TEST_CASE("cli hostile inputs: a NUL byte in a path is refused (the file name would end at it)") {
  // "q.npy\0.txt" opened q.npy: a run of another file than the config names.
  expect_error("nul_path", with_q_file("q.npy\\u0000.txt"),
               "c.json: $.inputs.files.q: a path cannot hold a NUL byte (a file name ends at one)");
}

TEST_CASE("cli hostile inputs: check on a folder named like a config finds no config in it") {
  // `trnsim check x.json` where x.json is a folder reported success (it checked nothing).
  const fs::path dir = scratch_dir("check_folder_named_json") / "x.json";
  fs::create_directories(dir);
  const CommandResult r = trnsim("check " + dir.string());
  CHECK(r.exit_code != 0);
  CHECK(r.out.find("ERROR " + dir.string() + "  no *.json config in this folder") != std::string::npos);
  CHECK(r.out.find("0 passed, 1 failed") != std::string::npos);
}

}  // namespace
}  // namespace tn::cli::test
