// Opening the store when its lock may still be held by a gocachefs that is
// going away (see lock_holder.hpp): a remount right after an unmount or a
// crash waits for it, a store in use elsewhere is refused at once.
#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include "store/lock_holder.hpp"
#include "store/store.hpp"

namespace gcfs {

struct LockWait {
  // Longest wait for a holder that is going away. Default: 30 s.
  std::chrono::milliseconds max_wait{30000};
  // Filled when the open had to wait: for whom and how long.
  std::optional<LockHolder> waited_for;
  std::chrono::milliseconds waited{0};
};

// open_rocks_store, retried while the lock's holder is going away, for up to
// wait.max_wait. Errc::busy when the holder serves, or did not let go in time.
Result<std::unique_ptr<Store>> open_store_waiting(const StoreOptions& options, LockWait& wait);

}  // namespace gcfs
