// What can go wrong talking to the remote tier. Every failure is a value of
// one of these kinds (never an exception): the daemon treats them all as a
// miss, the counters and the breaker tell them apart.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "store/result.hpp"

namespace gcfs::remote {

enum class Fault : unsigned char {
  timeout,        // no complete answer before the deadline
  refused,        // connection refused, reset or closed by the server
  io,             // other socket or resolver error
  auth,           // AUTH refused (wrong password, unknown user)
  noperm,         // ACL: the user may not run this command or touch this key
  oom,            // the server is over maxmemory and refuses writes
  protocol,       // a reply of an unexpected type or shape
  reply_error,    // any other error reply from the server
  redirect_loop,  // too many MOVED/ASK redirections for one command
  cluster_down,   // CLUSTERDOWN / TRYAGAIN beyond the retry budget, or no owner
  breaker_open,   // failed fast: the endpoint's circuit breaker is open
  pool_busy,      // no free connection to the endpoint before the deadline
  cancelled,      // the caller is shutting down (uploader close)
  corrupt,        // a value failed verification: never served
  too_big,        // above max_object_size: not stored, not fetched
  read_only,      // a write in read-only mode
};
inline constexpr size_t kFaultKinds = static_cast<size_t>(Fault::read_only) + 1;

const char* fault_name(Fault f);

// Whether a fault says the endpoint itself is unwell (counts toward its
// circuit breaker), as opposed to a refusal of one command.
bool is_endpoint_fault(Fault f);

// Classifies an error reply's text ("NOPERM ...", "OOM ...", "WRONGPASS ...").
Fault classify_error_reply(std::string_view text);

struct Failure {
  Fault kind = Fault::io;
  std::string message;
  // Store error for the facade: kind name first so logs show it.
  Error to_error() const;
};

// A value or a Failure; the remote library's internal Result.
template <class T>
class [[nodiscard]] Outcome {
 public:
  Outcome(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Outcome(Failure f) : v_(std::move(f)) {}    // NOLINT
  bool is_ok() const { return v_.index() == 0; }
  explicit operator bool() const { return is_ok(); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& value() const& { return std::get<0>(v_); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Failure& failure() const { return std::get<1>(v_); }

 private:
  std::variant<T, Failure> v_;
};

}  // namespace gcfs::remote
