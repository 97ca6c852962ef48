// NumPy's legacy generator, reproduced: np.random.seed(s) seeds MT19937 with init_genrand(s), and
// random_sample() draws 53-bit doubles from two 32-bit outputs. The kernels' own tests draw their inputs
// this way (kernels.md §2.2: seed 0, uniform [0, 1), q then k then v), so seeded runs here see the same
// numbers the NKI test suite feeds the hardware.
#pragma once
#include <cmath>
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
  // One draw of np.random.randn() / standard_normal(): the legacy generator's polar Box-Muller method
  // (numpy/random/src/legacy legacy_gauss), which makes two normals per accepted pair and keeps one.
  double standard_normal() {
    if (m_has_gauss) {
      m_has_gauss = false;
      return m_gauss;
    }
    double x1, x2, r2;
    do {
      x1 = 2.0 * random_sample() - 1.0;
      x2 = 2.0 * random_sample() - 1.0;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 == 0.0);
    const double f = std::sqrt(-2.0 * std::log(r2) / r2);
    m_gauss = f * x1;
    m_has_gauss = true;
    return f * x2;
  }
  std::vector<double> standard_normal(size_t n) {
    std::vector<double> v(n);
    for (auto& x : v)
      x = standard_normal();
    return v;
  }

 private:
  std::mt19937 m_mt;  // std::mt19937 with an integer seed is exactly MT19937's init_genrand
  bool m_has_gauss = false;
  double m_gauss = 0;
};

}  // namespace tn::ref
