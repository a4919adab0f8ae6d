// Picks the backend for each burst of requests, and lets it go when the go
// command goes quiet (release()):
//   - a daemon answering on STORE/control.sock: through it;
//   - else the store opened directly. RocksDB lets one process hold a store:
//     if another helper (or a daemon starting) holds it, the request waits
//     for it up to `lock_wait`, asking the socket again meanwhile, and then
//     fails with a message saying so. Releasing the store when idle is what
//     lets go commands running side by side take turns, and a daemon start
//     between two of a build's bursts.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "tools/cacheprog/backend.hpp"
#include "tools/cacheprog/materializer.hpp"

namespace gcfs::cacheprog {

struct RouterOptions {
  // Default: none (required).
  std::string store_dir;
  // Default: none (required).
  std::string ns;
  // Default: 10 s.
  std::chrono::milliseconds lock_wait{10000};
};

class Router final : public Backend {
 public:
  Router(RouterOptions options, Materializer& files) : o_(std::move(options)), files_(files) {}

  Result<std::optional<Hit>> get(const gocache::GoHash& action) override;
  Result<std::string> put(const gocache::GoHash& action, const gocache::GoHash& output,
                          uint64_t size, gocache::BodyReader& body) override;
  void release() override;
  // "daemon", "store" or "" (none held): for the log line at the end.
  const char* holding() const;

 private:
  Result<Backend*> acquire();

  RouterOptions o_;
  Materializer& files_;
  std::unique_ptr<Backend> current_;
  bool via_daemon_ = false;
};

}  // namespace gcfs::cacheprog
