// One connection to one Redis server over hiredis 0.14, blocking from the
// caller's view with hard deadlines: the socket is non-blocking and every
// wait is a poll() bounded by the deadline, because hiredis' own timeouts
// (SO_RCVTIMEO) bound each read() rather than a whole reply, and a connect
// with redisConnectWithTimeout could not be cancelled at shutdown.
// Not thread-safe: one user at a time (Node pools them).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "store/remote/credentials.hpp"
#include "store/remote/endpoint.hpp"
#include "store/remote/fault.hpp"
#include "store/remote/reply.hpp"

struct redisContext;

namespace gcfs::remote {

class Connection {
 public:
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Connects, then AUTH (`AUTH user pass` for an ACL user) and SELECT `db`
  // when not 0, all before `deadline`. `cancel` (may be null) aborts waits.
  // `max_reply_bytes` bounds what one reply may buffer (a poisoned huge
  // value must not exhaust the daemon's memory): beyond, a protocol fault.
  static Outcome<std::unique_ptr<Connection>> open(const Address& addr, const Credentials& creds,
                                                   int db, size_t max_reply_bytes,
                                                   Deadline deadline,
                                                   const std::atomic<bool>* cancel);

  // Pipelines all commands, then reads one reply per command, interleaving
  // writes and reads so large pipelines cannot deadlock. On a transport
  // fault the remaining replies carry it and the connection is broken().
  std::vector<Reply> exchange(const std::vector<const Command*>& cmds, Deadline deadline,
                              const std::atomic<bool>* cancel);

  bool broken() const { return broken_; }

 private:
  Connection(redisContext* c, std::string peer, size_t max_reply_bytes)
      : ctx_(c), peer_(std::move(peer)), max_reply_bytes_(max_reply_bytes) {}

  redisContext* ctx_;
  std::string peer_;
  size_t max_reply_bytes_;
  bool broken_ = false;
};

}  // namespace gcfs::remote
