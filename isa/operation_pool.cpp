#include "isa/operation_pool.hpp"

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <stdexcept>
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
    const size_t mask = m_slots.size() - 1;
    size_t i = slot_of(hash) & mask;
    for (; m_slots[i].id_plus_one != 0; i = (i + 1) & mask) {
      if (m_slots[i].hash == hash && at(m_slots[i].id_plus_one - 1) == op)
        return m_slots[i].id_plus_one - 1;
    }
    if (size_t(m_size >> kChunkBits) >= detail::kMaxOpChunks)
      throw std::length_error("more than 2^28 distinct operations");
    const uint32_t id = m_size;
    if ((id & kChunkMask) == 0) {
      m_storage.push_back(std::make_unique<Operation[]>(kChunkSize));
      detail::g_op_chunks[id >> kChunkBits].store(m_storage.back().get(), std::memory_order_release);
    }
    m_storage.back()[id & kChunkMask] = op;
    m_slots[i] = Slot{hash, id + 1};
    m_size = id + 1;
    if (size_t(m_size) * 2 > m_slots.size())
      grow();
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
  // Open addressing over (hash, id + 1; 0: empty), at most half full: a lookup is one or two probes of a
  // flat array (a node-based multimap missed the cache at every instruction the builder emits).
  struct Slot {
    uint64_t hash = 0;
    uint32_t id_plus_one = 0;
  };
  // operation_hash is FNV-like, whose low bits see only the low bits of each word: mixed before use.
  static size_t slot_of(uint64_t hash) {
    hash ^= hash >> 33;
    hash *= 0xFF51AFD7ED558CCDull;
    return size_t(hash ^ (hash >> 33));
  }
  void grow() {
    std::vector<Slot> slots(m_slots.size() * 2);
    const size_t mask = slots.size() - 1;
    for (const Slot& s : m_slots) {
      if (s.id_plus_one == 0)
        continue;
      size_t i = slot_of(s.hash) & mask;
      while (slots[i].id_plus_one != 0)
        i = (i + 1) & mask;
      slots[i] = s;
    }
    m_slots = std::move(slots);
  }
  std::vector<Slot> m_slots = std::vector<Slot>(4096);
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
