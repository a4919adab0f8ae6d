// Circuit breaker of one endpoint: after `failures` consecutive endpoint
// faults it opens and calls fail fast for a backoff; when the backoff is over
// one caller becomes the probe (half-open) while the others still fail fast;
// the probe's success closes it, its failure reopens it with the backoff
// doubled up to a cap. Time is passed in, so the logic is tested without
// sleeping. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

namespace gcfs::remote {

enum class BreakerState { closed, open, half_open };
const char* breaker_state_name(BreakerState s);

struct BreakerOptions {
  uint32_t failures = 3;                         // Default: 3
  std::chrono::milliseconds backoff{1000};       // Default: 1 s
  std::chrono::milliseconds backoff_max{30000};  // Default: 30 s
};

// What status and metrics read.
struct BreakerSnapshot {
  BreakerState state = BreakerState::closed;
  uint32_t consecutive_failures = 0;
  uint64_t times_opened = 0;
  int64_t backoff_ms = 0;   // current fail-fast period
  int64_t retry_in_ms = 0;  // until the next probe may go (open only)
};

class Breaker {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  explicit Breaker(BreakerOptions o);

  // Whether a call may go to the endpoint now. Every allowed call must end
  // with exactly one of on_success / on_failure / on_abandon.
  bool allow(TimePoint now);
  void on_success();
  void on_failure(TimePoint now);
  // The call ended without telling anything (cancelled): a probe slot is
  // given back, nothing else changes.
  void on_abandon();

  BreakerSnapshot snapshot(TimePoint now) const;

 private:
  const BreakerOptions opt_;
  mutable std::mutex mu_;
  BreakerState state_ = BreakerState::closed;
  uint32_t failures_ = 0;
  uint64_t opened_ = 0;
  std::chrono::milliseconds backoff_;
  TimePoint open_until_{};
  bool probing_ = false;
};

}  // namespace gcfs::remote
