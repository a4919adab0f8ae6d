#include "tools/cacheprog/router.hpp"

#include <fmt/format.h>

#include <thread>

#include "store/store.hpp"
#include "tools/cacheprog/daemon_backend.hpp"
#include "tools/cacheprog/direct_backend.hpp"

namespace gcfs::cacheprog {

namespace {
constexpr std::chrono::milliseconds kRetry{50};
}

const char* Router::holding() const {
  if (!current_) return "";
  return via_daemon_ ? "daemon" : "store";
}

void Router::release() {
  if (current_) current_->release();
  current_.reset();
}

Result<Backend*> Router::acquire() {
  if (current_ && via_daemon_ && !static_cast<DaemonBackend*>(current_.get())->usable()) {
    current_.reset();  // the daemon went away or closed an idle connection
  }
  if (current_) return current_.get();
  const auto deadline = std::chrono::steady_clock::now() + o_.lock_wait;
  bool held = false;  // the store's lock was taken at the last look
  std::optional<Error> why;
  for (;;) {
    auto d = DaemonBackend::connect(o_.store_dir, o_.ns, files_);
    if (d) {
      current_ = std::move(*d);
      via_daemon_ = true;
      return current_.get();
    }
    if (d.code() != Errc::not_found && d.code() != Errc::busy) return d.status();
    if (d.code() == Errc::busy) why = d.error();
    // No daemon: the store itself, unless its lock is still taken (watched
    // through /proc/locks: RocksDB would log every refused open).
    if (d.code() == Errc::not_found && !held) {
      auto s = DirectBackend::open(o_.store_dir, o_.ns, files_);
      if (s) {
        current_ = std::move(*s);
        via_daemon_ = false;
        return current_.get();
      }
      if (s.code() != Errc::busy) return s.status();
      why = s.error();
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      const auto holder = store_lock_holder(o_.store_dir);
      const std::string by = holder && holder->pid > 0
                                 ? fmt::format(" [held by {} pid {}]", holder->comm, holder->pid)
                                 : "";
      return Error(Errc::busy,
                   fmt::format("{}{} (waited {} s; run a gocachefs daemon on the store to share "
                               "it between go commands running at once)",
                               why ? why->message() : "store busy", by,
                               static_cast<double>(o_.lock_wait.count()) / 1000.0));
    }
    std::this_thread::sleep_for(kRetry);
    held = store_lock_holder(o_.store_dir).has_value();
  }
}

Result<std::optional<Hit>> Router::get(const gocache::GoHash& action) {
  auto b = acquire();
  if (!b) return b.status();
  return (*b)->get(action);
}

Result<std::string> Router::put(const gocache::GoHash& action, const gocache::GoHash& output,
                                uint64_t size, gocache::BodyReader& body) {
  auto b = acquire();
  if (!b) return b.status();
  return (*b)->put(action, output, size, body);
}

}  // namespace gcfs::cacheprog
