// isa::OpRef: every distinct operation is stored once; equal values share an id, so instructions compare
// by it, and the stored value is exactly what was interned.
#include "isa/operation_pool.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <thread>
#include <vector>

#include "isa/program.hpp"

namespace {

using namespace tn;
using namespace tn::isa;

TEST_CASE("operation pool: equal operations share one entry, different ones do not") {
  const AccessPattern a = sbuf_ap(DType::kBFloat16, 0x400, 0, 128, {{1, 512}});
  const AccessPattern b = sbuf_ap(DType::kBFloat16, 0x800, 0, 128, {{1, 512}});
  const OpRef x(TensorCopy{a, b}), y(TensorCopy{a, b}), z(TensorCopy{b, a});
  CHECK(x == y);
  CHECK(x.id() == y.id());
  CHECK(!(x == z));
  CHECK(x.get() == Operation(TensorCopy{a, b}));
  CHECK(std::get<TensorCopy>(z.get()).dst == b);
  const size_t before = interned_operations();
  const OpRef again(TensorCopy{a, b});
  CHECK(interned_operations() == before);  // nothing new stored
  CHECK(sizeof(Instruction) <= 128);
}

TEST_CASE("operation pool: an operation holding a NaN equals nothing, as its value does") {
  const OpRef n1(Memset{sbuf_ap(DType::kFloat32, 0, 0, 1, {}), NAN});
  const OpRef n2(Memset{sbuf_ap(DType::kFloat32, 0, 0, 1, {}), NAN});
  CHECK(!(n1 == n2));
  CHECK(std::isnan(std::get<Memset>(n1.get()).value));
}

TEST_CASE("operation pool: threads interning the same operations get the same ids") {
  std::vector<uint32_t> ids[2];
  const auto work = [](std::vector<uint32_t>& out) {
    for (int i = 0; i < 5000; ++i)
      out.push_back(OpRef(RegSet{1, 1000000 + i}).id());
  };
  std::thread t0(work, std::ref(ids[0])), t1(work, std::ref(ids[1]));
  t0.join();
  t1.join();
  CHECK(ids[0] == ids[1]);
  for (int i = 0; i < 5000; ++i) {
    const OpRef r(RegSet{1, 1000000 + i});
    CHECK(r.id() == ids[0][size_t(i)]);
    CHECK(std::get<RegSet>(r.get()).value == 1000000 + i);
  }
}

}  // namespace
