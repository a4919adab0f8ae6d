// The client side of the control socket for cache requests: JSON lines as
// gocachectl's other commands, plus the binary bodies of
// store/admin/body_channel.hpp. One connection serves many requests; a
// connection the daemon closed (after its idle deadline) is noticed before
// it is used.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "store/gocache/body.hpp"
#include "store/result.hpp"

namespace gcfs::cacheprog {

// Replies slower than this fail the request (the go command never hangs
// on a stuck daemon).
constexpr int kReplyTimeoutS = 60;

class DaemonConn {
 public:
  // not_found when no daemon listens on the socket, permission when it
  // refuses us.
  static Result<std::unique_ptr<DaemonConn>> connect(const std::string& socket_path);
  ~DaemonConn();
  DaemonConn(const DaemonConn&) = delete;
  DaemonConn& operator=(const DaemonConn&) = delete;

  // Sends `req` (and, with `body`, exactly `body_bytes` bytes of it after
  // the line) and returns the reply object.
  Result<nlohmann::json> request(const nlohmann::json& req, gocache::BodyReader* body = nullptr,
                                 uint64_t body_bytes = 0);
  // The `n` bytes that follow a reply with "body_bytes", in pieces.
  Status read_body(uint64_t n, const gocache::BodyTee& sink);
  // The daemon closed the connection or sent something unasked.
  bool stale();

 private:
  explicit DaemonConn(int fd) : fd_(fd) {}
  int fd_;
  std::string buffer_;  // read past the last reply line
};

}  // namespace gcfs::cacheprog
