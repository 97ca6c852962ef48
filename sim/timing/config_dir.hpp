// The configs directory preset names resolve in (hw/<name>.json, systems/<name>.json).
#pragma once
#include <filesystem>

namespace tn::timing {

// $TRNSIM_CONFIG_DIR when that environment variable is set; else, for an installed trnsim
// (`cmake --install`), <prefix>/share/trnsim/configs beside the executable's <prefix>/bin; else the source
// tree's configs/ (the compile-time TRNSIM_SOURCE_DIR), where a build-tree binary finds them.
std::filesystem::path config_dir();

}  // namespace tn::timing
