#include "sim/func/executor.hpp"

#include <cstring>
#include <optional>
#include <string>
#include <variant>

#include "isa/transpose_shape.hpp"
#include "isa/validator.hpp"

namespace tn::sim {

namespace {
constexpr uint64_t kEmptyDigest = 0xcbf29ce484222325ull;  // FNV-1a's offset basis
}  // namespace

Executor::Executor(const isa::Program& program, CoreState& core, Hbm& hbm, uint32_t rank)
    : m_program(program),
      m_rank(rank),
      m_core(core),
      m_tensors(hbm.bind(program)),
      m_io(core, m_tensors),
      m_regs(program.streams.size()) {
  for (auto& r : m_regs) {
    r.fill(0);
  }
}

bool is_sequencer_control(const isa::Operation& op) {
  return std::holds_alternative<isa::RegLoad>(op) || std::holds_alternative<isa::RegSet>(op) ||
         std::holds_alternative<isa::RegOp>(op) || std::holds_alternative<isa::Branch>(op) ||
         std::holds_alternative<isa::RegCheck>(op) || std::holds_alternative<isa::RankId>(op) ||
         std::holds_alternative<isa::ProcessingRankId>(op);
}

bool is_collective(const isa::Operation& op) {
  return std::holds_alternative<isa::AllGather>(op) || std::holds_alternative<isa::AllToAll>(op) ||
         std::holds_alternative<isa::CollectivePermute>(op);
}

size_t Executor::execute(size_t stream, size_t index, bool numerics) {
  const isa::Instruction& in = m_program.streams.at(stream).instructions.at(index);
  m_stream = stream;
  m_next = index + 1;
  try {
    if (!numerics && std::holds_alternative<isa::RegLoad>(in.op.get())) {
      throw InstructionFault(
          "reg_load reads a runtime value from SBUF, which a run without numerics (timing_only) computes "
          "only when it evaluates the program's value slice; run with numerics or with the slice");
    }
    if (numerics || is_sequencer_control(in.op.get())) {
      m_read_digest = kEmptyDigest;
      std::visit([this](const auto& op) { run(op); }, in.op.get());
      if (m_log && numerics)
        m_log->record(m_rank, m_log_core, uint32_t(stream), uint32_t(index), m_read_digest);
    } else if (const auto* g = std::get_if<isa::DmaGather>(&in.op.get()); g && m_core.sbuf.holds_data()) {
      gather(*g, /*move_data=*/false);
    }
  } catch (const InstructionFault& e) {
    throw ExecutionError(isa::describe_instruction(m_program, stream, index) + ": " + e.what());
  }
  return m_next;
}

void Executor::log_to(ExecutionLog* log, uint32_t core) {
  m_log = log;
  m_log_core = core;
  m_io.digest_reads_into(log ? &m_read_digest : nullptr);
}

// Synchronisation has no memory effect; the runners count and wait (functional_runner.cpp, sim/sc).
void Executor::run(const isa::SemSignal&) {}
void Executor::run(const isa::SemWait&) {}

}  // namespace tn::sim

namespace tn::sim {

namespace {

// out[(f * B + b) * P + p] = in[(p * B + b) * F + f] for elements of Word's size (isa/transpose_shape.hpp).
template <class Word>
void transpose_words(const std::byte* in, std::byte* out, const isa::TransposeShape& s) {
  for (int64_t p = 0; p < s.partitions; ++p) {
    for (int64_t b = 0; b < s.blocks; ++b) {
      for (int64_t f = 0; f < s.inner; ++f) {
        std::memcpy(out + ((f * s.blocks + b) * s.partitions + p) * sizeof(Word),
                    in + ((p * s.blocks + b) * s.inner + f) * sizeof(Word), sizeof(Word));
      }
    }
  }
}

}  // namespace

void Executor::copy_converting(const isa::AccessPattern& dst, const isa::AccessPattern& src) {
  if (dst.num_elements() != src.num_elements()) {
    throw InstructionFault("dst has " + std::to_string(dst.num_elements()) + " elements, src " +
                           std::to_string(src.num_elements()));
  }
  if (dst.dtype == src.dtype) {
    m_io.read_raw(src, "src", m_raw);
    m_io.write_raw(dst, "dst", m_raw.data());
  } else {
    m_io.read(src, "src", m_in0);
    m_io.write(dst, "dst", m_in0.data());
  }
}

void Executor::transpose(const isa::AccessPattern& dst, const isa::AccessPattern& src, bool allow_blocks) {
  const int64_t P = src.num_partitions, F = src.free_size();
  const std::optional<isa::TransposeShape> shape = isa::transpose_shape(dst, src);
  if (!shape || (!allow_blocks && shape->blocks != 1))
    AccessWalker::require_shape(dst, "dst", F, P);  // throws: neither shape
  if (dst.dtype != src.dtype) {
    m_io.read(src, "src", m_in0);
    m_out.resize(m_in0.size());
    transpose_words<float>(reinterpret_cast<const std::byte*>(m_in0.data()),
                           reinterpret_cast<std::byte*>(m_out.data()), *shape);
    m_io.write(dst, "dst", m_out.data());
    return;
  }
  m_io.read_raw(src, "src", m_raw);
  m_raw_out.resize(m_raw.size());
  switch (dtype_size(src.dtype)) {
    case 1:
      transpose_words<uint8_t>(m_raw.data(), m_raw_out.data(), *shape);
      break;
    case 2:
      transpose_words<uint16_t>(m_raw.data(), m_raw_out.data(), *shape);
      break;
    default:
      transpose_words<uint32_t>(m_raw.data(), m_raw_out.data(), *shape);
      break;
  }
  m_io.write_raw(dst, "dst", m_raw_out.data());
}

}  // namespace tn::sim
