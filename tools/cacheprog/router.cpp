#include "tools/cacheprog/router.hpp"

#include <fmt/format.h>

#include <thread>

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
  for (;;) {
    auto d = DaemonBackend::connect(o_.store_dir, o_.ns, files_);
    if (d) {
      current_ = std::move(*d);
      via_daemon_ = true;
      return current_.get();
    }
    Error why = d.error();
    if (d.code() == Errc::not_found) {  // no daemon: the store itself
      auto s = DirectBackend::open(o_.store_dir, o_.ns, files_);
      if (s) {
        current_ = std::move(*s);
        via_daemon_ = false;
        return current_.get();
      }
      if (s.code() != Errc::busy) return s.status();
      why = s.error();
    } else if (d.code() != Errc::busy) {
      return d.status();
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return Error(Errc::busy,
                   fmt::format("{} (waited {} s; run a gocachefs daemon on the store to share it "
                               "between go commands running at once)",
                               why.message(), o_.lock_wait.count() / 1000.0));
    }
    std::this_thread::sleep_for(kRetry);
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
