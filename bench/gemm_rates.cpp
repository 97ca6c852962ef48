// The GEMM rates the numerics are measured against (issue 11): single-thread OpenBLAS sgemm and trnsim's
// emulated tensor-engine multiply (sim/func/matmul_kernel) on the same machine, in the same run. Prints one
// JSON object with both rates in GFLOP/s and OpenBLAS's kernel choice.
//
// Debian's OpenBLAS picks its kernel at run time and can misdetect a virtual CPU (a generic kernel on an
// AVX-512 machine runs 4-5x slower); unless OPENBLAS_CORETYPE is set, this program checks the choice
// against the CPU's own feature flags and re-executes itself with the right core type if they disagree.
#include <cblas.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "sim/func/matmul_kernel.hpp"

extern "C" char* openblas_get_corename(void);
extern "C" void openblas_set_num_threads(int);

namespace {

using Clock = std::chrono::steady_clock;

// The OpenBLAS core type this CPU should use, or "" when OpenBLAS's own choice is at least as good.
std::string expected_core() {
  const std::string chosen = openblas_get_corename();
  const auto lower = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
  };
  const std::string core = lower(chosen);
  const bool avx512_core = core == "skylakex" || core == "cooperlake" || core == "sapphirerapids";
  const bool avx2_core = avx512_core || core == "haswell" || core == "zen";
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") && !avx512_core)
    return "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && !avx2_core)
    return "Haswell";
  return "";
}

// Best of `repeats` timings of fn, in seconds.
template <typename Fn>
double best_time(int repeats, Fn&& fn) {
  double best = 1e30;
  for (int i = 0; i < repeats; ++i) {
    const auto start = Clock::now();
    fn();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const char* forced = std::getenv("OPENBLAS_CORETYPE");
  const std::string detected = openblas_get_corename();
  if (!forced) {
    const std::string want = expected_core();
    if (!want.empty()) {
      setenv("OPENBLAS_CORETYPE", want.c_str(), 1);
      setenv("TRNSIM_OPENBLAS_DETECTED", detected.c_str(), 1);
      execv("/proc/self/exe", argv);
      std::perror("gemm_rates: re-exec");
      return 1;
    }
  }
  openblas_set_num_threads(1);
  (void)argc;

  // sgemm at the matmul benchmark case's shape, 1024 x 1024 x 4096 (m x k x n).
  const int M = 1024, K = 1024, N = 4096;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> a(size_t(M) * K), b(size_t(K) * N), c(size_t(M) * N);
  for (float& x : a)
    x = u(rng);
  for (float& x : b)
    x = u(rng);
  const double flops = 2.0 * M * K * N;
  const double sgemm_s = best_time(3, [&] {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, M, N, K, 1.0f, a.data(), M, b.data(), N, 0.0f,
                c.data(), N);
  });

  // The emulated multiply at the tensor engine's shape (128-row contraction, 128 x 512 outputs per
  // multiply_moving), over the same 1024 x 1024 x 4096 work: 8 x 8 x 8 tiles.
  const int tk = 128, tm = 128, tn = 512;
  std::vector<float> st(size_t(tk) * tm), mv(size_t(tk) * tn), out(size_t(tm) * tn);
  for (float& x : st)
    x = u(rng);
  for (float& x : mv)
    x = u(rng);
  const int tiles = (M / tm) * (K / tk) * (N / tn);
  const double kernel_s = best_time(3, [&] {
    for (int i = 0; i < tiles; ++i) {
      tn::sim::matmul_k_ordered(st.data(), mv.data(), out.data(), tk, tm, tn);
    }
  });
  const char* was = std::getenv("TRNSIM_OPENBLAS_DETECTED");
  std::printf(
      "{\"openblas_core\": \"%s\", \"openblas_detected\": \"%s\", \"sgemm_gflops\": %.2f, "
      "\"emulated_matmul_gflops\": %.2f}\n",
      openblas_get_corename(), was ? was : detected.c_str(), flops / sgemm_s / 1e9, flops / kernel_s / 1e9);
  return 0;
}
