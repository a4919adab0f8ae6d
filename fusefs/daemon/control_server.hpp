// The daemon's control socket, STORE/control.sock: gocachectl's requests are
// handled by gcfs_control in this process, which also keeps the kernel's view
// right when a namespace changes under the mount (swap, restore, drop).
//
// Access: the socket is mode 0600 (owned by the store directory's owner) and
// every connection's SO_PEERCRED must be root or that owner.
//
// Threads: one acceptor and a fixed pool of ControlLimits::connections
// workers, started by start() and joined by stop(): a connection is served
// by a pool worker, so nothing of it outlives it. A connection beyond the
// pool is refused at once with a one-line "busy" reply (control_slots.hpp has
// the policy, control_session.hpp the per-connection limits).
#pragma once

#include <fuse_lowlevel.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fusefs/daemon/control_slots.hpp"
#include "fusefs/filesystem.hpp"
#include "store/admin/control.hpp"

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
  // The remote tier's status (gocachectl remote status); empty: no tier.
  std::function<control::json()> remote;
  // The remote tier's client, for gocachectl remote push; null: no tier.
  remote::RemoteClient* remote_client = nullptr;
  // Deletes a restore's replaced content once nothing reaches it
  // (fusefs/discards.hpp); empty: at once.
  std::function<void(const std::string& snapshot, NsId id)> discard;
};

class ControlServer {
 public:
  ControlServer(Filesystem& fs, fuse_session* se, ControlInfo info, ControlLimits limits = {});
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  Status start();
  // Stops accepting, wakes idle connections and waiting long commands,
  // waits for running requests, joins every thread.
  void stop();

 private:
  Status listen();
  void accept_loop();
  void admit(int fd);
  void worker_loop();
  void serve(int fd);

  Filesystem& fs_;
  fuse_session* se_;
  ControlInfo info_;
  ControlSlots slots_;
  std::unique_ptr<control::DaemonHooks> hooks_;
  std::string path_;
  uint32_t owner_uid_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  bool refusing_ = false;  // acceptor only: log the first refusal of a burst
  std::thread acceptor_;
  std::vector<std::thread> workers_;  // the fixed pool
  std::mutex mu_;                     // guards queue_ and conns_
  std::condition_variable cv_;        // queue_ has a connection, or stopping_
  std::deque<int> queue_;             // admitted, not picked by a worker yet
  std::set<int> conns_;               // admitted and open: shut down at stop
};

}  // namespace gcfs::fusefs
