// Circuit breaker: see breaker.hpp.
#include "store/remote/breaker.hpp"

#include <algorithm>

namespace gcfs::remote {

const char* breaker_state_name(BreakerState s) {
  switch (s) {
    case BreakerState::closed:
      return "closed";
    case BreakerState::open:
      return "open";
    case BreakerState::half_open:
      return "half_open";
  }
  return "unknown";
}

Breaker::Breaker(BreakerOptions o) : opt_(o), backoff_(o.backoff) {}

bool Breaker::allow(TimePoint now) {
  std::lock_guard lock(mu_);
  switch (state_) {
    case BreakerState::closed:
      return true;
    case BreakerState::open:
      if (now < open_until_) return false;
      state_ = BreakerState::half_open;
      probing_ = true;
      return true;
    case BreakerState::half_open:
      // One probe at a time; a probe given back (on_abandon) frees the slot.
      if (probing_) return false;
      probing_ = true;
      return true;
  }
  return false;
}

void Breaker::on_success() {
  std::lock_guard lock(mu_);
  state_ = BreakerState::closed;
  failures_ = 0;
  probing_ = false;
  backoff_ = opt_.backoff;
}

void Breaker::on_failure(TimePoint now) {
  std::lock_guard lock(mu_);
  switch (state_) {
    case BreakerState::closed:
      if (++failures_ >= opt_.failures) {
        state_ = BreakerState::open;
        ++opened_;
        backoff_ = opt_.backoff;
        open_until_ = now + backoff_;
      }
      break;
    case BreakerState::half_open:
      ++failures_;
      state_ = BreakerState::open;
      ++opened_;
      probing_ = false;
      backoff_ = std::min(backoff_ * 2, opt_.backoff_max);
      open_until_ = now + backoff_;
      break;
    case BreakerState::open:
      // A call let through before it opened: already accounted for.
      ++failures_;
      break;
  }
}

void Breaker::on_abandon() {
  std::lock_guard lock(mu_);
  probing_ = false;
}

BreakerSnapshot Breaker::snapshot(TimePoint now) const {
  std::lock_guard lock(mu_);
  BreakerSnapshot s;
  s.state = state_;
  s.consecutive_failures = failures_;
  s.times_opened = opened_;
  s.backoff_ms = backoff_.count();
  if (state_ == BreakerState::open && now < open_until_) {
    s.retry_in_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(open_until_ - now).count();
  }
  return s;
}

}  // namespace gcfs::remote
