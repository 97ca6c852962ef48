#include "kernels/builder/tracking_worker.hpp"

#include <utility>

namespace tn::kernels {

TrackingWorker::TrackingWorker(Track track)
    : m_track(std::move(track)), m_filling(std::make_unique<Batch>()), m_thread([this] { work(); }) {}

TrackingWorker::~TrackingWorker() {
  {
    std::lock_guard lock(m_mutex);
    m_closing = true;
    m_ready.clear();
  }
  m_changed.notify_all();
  m_thread.join();
}

void TrackingWorker::submit(int32_t stream, const isa::OpRef& op, const isa::SourceLocation& loc,
                            std::span<const Access> accesses) {
  Batch& b = *m_filling;
  b.items.push_back({stream, op, loc, uint32_t(b.accesses.size()), uint32_t(accesses.size())});
  b.accesses.insert(b.accesses.end(), accesses.begin(), accesses.end());
  if (b.items.size() >= kItemsPerBatch)
    hand_over();
}

void TrackingWorker::drain() {
  if (!m_filling->items.empty())
    hand_over();
  std::unique_lock lock(m_mutex);
  m_changed.wait(lock, [&] { return (m_ready.empty() && !m_running) || m_error; });
  if (m_error)
    std::rethrow_exception(m_error);
}

void TrackingWorker::rethrow_error() {
  std::lock_guard lock(m_mutex);
  if (m_error)
    std::rethrow_exception(m_error);
}

void TrackingWorker::hand_over() {
  std::unique_lock lock(m_mutex);
  m_changed.wait(lock, [&] { return m_ready.size() < kBatchesInFlight || m_error; });
  if (m_error) {
    lock.unlock();
    rethrow_error();
  }
  m_ready.push_back(std::move(m_filling));
  if (!m_free.empty()) {
    m_filling = std::move(m_free.back());
    m_free.pop_back();
  } else {
    m_filling = std::make_unique<Batch>();
  }
  lock.unlock();
  m_changed.notify_all();
}

void TrackingWorker::work() {
  for (;;) {
    std::unique_ptr<Batch> batch;
    {
      std::unique_lock lock(m_mutex);
      m_changed.wait(lock, [&] { return !m_ready.empty() || m_closing; });
      if (m_closing)
        return;
      batch = std::move(m_ready.front());
      m_ready.pop_front();
      m_running = true;
    }
    bool failed = false;
    try {
      const std::span<const Access> accesses(batch->accesses);
      for (const PendingAppend& p : batch->items)
        m_track(p, accesses.subspan(p.first_access, p.num_accesses));
    } catch (...) {
      std::lock_guard lock(m_mutex);
      m_error = std::current_exception();
      m_ready.clear();
      failed = true;
    }
    batch->items.clear();
    batch->accesses.clear();
    {
      std::lock_guard lock(m_mutex);
      m_free.push_back(std::move(batch));
      m_running = false;
    }
    m_changed.notify_all();
    if (failed)
      return;
  }
}

}  // namespace tn::kernels
