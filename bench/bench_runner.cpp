#include "bench/bench_runner.hpp"

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <iostream>

namespace tn::bench {

namespace fs = std::filesystem;
using nlohmann::json;

json run_trnsim(const fs::path& dir, const std::string& name, const json& config) {
  const fs::path cfg = dir / (name + ".json");
  std::ofstream(cfg) << config.dump(2);
  const fs::path out = dir / name;
  const std::string cmd =
      std::string(TRNSIM_EXE) + " run " + cfg.string() + " --out " + out.string() + " >/dev/null";
  const int status = std::system(cmd.c_str());
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::cerr << "bench: " << cmd << " failed\n";
    std::exit(1);
  }
  std::ifstream in(out / "summary.json");
  return json::parse(in);
}

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

}  // namespace tn::bench
