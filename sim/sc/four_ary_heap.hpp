// A min-heap with four children per node, for the timed run's queue of due work. Against a binary heap
// (std::priority_queue) it is half as deep and a node's children share one 64-byte cache line (16-byte
// entries), and replace_top() turns the scheduler's usual pop-then-push (a stream's next retirement
// after its current one) into one sift-down. Elements that compare equal come out in no set order: the
// timed run's entries are all distinct (simulator-design-notes.md §2.5: order by value).
#pragma once
#include <algorithm>
#include <cstddef>
#include <functional>
#include <vector>

namespace tn::sc {

template <class T, class Less = std::less<T>>
class FourAryHeap {
 public:
  bool empty() const { return m_items.empty(); }
  size_t size() const { return m_items.size(); }
  const T& top() const { return m_items.front(); }
  void push(const T& v) {
    m_items.push_back(v);
    size_t i = m_items.size() - 1;
    while (i > 0) {
      const size_t parent = (i - 1) / kArity;
      if (!m_less(v, m_items[parent]))
        break;
      m_items[i] = m_items[parent];
      i = parent;
    }
    m_items[i] = v;
  }
  void pop() {
    const T last = m_items.back();
    m_items.pop_back();
    if (!m_items.empty())
      sift_down(last);
  }
  // pop() then push(v), in one pass.
  void replace_top(const T& v) { sift_down(v); }

 private:
  static constexpr size_t kArity = 4;
  // Places v at the root's slot and moves it down to where it belongs.
  void sift_down(const T& v) {
    const size_t n = m_items.size();
    size_t i = 0;
    for (;;) {
      const size_t first = kArity * i + 1;
      if (first >= n)
        break;
      size_t best = first;
      for (size_t c = first + 1; c < std::min(first + kArity, n); ++c)
        best = m_less(m_items[c], m_items[best]) ? c : best;  // a conditional move: no branch to mispredict
      if (!m_less(m_items[best], v))
        break;
      m_items[i] = m_items[best];
      i = best;
    }
    m_items[i] = v;
  }

  std::vector<T> m_items;
  [[no_unique_address]] Less m_less;
};

}  // namespace tn::sc
