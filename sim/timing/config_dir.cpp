#include "sim/timing/config_dir.hpp"

#include <cstdlib>
#include <system_error>

namespace tn::timing {

std::filesystem::path config_dir() {
  if (const char* dir = std::getenv("TRNSIM_CONFIG_DIR"); dir && *dir)
    return dir;
  // An installed binary's presets: found once, from where the running executable is.
  static const std::filesystem::path installed = [] {
    std::error_code ec;
    const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec)
      return std::filesystem::path();
    const std::filesystem::path dir = exe.parent_path().parent_path() / "share" / "trnsim" / "configs";
    return std::filesystem::is_directory(dir / "hw", ec) ? dir : std::filesystem::path();
  }();
  if (!installed.empty())
    return installed;
  return std::filesystem::path(TRNSIM_SOURCE_DIR) / "configs";
}

}  // namespace tn::timing
