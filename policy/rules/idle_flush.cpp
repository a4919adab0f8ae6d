#include "policy/rules/idle_flush.hpp"

namespace gcfs::policy {

bool IdleFlush::observe(uint64_t wal_bytes, Clock::time_point now) {
  if (wal_bytes != last_ || since_ == Clock::time_point{}) {
    last_ = wal_bytes;
    since_ = now;
    return false;
  }
  if (wal_bytes == 0 || now - since_ < idle_after_) return false;
  since_ = now;
  return true;
}

}  // namespace gcfs::policy
