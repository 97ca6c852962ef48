// The second half of ProgramBuilder::append on a thread of its own: the dependency tracking, the semaphore
// waits and the append to the stream (about half of building a large program) run on a second core while
// the kernel generator goes on producing operations. The generator hands over each operation with its
// accesses, already interned, in batches; the worker tracks them in exactly the order they were submitted,
// so the program is the same, instruction for instruction, as when the builder tracks them itself. The
// builder touches the tracked state (streams, tracker, semaphore counts) only after drain(). An exception
// the tracking throws stops the worker and is thrown again from the next submit() or drain().
#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "isa/program.hpp"
#include "kernels/builder/dependency_tracker.hpp"

namespace tn::kernels {

// One operation waiting to be tracked.
struct PendingAppend {
  int32_t stream = 0;
  isa::OpRef op;
  isa::SourceLocation loc;
  uint32_t first_access = 0, num_accesses = 0;  // its accesses, in the batch's list
};

class TrackingWorker {
 public:
  using Track = std::function<void(const PendingAppend&, std::span<const Access>)>;
  explicit TrackingWorker(Track track);
  ~TrackingWorker();  // stops the thread; what was not tracked yet is dropped
  TrackingWorker(const TrackingWorker&) = delete;
  TrackingWorker& operator=(const TrackingWorker&) = delete;

  void submit(int32_t stream, const isa::OpRef& op, const isa::SourceLocation& loc,
              std::span<const Access> accesses);
  // Returns once everything submitted has been tracked (the caller may then read and change what the
  // tracking changes), or throws the tracking's error.
  void drain();

 private:
  struct Batch {
    std::vector<PendingAppend> items;
    std::vector<Access> accesses;
  };
  // Large enough that handing over (a lock and a wake-up) is rare, small enough to stay in the cache.
  static constexpr size_t kItemsPerBatch = 1024;
  static constexpr size_t kBatchesInFlight = 4;  // the generator waits beyond this: memory stays bounded

  void hand_over();
  void work();
  void rethrow_error();

  Track m_track;
  std::unique_ptr<Batch> m_filling;
  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::deque<std::unique_ptr<Batch>> m_ready;  // handed over, in submission order
  std::vector<std::unique_ptr<Batch>> m_free;  // tracked, for reuse
  bool m_running = false;                      // the worker is tracking a batch it took from m_ready
  bool m_closing = false;
  std::exception_ptr m_error;
  std::thread m_thread;  // last: started once everything it uses exists
};

}  // namespace tn::kernels
