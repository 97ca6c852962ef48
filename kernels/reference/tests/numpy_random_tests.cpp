// NumPy's legacy generator, against values NumPy prints (np.random.seed(s) then the draw).
#include <doctest/doctest.h>

#include "kernels/reference/numpy_random.hpp"

namespace tn::ref {
namespace {

TEST_CASE("numpy random: random_sample after seed(0)") {
  NumpyLegacyRandom r(0);
  CHECK(r.random_sample() == 0.5488135039273248);
  CHECK(r.random_sample() == 0.7151893663724195);
}

TEST_CASE("numpy random: randn after seed(0) and seed(42), the polar method keeping the second normal") {
  NumpyLegacyRandom zero(0);
  CHECK(zero.standard_normal() == doctest::Approx(1.764052345967664).epsilon(1e-15));
  CHECK(zero.standard_normal() == doctest::Approx(0.4001572083672233).epsilon(1e-15));
  CHECK(zero.standard_normal() == doctest::Approx(0.9787379841057392).epsilon(1e-15));
  NumpyLegacyRandom fortytwo(42);
  const std::vector<double> v = fortytwo.standard_normal(3);
  CHECK(v[0] == doctest::Approx(0.4967141530112327).epsilon(1e-15));
  CHECK(v[1] == doctest::Approx(-0.13826430117118466).epsilon(1e-15));
  CHECK(v[2] == doctest::Approx(0.6476885381006925).epsilon(1e-15));
}

}  // namespace
}  // namespace tn::ref
