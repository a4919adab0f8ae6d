// A running daemon's store, through its control socket (cache.get and
// cache.put, store/admin/cache_cmds.cpp): its statistics, LRU index, size
// limits and snapshots then cover what the helper does. Disk paths are the
// files in the daemon's mount when the helper can open them there (root, or
// a mount with allow_other); else materialized files (materializer.hpp),
// with the bytes sent after the reply.
#pragma once

#include <memory>
#include <string>

#include "tools/cacheprog/backend.hpp"
#include "tools/cacheprog/daemon_conn.hpp"
#include "tools/cacheprog/materializer.hpp"

namespace gcfs::cacheprog {

class DaemonBackend final : public Backend {
 public:
  // not_found when no daemon runs on the store; busy when it refuses more
  // connections for now.
  static Result<std::unique_ptr<DaemonBackend>> connect(const std::string& store_dir,
                                                        const std::string& ns, Materializer& files);

  Result<std::optional<Hit>> get(const gocache::GoHash& action) override;
  Result<std::string> put(const gocache::GoHash& action, const gocache::GoHash& output,
                          uint64_t size, gocache::BodyReader& body) override;
  void release() override { conn_.reset(); }
  // Whether the connection is still good for the next request.
  bool usable();

 private:
  DaemonBackend(std::unique_ptr<DaemonConn> conn, std::string ns, bool mount_ok,
                Materializer& files)
      : conn_(std::move(conn)), ns_(std::move(ns)), mount_ok_(mount_ok), files_(files) {}
  Result<std::string> fetch(const gocache::GoHash& action, const gocache::GoHash& output,
                            uint64_t size);

  std::unique_ptr<DaemonConn> conn_;
  std::string ns_;
  bool mount_ok_;  // the mount shows ns_ and we may open files in it
  Materializer& files_;
};

}  // namespace gcfs::cacheprog
