#include "fusefs/daemon/control_slots.hpp"

namespace gcfs::fusefs {

ControlSlots::ControlSlots(ControlLimits limits) : limits_(limits) {}

bool ControlSlots::try_connect(std::chrono::milliseconds wait) {
  std::unique_lock lock(mu_);
  if (!freed_.wait_for(lock, wait, [&] { return connected_ < limits_.connections; })) {
    return false;
  }
  ++connected_;
  return true;
}

void ControlSlots::disconnect() {
  {
    std::lock_guard lock(mu_);
    if (connected_ > 0) --connected_;
  }
  freed_.notify_one();
}

size_t ControlSlots::connected() const {
  std::lock_guard lock(mu_);
  return connected_;
}

ControlSlots::Turn ControlSlots::begin_long() {
  std::unique_lock lock(mu_);
  if (stopped_) return Turn::stopped;
  if (long_admitted_ >= limits_.long_admitted) return Turn::busy;
  ++long_admitted_;
  // Tickets in arrival order: ticket t runs once all but long_running - 1 of
  // the earlier ones have finished.
  const uint64_t ticket = next_ticket_++;
  cv_.wait(lock, [&] { return stopped_ || ticket < finished_ + limits_.long_running; });
  // Once stopping, none runs: a place given up by an earlier waiter below
  // must not start a later one.
  if (!stopped_) return Turn::run;
  // Stopping: this one never runs; give its place up like a finished one.
  --long_admitted_;
  ++finished_;
  return Turn::stopped;
}

void ControlSlots::end_long() {
  {
    std::lock_guard lock(mu_);
    --long_admitted_;
    ++finished_;
  }
  cv_.notify_all();
}

void ControlSlots::stop() {
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
  }
  cv_.notify_all();
}

}  // namespace gcfs::fusefs
