// A background thread that runs a task now and then every `interval` until
// stopped or until the task returns false. stop() wakes it at once and joins.
// A task that throws is logged under `name` and run again next interval.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "fusefs/guarded.hpp"

namespace gcfs::fusefs {

class Periodic {
 public:
  Periodic() = default;
  ~Periodic() { stop(); }
  Periodic(const Periodic&) = delete;
  Periodic& operator=(const Periodic&) = delete;

  // Does nothing if already running.
  void start(std::chrono::milliseconds interval, std::function<bool()> task,
             std::string name = "background task") {
    if (thread_.joinable()) return;
    thread_ = std::thread([this, interval, task = std::move(task), name = std::move(name)] {
      std::unique_lock lock(mu_);
      while (!stop_) {
        lock.unlock();
        bool again = true;
        guarded(name, [&] { again = task(); });
        lock.lock();
        if (!again) return;
        cv_.wait_for(lock, interval, [this] { return stop_; });
      }
    });
  }

  void stop() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace gcfs::fusefs
