// FUSE over io_uring: requests are served from one ring per CPU, each by a
// thread pinned to that CPU. The kernel queues a request on the ring of the
// CPU that made it, so the daemon answers where the caller sleeps: no wake-up
// crosses vCPUs (on a VM each is an exit and an IPI, ~40 us a round trip
// against ~13 us on one CPU; README, issue 6).
//
// libfuse 3.14 does not speak this protocol: the transport sits under it as
// its custom I/O. Requests from a ring are handed to fuse_session_process_buf
// as if read from /dev/fuse; replies written back through the custom I/O go
// to the ring entry they answer. /dev/fuse stays open for what the kernel
// still sends there (INIT, FORGET, INTERRUPT, anything before the rings are
// registered) and for notifications, with libfuse's own threads.
#pragma once

#include <fuse_lowlevel.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "store/result.hpp"

namespace gcfs::fusefs {

enum class TransportMode { automatic, uring, dev };

// "auto", "uring", "dev"; anything else: nullopt.
std::optional<TransportMode> parse_transport(std::string_view s);

struct TransportPlan {
  bool uring = false;
  std::string why;  // for the log line that says which transport runs
};

// Decides from the fuse module's enable_uring parameter ("Y", "N", or empty
// when the kernel has no such parameter). `uring` refuses to go without it
// (one-line error naming the fix); `auto` falls back to /dev/fuse, and
// stays there with a remote tier (its fetches would hold a ring's thread).
Result<TransportPlan> plan_transport(TransportMode mode, std::string_view enable_uring,
                                     bool remote);

// The parameter's contents, "" when this kernel has none.
std::string read_enable_uring();

class UringTransport {
 public:
  struct Impl;
  // Installs the transport under a mounted session whose loop has not run
  // yet. The rings start once the kernel has accepted INIT with io_uring;
  // until then, and for good if it does not, /dev/fuse carries everything.
  static Result<std::unique_ptr<UringTransport>> install(fuse_session* se, unsigned depth);
  ~UringTransport();
  UringTransport(const UringTransport&) = delete;
  UringTransport& operator=(const UringTransport&) = delete;

  // Joins the rings' threads; call once the session is unmounted.
  void stop();
  // "io_uring, N queues x D entries", or why /dev/fuse carries the requests.
  std::string describe() const;
  // True once every queue is registered (requests flow over the rings).
  bool running() const;
  // Requests served over the rings so far.
  uint64_t served() const;

 private:
  explicit UringTransport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gcfs::fusefs
