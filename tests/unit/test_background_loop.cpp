// BackgroundLoop: rounds on wake-up, a task that throws does not end the
// loop, stop interrupts a wait of any length, and thousands of loops give
// their threads back. No timing assertions: waits are bounded by the
// test's own condition variables, and the "interval" ones are hours long.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>

#include "store/background_loop.hpp"

namespace gcfs {
namespace {

using namespace std::chrono_literals;

// Counts rounds and lets the test wait for the n-th.
class Rounds {
 public:
  void add() {
    std::lock_guard lock(mu_);
    ++n_;
    cv_.notify_all();
  }
  // True once `n` rounds ran (gives up after a minute: a hung loop fails).
  bool wait_for(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 60s, [&] { return n_ >= n; });
  }
  int count() {
    std::lock_guard lock(mu_);
    return n_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int n_ = 0;
};

TEST(BackgroundLoop, WakeRunsARoundNowAndStopInterruptsAnHourLongWait) {
  Rounds rounds;
  BackgroundLoop loop("test", std::chrono::duration_cast<std::chrono::milliseconds>(1h),
                      [&] { rounds.add(); });
  loop.start();  // the first round at once
  ASSERT_TRUE(rounds.wait_for(1));
  loop.wake();
  ASSERT_TRUE(rounds.wait_for(2));
  loop.wake();
  ASSERT_TRUE(rounds.wait_for(3));
  loop.stop();  // would hang for an hour if the wait were not interrupted
  const int after = rounds.count();
  loop.wake();  // a stopped loop runs nothing more
  loop.stop();
  EXPECT_EQ(rounds.count(), after);
}

TEST(BackgroundLoop, ATaskThatThrowsRunsAgainAtTheNextRound) {
  Rounds rounds;
  std::atomic<int> calls{0};
  BackgroundLoop loop("thrower", BackgroundLoop::kOnWake, [&] {
    const int n = ++calls;
    rounds.add();
    if (n % 2 == 1) throw std::runtime_error("round failed");
  });
  loop.start();
  ASSERT_TRUE(rounds.wait_for(1));
  for (int i = 2; i <= 6; ++i) {
    loop.wake();
    ASSERT_TRUE(rounds.wait_for(i)) << "the loop ended after a throwing round";
  }
  loop.stop();
  EXPECT_EQ(calls.load(), 6);
}

TEST(BackgroundLoop, OnWakeLoopWithoutAtOnceWaitsForTheFirstWake) {
  Rounds rounds;
  BackgroundLoop loop("lazy", BackgroundLoop::kOnWake, [&] { rounds.add(); });
  loop.start(/*at_once=*/false);
  loop.wake();
  ASSERT_TRUE(rounds.wait_for(1));
  loop.stop();
  EXPECT_EQ(rounds.count(), 1);
}

TEST(BackgroundLoop, PauseReturnsFalseOnceStopping) {
  std::mutex mu;
  std::condition_variable cv;
  bool in_pause = false;
  std::atomic<int> pause_result{-1};
  BackgroundLoop* self = nullptr;
  BackgroundLoop loop("pauser", BackgroundLoop::kOnWake, [&] {
    {
      std::lock_guard lock(mu);
      in_pause = true;
    }
    cv.notify_all();
    pause_result = self->pause(std::chrono::duration_cast<std::chrono::milliseconds>(1h)) ? 1 : 0;
  });
  self = &loop;
  loop.start();
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 60s, [&] { return in_pause; }));
  }
  loop.stop();  // joins: the hour-long pause must have returned
  EXPECT_EQ(pause_result.load(), 0);
}

TEST(BackgroundLoop, ThousandsOfLoopsGiveTheirThreadsBack) {
  // Each loop starts and stops a thread; a leak would exhaust the process's
  // threads long before 5,000.
  for (int i = 0; i < 5000; ++i) {
    Rounds rounds;
    BackgroundLoop loop("churn", BackgroundLoop::kOnWake, [&] { rounds.add(); });
    loop.start();
    ASSERT_TRUE(rounds.wait_for(1)) << i;
  }  // the destructor stops and joins
}

}  // namespace
}  // namespace gcfs
