#include <fmt/format.h>

#include <thread>

#include "store/local/lock_holder.hpp"

namespace gcfs {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kPoll{20};
// An old daemon marks itself going away right after the kernel ends its
// session, but `fusermount3 -u` may return first: a gocachefs holder that
// does not look like leaving (or a holder that just let go) is watched this
// long before a refusal. Any other holder is refused at once.
constexpr milliseconds kMarkGrace{250};

std::string who(const LockHolder& h) {
  if (h.pid <= 0) return "a process in another pid namespace";
  return fmt::format("{} pid {}", h.comm.empty() ? "process" : h.comm, h.pid);
}

}  // namespace

Result<std::unique_ptr<Store>> open_store_waiting(const StoreOptions& options, LockWait& wait) {
  const auto start = Clock::now();
  const auto deadline = start + wait.max_wait;
  bool unseen = false;  // the last open was refused with no holder in sight
  for (;;) {
    auto store = open_rocks_store(options);
    if (store || store.code() != Errc::busy) {
      if (wait.waited_for) {
        wait.waited = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
      }
      return store;
    }
    // Watch the holder (not RocksDB, which logs every failed open) until
    // the lock is free, then open again.
    for (;;) {
      auto holder = store_lock_holder(options.path);
      const auto now = Clock::now();
      if (!holder) {
        // Let go: open again. Refused again by a holder nowhere to be seen
        // (another kind of lock?): retry slowly, give up after the grace.
        if (unseen && now >= start + kMarkGrace) return store;
        if (unseen) std::this_thread::sleep_for(kPoll);
        unseen = true;
        break;
      }
      unseen = false;
      if (going_away(*holder)) {
        if (now >= deadline) {
          return Error(Errc::busy,
                       fmt::format("store {} is still locked by {}, which is shutting down, "
                                   "after waiting {} ms for it",
                                   options.path, who(*holder), wait.max_wait.count()));
        }
        wait.waited_for = holder;
      } else if (holder->comm != kDaemonName || now >= start + kMarkGrace) {
        // Serving, starting, or not a daemon at all: refused at once.
        return Error(Errc::busy,
                     fmt::format("{} [held by {}]", store.error().message(), who(*holder)));
      }
      std::this_thread::sleep_for(kPoll);
    }
  }
}

}  // namespace gcfs
