#include "isa/operation_pool.hpp"

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "isa/program_hash.hpp"

namespace tn::isa {

std::atomic<const Operation*> detail::g_op_chunks[detail::kMaxOpChunks];

namespace {

class OperationPool {
 public:
  static OperationPool& instance() {
    static OperationPool* pool = new OperationPool;  // never destroyed: OpRefs may outlive static objects
    return *pool;
  }

  uint32_t intern(const Operation& op) {
    const uint64_t hash = operation_hash(op);
    std::lock_guard lock(m_mutex);
    const auto [first, last] = m_by_hash.equal_range(hash);
    for (auto it = first; it != last; ++it) {
      if (at(it->second) == op)
        return it->second;
    }
    if (size_t(m_size >> kChunkBits) >= detail::kMaxOpChunks)
      throw std::length_error("more than 2^28 distinct operations");
    const uint32_t id = m_size;
    if ((id & kChunkMask) == 0) {
      m_storage.push_back(std::make_unique<Operation[]>(kChunkSize));
      detail::g_op_chunks[id >> kChunkBits].store(m_storage.back().get(), std::memory_order_release);
    }
    m_storage.back()[id & kChunkMask] = op;
    m_by_hash.emplace(hash, id);
    m_size = id + 1;
    return id;
  }

  const Operation& at(uint32_t id) const {
    return detail::g_op_chunks[id >> kChunkBits].load(std::memory_order_acquire)[id & kChunkMask];
  }

  size_t size() {
    std::lock_guard lock(m_mutex);
    return m_size;
  }

 private:
  static constexpr uint32_t kChunkBits = detail::kOpChunkBits, kChunkSize = 1u << kChunkBits,
                            kChunkMask = kChunkSize - 1;

  std::mutex m_mutex;
  std::vector<std::unique_ptr<Operation[]>> m_storage;
  std::unordered_multimap<uint64_t, uint32_t> m_by_hash;
  uint32_t m_size = 0;
};

}  // namespace

OpRef::OpRef() {
  static const uint32_t default_id = OperationPool::instance().intern(Operation{});
  m_id = default_id;
}

OpRef::OpRef(const Operation& op) : m_id(OperationPool::instance().intern(op)) {}

size_t interned_operations() { return OperationPool::instance().size(); }

}  // namespace tn::isa
