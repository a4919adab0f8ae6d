// One endpoint (a standalone server or a cluster node): a small pool of
// connections and the endpoint's circuit breaker. Thread-safe; callers wait
// for a free connection at most until their deadline.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "store/remote/breaker.hpp"
#include "store/remote/connection.hpp"

namespace gcfs::remote {

struct NodeSettings {
  Credentials credentials;
  int db = 0;
  size_t max_reply_bytes = 0;
  std::chrono::milliseconds connect_timeout{250};
  uint32_t max_connections = 4;
  BreakerOptions breaker;
};

class Node {
 public:
  Node(Address addr, NodeSettings settings);

  // Pipelines `cmds` on one connection, through the breaker: an open
  // breaker fails them all fast (Fault::breaker_open). A pooled connection
  // the server closed meanwhile is replaced once (our commands are
  // idempotent: GET, SET, EXISTS, CLUSTER SLOTS).
  std::vector<Reply> exchange(const std::vector<const Command*>& cmds, Deadline deadline,
                              const std::atomic<bool>* cancel);

  const Address& address() const { return addr_; }
  BreakerSnapshot breaker(Clock::time_point now) const { return breaker_.snapshot(now); }

 private:
  Outcome<std::unique_ptr<Connection>> connect(Deadline deadline, const std::atomic<bool>* cancel);
  // An idle connection, or a new one while fewer than max_connections exist.
  Outcome<std::unique_ptr<Connection>> acquire(Deadline deadline, const std::atomic<bool>* cancel,
                                               bool* reused);
  void release(std::unique_ptr<Connection> conn);
  void drop_idle();

  const Address addr_;
  const NodeSettings settings_;
  Breaker breaker_;

  std::mutex mu_;  // guards idle_ and open_
  std::condition_variable freed_;
  std::vector<std::unique_ptr<Connection>> idle_;
  uint32_t open_ = 0;  // connections in idle_ or in use
};

}  // namespace gcfs::remote
