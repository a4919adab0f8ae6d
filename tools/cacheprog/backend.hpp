// Where a helper's gets and puts go: the store itself (direct_backend.hpp)
// or a running daemon's control socket (daemon_backend.hpp); router.hpp
// picks one per burst of requests.
#pragma once

#include <optional>
#include <string>

#include "store/gocache/body.hpp"
#include "store/gocache/go_hash.hpp"
#include "store/result.hpp"

namespace gcfs::cacheprog {

struct Hit {
  gocache::GoHash output{};
  uint64_t size = 0;
  int64_t time_ns = 0;
  std::string disk_path;  // a file the go command can open, holding the output
};

class Backend {
 public:
  virtual ~Backend() = default;
  // nullopt for a miss.
  virtual Result<std::optional<Hit>> get(const gocache::GoHash& action) = 0;
  // Stores `size` bytes of `body` as `output` and the entry action -> output;
  // returns the output's disk path. On an error, `body` may be left unread.
  virtual Result<std::string> put(const gocache::GoHash& action, const gocache::GoHash& output,
                                  uint64_t size, gocache::BodyReader& body) = 0;
  // The go command went quiet: let go of what others may be waiting for
  // (the store's lock, a control connection). The next request takes it
  // again.
  virtual void release() = 0;
};

// Passes each piece read from `inner` to `tee` as well.
class TeeReader final : public gocache::BodyReader {
 public:
  TeeReader(gocache::BodyReader& inner, const gocache::BodyTee& tee) : inner_(inner), tee_(tee) {}
  Result<size_t> read(std::span<char> out) override {
    auto n = inner_.read(out);
    if (n && *n > 0 && tee_) {
      if (auto s = tee_(std::string_view(out.data(), *n)); !s) return s;
    }
    return n;
  }

 private:
  gocache::BodyReader& inner_;
  const gocache::BodyTee& tee_;
};

}  // namespace gcfs::cacheprog
