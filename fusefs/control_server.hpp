// The daemon's control socket, STORE/control.sock: gocachectl's requests are
// handled by gcfs_control in this process, which also keeps the kernel's view
// right when a namespace changes under the mount (swap, restore, drop).
//
// Access: the socket is mode 0600 (owned by the store directory's owner) and
// every connection's SO_PEERCRED must be root or that owner.
#pragma once

#include <fuse_lowlevel.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fusefs/filesystem.hpp"
#include "tools/control/control.hpp"

namespace gcfs::control {
class DaemonHooks;
}

namespace gcfs::fusefs {

struct ControlInfo {
  std::string store_dir;
  std::string mountpoint;
  std::string ns;  // the namespace mounted as the root, "" for multi
  // Runs the space policy's manual triggers (gocachectl compact/evict/trim).
  std::function<control::json(const std::string&, const control::json&)> space;
};

class ControlServer {
 public:
  ControlServer(Filesystem& fs, fuse_session* se, ControlInfo info);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  Status start();
  // Stops accepting, wakes idle connections, waits for running requests.
  void stop();

 private:
  void accept_loop();
  void serve(int fd);
  bool peer_allowed(int fd, std::string* why) const;

  Filesystem& fs_;
  fuse_session* se_;
  ControlInfo info_;
  std::unique_ptr<control::DaemonHooks> hooks_;
  std::string path_;
  uint32_t owner_uid_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mu_;                     // guards conns_ and workers_
  std::set<int> conns_;               // open connections, shut down at stop
  std::vector<std::thread> workers_;  // one per connection, joined at stop
};

}  // namespace gcfs::fusefs
