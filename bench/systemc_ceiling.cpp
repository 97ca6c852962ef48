// The SystemC ceiling the simulator's rate is measured against (issue 11): 16 SC_THREADs in a ring, each
// waking the next with a 1 ns timed notification, as trnsim's engine threads wake each other. Prints one
// JSON object: activations, wall seconds and activations per second of this machine's SystemC.
//   systemc_ceiling [ACTIVATIONS]   (default 4,000,000)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#define SC_INCLUDE_DYNAMIC_PROCESSES
#include <systemc>
#include <vector>

namespace {

constexpr int kThreads = 16;

struct Ring : sc_core::sc_module {
  explicit Ring(sc_core::sc_module_name name, int64_t activations)
      : sc_core::sc_module(name), m_left(activations), m_wake(kThreads) {
    for (int i = 0; i < kThreads; ++i) {
      sc_core::sc_spawn([this, i] { run(i); });
    }
  }

  void run(int i) {
    if (i == 0) {
      m_wake[1 % kThreads].notify(sc_core::SC_ZERO_TIME);
    }
    while (m_left > 0) {
      sc_core::wait(m_wake[i]);
      --m_left;
      m_wake[(i + 1) % kThreads].notify(1, sc_core::SC_NS);
    }
  }

  int64_t m_left;
  std::vector<sc_core::sc_event> m_wake;
};

}  // namespace

int sc_main(int argc, char** argv) {
  const int64_t activations = argc > 1 ? std::atoll(argv[1]) : 4'000'000;
  auto ring = std::make_unique<Ring>("ring", activations);
  const auto start = std::chrono::steady_clock::now();
  sc_core::sc_start();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("{\"activations\": %lld, \"wall_s\": %.6f, \"activations_per_s\": %.1f}\n",
              static_cast<long long>(activations), wall, double(activations) / wall);
  return 0;
}
