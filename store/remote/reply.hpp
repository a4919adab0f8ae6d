// A command to send and the reply it got, as plain values (hiredis objects
// are converted and freed at once).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "store/remote/fault.hpp"

namespace gcfs::remote {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

struct Command {
  // Binary-safe arguments; for keyed commands args[1] is the key.
  std::vector<std::string> args;
  // Cluster ASK redirection: send ASKING first, on this connection.
  bool asking = false;
};

struct Reply {
  enum class Type { nil, string, status, integer, error, array };
  Type type = Type::nil;
  std::string str;  // string, status and error replies
  long long integer = 0;
  std::vector<Reply> elements;
  // Set when no reply was had at all (transport, timeout, breaker...).
  std::optional<Failure> failure;

  bool is_error() const { return !failure && type == Type::error; }
  static Reply failed(Failure f) {
    Reply r;
    r.failure = std::move(f);
    return r;
  }
};

}  // namespace gcfs::remote
