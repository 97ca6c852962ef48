// The harness's own checks.
#include "tools/tests/cli_harness.hpp"

#include <doctest/doctest.h>

namespace tn::cli::test {
namespace {

TEST_CASE("harness: sanitizer reports are recognised in a command's stderr, trnsim's own errors are not") {
  // First lines as GCC 12's libasan and libubsan print them.
  CHECK(
      holds_sanitizer_report("=================================================================\n"
                             "==7507==ERROR: AddressSanitizer: heap-buffer-overflow on address "
                             "0x60200000001c at pc 0x557d3cc77689\n"));
  CHECK(holds_sanitizer_report("==12==ERROR: LeakSanitizer: detected memory leaks\n"));
  CHECK(
      holds_sanitizer_report("../../../kernels/reference/npy.cpp:94:5: runtime error: null pointer passed as "
                             "argument 1, which is declared to never be null\n"));
  CHECK_FALSE(holds_sanitizer_report("error: $.params.seq_len: must be a multiple of 128 (got 100)\n"));
  CHECK_FALSE(holds_sanitizer_report(""));
}

}  // namespace
}  // namespace tn::cli::test
