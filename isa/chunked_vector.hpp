// A vector that stores its elements in fixed-size chunks: indexing costs a shift and a mask more than
// std::vector's, but appending never moves what is already there. A stream's instructions live in one:
// a doubling std::vector of instruction records (then 408 bytes each) kept every outgrown buffer resident
// while a large program was built (a 32K attention_cte program peaked at 103 MiB, 28 MiB of it such buffers).
#pragma once
#include <compare>
#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace tn::isa {

template <class T, size_t kChunkSize = 256>
class ChunkedVector {
  static_assert((kChunkSize & (kChunkSize - 1)) == 0, "chunks are a power of two in size");

 public:
  using value_type = T;
  using size_type = size_t;
  using reference = T&;
  using const_reference = const T&;

  template <bool kConst>
  class Iterator {
   public:
    using Owner = std::conditional_t<kConst, const ChunkedVector, ChunkedVector>;
    using iterator_category = std::random_access_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using reference = std::conditional_t<kConst, const T&, T&>;
    using pointer = std::conditional_t<kConst, const T*, T*>;

    Iterator() = default;
    Iterator(Owner* owner, size_t index) : m_owner(owner), m_index(index) {}
    operator Iterator<true>() const { return {m_owner, m_index}; }

    reference operator*() const { return (*m_owner)[m_index]; }
    pointer operator->() const { return &(*m_owner)[m_index]; }
    reference operator[](difference_type n) const { return (*m_owner)[size_t(difference_type(m_index) + n)]; }
    Iterator& operator++() {
      ++m_index;
      return *this;
    }
    Iterator operator++(int) {
      Iterator old = *this;
      ++m_index;
      return old;
    }
    Iterator& operator--() {
      --m_index;
      return *this;
    }
    Iterator operator--(int) {
      Iterator old = *this;
      --m_index;
      return old;
    }
    Iterator& operator+=(difference_type n) {
      m_index = size_t(difference_type(m_index) + n);
      return *this;
    }
    Iterator& operator-=(difference_type n) { return *this += -n; }
    friend Iterator operator+(Iterator it, difference_type n) { return it += n; }
    friend Iterator operator+(difference_type n, Iterator it) { return it += n; }
    friend Iterator operator-(Iterator it, difference_type n) { return it -= n; }
    friend difference_type operator-(const Iterator& a, const Iterator& b) {
      return difference_type(a.m_index) - difference_type(b.m_index);
    }
    friend bool operator==(const Iterator& a, const Iterator& b) { return a.m_index == b.m_index; }
    friend auto operator<=>(const Iterator& a, const Iterator& b) { return a.m_index <=> b.m_index; }

   private:
    Owner* m_owner = nullptr;
    size_t m_index = 0;
  };
  using iterator = Iterator<false>;
  using const_iterator = Iterator<true>;

  ChunkedVector() = default;
  ChunkedVector(std::initializer_list<T> items) {
    for (const T& x : items)
      push_back(x);
  }
  ChunkedVector(const ChunkedVector& o) {
    for (const T& x : o)
      push_back(x);
  }
  ChunkedVector(ChunkedVector&& o) noexcept : m_chunks(std::move(o.m_chunks)), m_size(o.m_size) {
    o.m_size = 0;
  }
  ChunkedVector& operator=(const ChunkedVector& o) {
    if (this != &o) {
      ChunkedVector copy(o);
      swap(copy);
    }
    return *this;
  }
  ChunkedVector& operator=(ChunkedVector&& o) noexcept {
    if (this != &o) {
      clear();
      swap(o);
    }
    return *this;
  }
  ~ChunkedVector() { clear(); }

  void swap(ChunkedVector& o) noexcept {
    m_chunks.swap(o.m_chunks);
    std::swap(m_size, o.m_size);
  }

  size_t size() const { return m_size; }
  bool empty() const { return m_size == 0; }
  T& operator[](size_t i) { return m_chunks[i / kChunkSize][i % kChunkSize]; }
  const T& operator[](size_t i) const { return m_chunks[i / kChunkSize][i % kChunkSize]; }
  T& at(size_t i) { return (*this)[checked(i)]; }
  const T& at(size_t i) const { return (*this)[checked(i)]; }
  T& back() { return (*this)[m_size - 1]; }
  const T& back() const { return (*this)[m_size - 1]; }

  void push_back(const T& x) { emplace_back(x); }
  void push_back(T&& x) { emplace_back(std::move(x)); }
  template <class... Args>
  T& emplace_back(Args&&... args) {
    if (m_size == m_chunks.size() * kChunkSize)
      m_chunks.push_back(std::allocator<T>().allocate(kChunkSize));  // raw: only used slots are touched
    T* slot = &m_chunks[m_size / kChunkSize][m_size % kChunkSize];
    std::construct_at(slot, std::forward<Args>(args)...);
    ++m_size;
    return *slot;
  }
  void clear() {
    for (size_t i = 0; i < m_size; ++i)
      std::destroy_at(&(*this)[i]);
    for (T* chunk : m_chunks)
      std::allocator<T>().deallocate(chunk, kChunkSize);
    m_chunks.clear();
    m_size = 0;
  }

  iterator begin() { return {this, 0}; }
  iterator end() { return {this, m_size}; }
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, m_size}; }

  friend bool operator==(const ChunkedVector& a, const ChunkedVector& b) {
    if (a.m_size != b.m_size)
      return false;
    for (size_t i = 0; i < a.m_size; ++i) {
      if (!(a[i] == b[i]))
        return false;
    }
    return true;
  }

 private:
  size_t checked(size_t i) const {
    if (i >= m_size)
      throw std::out_of_range("ChunkedVector::at: index " + std::to_string(i) + " of " +
                              std::to_string(m_size));
    return i;
  }

  std::vector<T*> m_chunks;
  size_t m_size = 0;
};

}  // namespace tn::isa
