// The one background-loop type of the daemon and its libraries: a thread
// that runs a task every `interval`, or at once when woken, until stopped.
//
//   BackgroundLoop loop("disk guard", 2s, [this] { check(); });
//   loop.start();  // the first round runs at once
//   loop.wake();   // the next round runs now instead of at the interval
//   loop.stop();   // interrupts the wait at once and joins (a round in
//                  // progress finishes first; the destructor stops too)
//
// A task that throws is logged under `name` (guarded(), the thread boundary)
// and run again at the next round. A long task can wait inside its round with
// pause(), which returns early (false) once the loop is stopping.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace gcfs {

class BackgroundLoop {
 public:
  using Clock = std::chrono::steady_clock;
  // An interval that never elapses: rounds run only when woken.
  static constexpr std::chrono::milliseconds kOnWake = std::chrono::milliseconds::max();

  BackgroundLoop(std::string name, std::chrono::milliseconds interval, std::function<void()> task);
  ~BackgroundLoop();
  BackgroundLoop(const BackgroundLoop&) = delete;
  BackgroundLoop& operator=(const BackgroundLoop&) = delete;

  // Starts the thread; with `at_once` false the first round waits for the
  // interval or a wake-up. Does nothing if running or stopped.
  void start(bool at_once = true);
  // Runs the next round now (or right after the one in progress).
  void wake();
  // Ends the loop: the wait is interrupted, a round in progress finishes,
  // the thread is joined. Idempotent; the loop cannot be started again.
  void stop();

  // From inside the task: the next timed round at `t` rather than one
  // interval after this round ends (a wake-up still comes first).
  void next_round_at(Clock::time_point t);
  // From inside the task: waits `d`, or less if the loop is stopping.
  // False when stopping. A wake-up meanwhile is kept for the next round.
  bool pause(std::chrono::milliseconds d);
  bool stopping() const;

  const std::string& name() const { return name_; }

 private:
  void run(bool at_once);

  const std::string name_;
  const std::chrono::milliseconds interval_;
  const std::function<void()> task_;
  mutable std::mutex mu_;  // guards the three below; never held while the task runs
  std::condition_variable cv_;
  bool stop_ = false;
  bool woken_ = false;
  Clock::time_point next_{Clock::time_point::max()};  // set by next_round_at in a round
  std::thread thread_;
};

}  // namespace gcfs
