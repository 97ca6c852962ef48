// What `trnsim --version` and every summary.json say this build is (defined in a file the build generates,
// cmake/write_version_info.cmake).
#pragma once

namespace tn::cli {

extern const char* const kTrnsimVersion;  // the release: CMakeLists.txt's project version
extern const char* const kTrnsimCommit;   // `git describe --always --dirty` of the checkout at build time

}  // namespace tn::cli
