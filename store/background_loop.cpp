#include "store/background_loop.hpp"

#include "store/guarded.hpp"

namespace gcfs {

BackgroundLoop::BackgroundLoop(std::string name, std::chrono::milliseconds interval,
                               std::function<void()> task)
    : name_(std::move(name)), interval_(interval), task_(std::move(task)) {}

BackgroundLoop::~BackgroundLoop() { stop(); }

void BackgroundLoop::start(bool at_once) {
  std::lock_guard lock(mu_);
  if (stop_ || thread_.joinable()) return;
  thread_ = std::thread([this, at_once] { run(at_once); });
}

void BackgroundLoop::wake() {
  {
    std::lock_guard lock(mu_);
    if (woken_) return;
    woken_ = true;
  }
  cv_.notify_all();
}

void BackgroundLoop::stop() {
  std::thread t;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    t = std::move(thread_);
  }
  cv_.notify_all();
  if (t.joinable() && t.get_id() != std::this_thread::get_id()) t.join();
}

void BackgroundLoop::next_round_at(Clock::time_point t) {
  std::lock_guard lock(mu_);
  next_ = t;
}

bool BackgroundLoop::pause(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, d, [this] { return stop_; });
}

bool BackgroundLoop::stopping() const {
  std::lock_guard lock(mu_);
  return stop_;
}

void BackgroundLoop::run(bool at_once) {
  std::unique_lock lock(mu_);
  bool first = true;
  while (!stop_) {
    if (!(first && at_once)) {
      // The end of this wait: the task's choice, else one interval from now.
      Clock::time_point until = next_;
      if (until == Clock::time_point::max() && interval_ != kOnWake) {
        until = Clock::now() + interval_;
      }
      auto ready = [this] { return stop_ || woken_; };
      if (until == Clock::time_point::max()) {
        cv_.wait(lock, ready);
      } else {
        cv_.wait_until(lock, until, ready);
      }
      if (stop_) break;
    }
    first = false;
    woken_ = false;
    next_ = Clock::time_point::max();
    lock.unlock();
    guarded(name_, task_);
    lock.lock();
  }
}

}  // namespace gcfs
