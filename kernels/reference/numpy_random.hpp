// NumPy's legacy generator, reproduced: np.random.seed(s) seeds MT19937 with init_genrand(s), and
// random_sample() draws 53-bit doubles from two 32-bit outputs. The kernels' own tests draw their inputs
// this way (kernels.md §2.2: seed 0, uniform [0, 1), q then k then v), so seeded runs here see the same
// numbers the NKI test suite feeds the hardware.
#pragma once
#include <cstdint>
#include <random>
#include <vector>

namespace tn::ref {

class NumpyLegacyRandom {
 public:
  explicit NumpyLegacyRandom(uint32_t seed) : m_mt(seed) {}
  // One draw of np.random.random_sample(): uniform [0, 1) with 53 random bits.
  double random_sample() {
    const uint32_t a = static_cast<uint32_t>(m_mt()) >> 5, b = static_cast<uint32_t>(m_mt()) >> 6;
    return (a * 67108864.0 + b) / 9007199254740992.0;
  }
  std::vector<double> random_sample(size_t n) {
    std::vector<double> v(n);
    for (auto& x : v)
      x = random_sample();
    return v;
  }

 private:
  std::mt19937 m_mt;  // std::mt19937 with an integer seed is exactly MT19937's init_genrand
};

}  // namespace tn::ref
