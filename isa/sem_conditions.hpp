// An instruction's semaphore waits: a small vector that keeps up to kInline conditions in the record
// itself. In a 32K attention_cte program 94 % of instructions wait on at most two semaphores (32 % none,
// 41 % one, 21 % two, 6 % three), and a std::vector allocated for every one of them: a malloc and a free
// per instruction were a tenth of the builder's work and the records' heap blocks were scattered through
// memory the simulator then walks.
#pragma once
#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

namespace tn::isa {

// Block until semaphore `sem` holds at least `at_least`. With consume > 0 the instruction, at the moment
// it starts, atomically with the wait subtracts `consume` from the semaphore: a counting semaphore, for
// loops whose iteration counts are only known at run time (producer signals +1 per iteration, consumer
// waits at_least 1 consume 1).
struct SemCondition {
  int32_t sem = 0;
  int64_t at_least = 0;
  int64_t consume = 0;
  bool operator==(const SemCondition&) const = default;
};

class SemConditions {
 public:
  static constexpr uint32_t kInline = 2;

  SemConditions() = default;
  SemConditions(std::initializer_list<SemCondition> cs) { assign(cs.begin(), cs.size()); }
  SemConditions(const std::vector<SemCondition>& cs) { assign(cs.data(), cs.size()); }  // NOLINT: implicit
  SemConditions(const SemConditions& o) { assign(o.data(), o.size()); }
  SemConditions(SemConditions&& o) noexcept { take(o); }
  SemConditions& operator=(const SemConditions& o) {
    if (this != &o) {
      release();
      assign(o.data(), o.size());
    }
    return *this;
  }
  SemConditions& operator=(SemConditions&& o) noexcept {
    if (this != &o) {
      release();
      take(o);
    }
    return *this;
  }
  ~SemConditions() { release(); }

  const SemCondition* data() const { return on_heap() ? m_storage.heap : m_storage.inline_; }
  SemCondition* data() { return on_heap() ? m_storage.heap : m_storage.inline_; }
  size_t size() const { return m_size; }
  bool empty() const { return m_size == 0; }
  const SemCondition* begin() const { return data(); }
  const SemCondition* end() const { return data() + m_size; }
  SemCondition* begin() { return data(); }
  SemCondition* end() { return data() + m_size; }
  const SemCondition& operator[](size_t i) const { return data()[i]; }
  SemCondition& operator[](size_t i) { return data()[i]; }
  operator std::span<const SemCondition>() const { return {data(), m_size}; }  // NOLINT: implicit

  void push_back(const SemCondition& c) {
    if (m_size == m_capacity) {
      grow(m_capacity * 2);
    }
    data()[m_size++] = c;
  }
  void clear() { m_size = 0; }

  friend bool operator==(const SemConditions& a, const SemConditions& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }
  friend bool operator==(const SemConditions& a, const std::vector<SemCondition>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }

 private:
  bool on_heap() const { return m_capacity > kInline; }
  void assign(const SemCondition* cs, size_t n) {
    if (n > kInline) {
      grow(static_cast<uint32_t>(n));
    }
    std::copy(cs, cs + n, data());
    m_size = static_cast<uint32_t>(n);
  }
  void grow(uint32_t capacity) {
    auto* heap = new SemCondition[capacity];
    std::copy(begin(), end(), heap);
    release_heap();
    m_storage.heap = heap;
    m_capacity = capacity;
  }
  void take(SemConditions& o) {
    m_storage = o.m_storage;  // SemCondition is trivially copyable: copies the inline array or the pointer
    m_size = o.m_size;
    m_capacity = o.m_capacity;
    o.m_size = 0;
    o.m_capacity = kInline;
  }
  void release_heap() {
    if (on_heap()) {
      delete[] m_storage.heap;
    }
  }
  void release() {
    release_heap();
    m_size = 0;
    m_capacity = kInline;
  }

  union Storage {
    Storage() : inline_{} {}
    SemCondition inline_[kInline];
    SemCondition* heap;
  } m_storage;
  uint32_t m_size = 0;
  uint32_t m_capacity = kInline;
};

}  // namespace tn::isa
