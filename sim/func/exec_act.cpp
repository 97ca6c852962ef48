// Scalar (activation) engine semantics (hardware.md §1.5, §3 "Activation functions", kernels.md §6.2).
#include <cmath>
#include <cstdlib>

#include "sim/func/executor.hpp"

namespace tn::sim {

namespace {

using isa::ActFunc;

// x[i] = fn(x[i]): one loop per function, the switch below stays outside it.
template <class Fn>
void map(float* x, size_t n, Fn fn) {
  for (size_t i = 0; i < n; ++i) {
    x[i] = fn(x[i]);
  }
}

// The functions in fp32 with <cmath>. The hardware evaluates piece-wise polynomials (hardware.md §1.5)
// whose error is not published; these are the correctly-rounded-ish libm values. Inputs outside the
// hardware's documented ranges (hardware.md §3, e.g. sin beyond [-pi, pi]) get the mathematical
// value, not the hardware's. NaN propagates through every function.
void apply_function(ActFunc f, float* x, size_t n) {
  constexpr float kInvSqrt2 = 0.707106781186547524f;
  constexpr float kSqrt2OverPi = 0.797884560802865356f;
  switch (f) {
    case ActFunc::kCopy:
      return;
    case ActFunc::kExp:
      return map(x, n, [](float v) { return std::exp(v); });
    case ActFunc::kLog:
      return map(x, n, [](float v) { return std::log(v); });
    case ActFunc::kReciprocal:
      return map(x, n, [](float v) { return 1.0f / v; });
    case ActFunc::kSquare:
      return map(x, n, [](float v) { return v * v; });
    case ActFunc::kSqrt:
      return map(x, n, [](float v) { return std::sqrt(v); });
    case ActFunc::kRsqrt:
      return map(x, n, [](float v) { return 1.0f / std::sqrt(v); });
    case ActFunc::kRelu:
      return map(x, n, [](float v) { return v > 0.0f ? v : (v == v ? 0.0f : v); });
    case ActFunc::kSigmoid:
      return map(x, n, [](float v) { return 1.0f / (1.0f + std::exp(-v)); });
    case ActFunc::kTanh:
      return map(x, n, [](float v) { return std::tanh(v); });
    case ActFunc::kGelu:  // exact form: x * Phi(x)
      return map(x, n, [=](float v) { return 0.5f * v * (1.0f + std::erf(v * kInvSqrt2)); });
    case ActFunc::kGeluTanhApprox:
      return map(x, n, [=](float v) {
        return 0.5f * v * (1.0f + std::tanh(kSqrt2OverPi * (v + 0.044715f * v * v * v)));
      });
    case ActFunc::kSilu:
      return map(x, n, [](float v) { return v / (1.0f + std::exp(-v)); });
    case ActFunc::kSoftplus:  // log(1 + e^x) in the form that neither overflows nor cancels
      return map(x, n, [](float v) { return (v > 0.0f ? v : 0.0f) + std::log1p(std::exp(-std::fabs(v))); });
    case ActFunc::kErf:
      return map(x, n, [](float v) { return std::erf(v); });
    case ActFunc::kAbs:
      return map(x, n, [](float v) { return std::fabs(v); });
    case ActFunc::kSign:
      return map(x, n, [](float v) { return v > 0.0f ? 1.0f : v < 0.0f ? -1.0f : (v == v ? 0.0f : v); });
    case ActFunc::kSin:
      return map(x, n, [](float v) { return std::sin(v); });
    case ActFunc::kArctan:
      return map(x, n, [](float v) { return std::atan(v); });
  }
  std::abort();  // a value outside the enum: a corrupted instruction
}

}  // namespace

// dst = func(src * scale + bias), all fp32, cast on write. `accumulate`, when present, receives the
// sequential (free-index order) fp32 sum of each partition's results BEFORE the output cast: kernels.md
// §7.1 item 2 leaves the precision open, and the pre-cast value is what the ACT accumulators see in
// the pipeline of hardware.md §1.5. It overwrites the column (reduce_cmd = reset_reduce); it does not
// add to the column's previous value.
void Executor::run(const isa::Activation& op) {
  const int32_t P = op.src.num_partitions;
  const int64_t F = op.src.free_size();
  AccessWalker::require_shape(op.dst, "dst", P, F);
  if (op.accumulate.present) {
    AccessWalker::require_shape(op.accumulate.ap, "accumulate", P, 1);
  }
  m_io.read(op.src, "src", m_in0);
  m_io.read_column(op.scale, "scale", P, m_col0);
  if (op.bias.present) {
    m_io.read_column(op.bias.ap, "bias", P, m_col1);
  }
  float* x = m_in0.data();
  for (int32_t p = 0; p < P; ++p) {
    float* row = x + p * F;
    const float scale = m_col0[p];
    for (int64_t f = 0; f < F; ++f) {
      row[f] = row[f] * scale;
    }
    if (op.bias.present) {
      const float bias = m_col1[p];
      for (int64_t f = 0; f < F; ++f) {
        row[f] = row[f] + bias;
      }
    }
  }
  apply_function(op.func, x, m_in0.size());
  if (op.accumulate.present) {
    m_col2.resize(P);
    for (int32_t p = 0; p < P; ++p) {
      const float* row = x + p * F;
      float sum = 0.0f;
      for (int64_t f = 0; f < F; ++f) {
        sum += row[f];
      }
      m_col2[p] = sum;
    }
  }
  m_io.write(op.dst, "dst", x);
  if (op.accumulate.present) {
    m_io.write(op.accumulate.ap, "accumulate", m_col2.data());
  }
}

}  // namespace tn::sim
