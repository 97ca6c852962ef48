// Source locations of builder calls from anywhere in the checkout, not only from kernels/ and tests/.
#include <doctest/doctest.h>

#include "kernels/builder/program_builder.hpp"

TEST_CASE("a builder call from a file under sim/ records its whole project-relative path") {
  using namespace tn;
  kernels::ProgramBuilder b("loc", isa::MemoryLimits{});
  const kernels::Buffer a = b.sbuf("a", DType::kFloat32, 1, {1});
  // From here on this file claims to be <checkout>/sim/func/tests/fake_test.cpp (tests/CMakeLists.txt), as
  // if a simulator test used the builder; failures below are reported under that name.
#line 7 TN_UNIT_FAKE_SIM_TEST_FILE
  b.memset(a.ap, 0.0f);
  const isa::Program p = b.finish();
  CHECK(p.streams.at(2).instructions.at(0).loc == isa::SourceLocation{"sim/func/tests/fake_test.cpp", 7});
}
