// Interned operations. A program repeats a few thousand distinct operations (a 32K attention_cte program:
// 9,464 among 141,905 instructions, 1,747 distinct access patterns among 270,369 operands), so every
// distinct operation is stored once, process-wide, and an instruction holds a 4-byte OpRef to it: the
// instruction record shrinks from 408 to 48 bytes. Operations are immutable once interned; equal ones
// (by value, the table's operator==) share one entry, so OpRefs compare by id.
//
// Interning takes a lock; reading does not: entries never move (fixed chunks), and an OpRef is made
// before any thread that reads it is handed its program.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "isa/operations.hpp"

namespace tn::isa {

namespace detail {
// The pool's chunks of 4096 operations; constant-initialised, so usable from any static initialiser.
inline constexpr uint32_t kOpChunkBits = 12;
inline constexpr size_t kMaxOpChunks = size_t(1) << 16;  // 2^28 operations
extern std::atomic<const Operation*> g_op_chunks[kMaxOpChunks];
}  // namespace detail

class OpRef {
 public:
  OpRef();                     // the default operation (the table's first row, value-initialised)
  OpRef(const Operation& op);  // NOLINT: implicit, like the Operation it stands for
  template <class Row>
  requires(!std::is_same_v<std::decay_t<Row>, Operation> && !std::is_same_v<std::decay_t<Row>, OpRef> &&
           std::is_constructible_v<Operation, Row&&>) OpRef(Row&& row)
      : OpRef(Operation(std::forward<Row>(row))) {}  // NOLINT: one table row
  const Operation& get() const {
    return detail::g_op_chunks[m_id >> detail::kOpChunkBits].load(
        std::memory_order_acquire)[m_id & ((1u << detail::kOpChunkBits) - 1)];
  }
  uint32_t id() const { return m_id; }
  // Equal values intern to one id, except operations holding NaNs, which equal nothing (as before).
  bool operator==(const OpRef& o) const { return m_id == o.m_id; }

 private:
  uint32_t m_id;
};

// How many distinct operations the process has interned (for tests and benchmarks).
size_t interned_operations();

}  // namespace tn::isa
