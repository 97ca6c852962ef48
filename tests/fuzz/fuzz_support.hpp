// What the fuzz targets share: a scratch file for the loaders that read a path, and the rule that tells a
// refused input from a bug.
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <typeinfo>

namespace tn::fuzz {

// This process's scratch folder, removed at exit. In /dev/shm when there is one: a target writes a file
// per execution, which must not cost a disk write.
inline const std::filesystem::path& scratch_dir() {
  struct Dir {
    std::filesystem::path path;
    Dir() {
      const std::filesystem::path shm = "/dev/shm";
      const auto base = std::filesystem::is_directory(shm) ? shm : std::filesystem::temp_directory_path();
      path = base / ("trnsim-fuzz-" + std::to_string(::getpid()));
      std::filesystem::create_directories(path);
    }
    ~Dir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static const Dir dir;
  return dir.path;
}

// Writes `bytes` to `name` in the scratch folder and returns its path.
inline std::string scratch_file(const std::string& name, std::string_view bytes) {
  const std::filesystem::path p = scratch_dir() / name;
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) {
    std::fprintf(stderr, "fuzz harness: cannot write %s\n", p.c_str());
    std::abort();
  }
  return p.string();
}

inline std::string_view bytes_of(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// A harness's own check failed: the input showed a bug though nothing crashed.
[[noreturn]] inline void finding(const std::string& what) {
  std::fprintf(stderr, "fuzz finding: %s\n", what.c_str());
  std::abort();
}

// Runs `load` on a fuzzed input. Every error class the loaders throw for bad input (ConfigError,
// HwConfigError, SystemConfigError, JsonSyntaxError, JsonFormatError, ValidationError, ...) derives from
// std::runtime_error and carries a message: that is a refused input. Anything else reaching the caller is
// what a user would see as a crash or a baffling message (std::bad_alloc, std::length_error's "cannot
// create std::vector larger than max_size()", a nlohmann::json exception, a logic_error the code calls a
// bug), so it aborts and libFuzzer keeps the input.
template <typename Load>
void refused_or_accepted(Load&& load) {
  try {
    load();
  } catch (const std::runtime_error& e) {
    if (std::string_view(e.what()).empty())
      finding(std::string("a ") + typeid(e).name() + " without a message");
  } catch (const std::exception& e) {
    finding(std::string("uncaught ") + typeid(e).name() + ": " + e.what());
  }
}

}  // namespace tn::fuzz
