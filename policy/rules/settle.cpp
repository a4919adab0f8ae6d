#include "policy/rules/settle.hpp"

namespace gcfs::policy {

bool SettleTimer::observe(uint64_t seq, Clock::time_point now) {
  if (idle_after_.count() <= 0) return false;
  if (last_ != seq) {
    last_ = seq;
    since_ = now;
    return false;
  }
  return settled_ != seq && now - since_ >= idle_after_;
}

void SettleTimer::finished(uint64_t seq, bool complete, Clock::time_point now) {
  last_ = seq;  // the pass's own writes do not count as activity
  since_ = now;
  if (complete) settled_ = seq;
}

}  // namespace gcfs::policy
