// The control socket's admission policy (fusefs/control_slots.hpp): the
// connection limit, long commands in turns, and the connections kept free
// for quick commands.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "fusefs/daemon/control_slots.hpp"

using gcfs::fusefs::ControlLimits;
using gcfs::fusefs::ControlSlots;
using Turn = ControlSlots::Turn;
using namespace std::chrono_literals;

TEST(ControlSlots, RefusesConnectionsBeyondTheLimitUntilOneCloses) {
  ControlSlots slots(ControlLimits{3, 1, 2});
  EXPECT_TRUE(slots.try_connect());
  EXPECT_TRUE(slots.try_connect());
  EXPECT_TRUE(slots.try_connect());
  EXPECT_FALSE(slots.try_connect());
  EXPECT_EQ(slots.connected(), 3u);
  slots.disconnect();
  EXPECT_TRUE(slots.try_connect());
  EXPECT_FALSE(slots.try_connect());
}

TEST(ControlSlots, AConnectionMayWaitBrieflyForASlotBeingGivenBack) {
  ControlSlots slots(ControlLimits{1, 1, 1});
  ASSERT_TRUE(slots.try_connect());
  EXPECT_FALSE(slots.try_connect(20ms));
  std::thread leaving([&] {
    std::this_thread::sleep_for(50ms);
    slots.disconnect();
  });
  EXPECT_TRUE(slots.try_connect(2000ms));
  leaving.join();
  EXPECT_EQ(slots.connected(), 1u);
}

TEST(ControlSlots, LongCommandsRunInTurnsInArrivalOrder) {
  ControlSlots slots(ControlLimits{8, 2, 6});
  EXPECT_EQ(slots.begin_long(), Turn::run);
  EXPECT_EQ(slots.begin_long(), Turn::run);
  std::atomic<int> order{0};
  int third = -1, fourth = -1;
  std::thread t3([&] {
    ASSERT_EQ(slots.begin_long(), Turn::run);
    third = order++;
  });
  std::this_thread::sleep_for(50ms);  // t3 queues first
  std::thread t4([&] {
    ASSERT_EQ(slots.begin_long(), Turn::run);
    fourth = order++;
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(order.load(), 0) << "two run at most; the others wait";
  slots.end_long();
  t3.join();
  EXPECT_EQ(third, 0);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(order.load(), 1) << "one finished, one more ran";
  slots.end_long();
  t4.join();
  EXPECT_EQ(fourth, 1);
  slots.end_long();
  slots.end_long();
}

TEST(ControlSlots, LongCommandsBeyondTheAdmittedAreBusyAtOnce) {
  ControlSlots slots(ControlLimits{4, 1, 2});
  EXPECT_EQ(slots.begin_long(), Turn::run);
  std::thread waiter([&] { EXPECT_EQ(slots.begin_long(), Turn::run); });
  std::this_thread::sleep_for(50ms);
  // One runs, one waits: the admitted two. The third is refused, not queued,
  // so connections stay free for quick commands.
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(slots.begin_long(), Turn::busy);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  slots.end_long();
  waiter.join();
  slots.end_long();
  EXPECT_EQ(slots.begin_long(), Turn::run);
  slots.end_long();
}

TEST(ControlSlots, StopWakesWaitingLongCommands) {
  ControlSlots slots(ControlLimits{4, 1, 3});
  EXPECT_EQ(slots.begin_long(), Turn::run);
  std::vector<std::thread> waiters;
  std::atomic<int> stopped{0};
  for (int i = 0; i < 2; ++i) {
    waiters.emplace_back([&] {
      if (slots.begin_long() == Turn::stopped) ++stopped;
    });
  }
  std::this_thread::sleep_for(50ms);
  slots.stop();
  for (auto& t : waiters) t.join();
  EXPECT_EQ(stopped.load(), 2);
  EXPECT_EQ(slots.begin_long(), Turn::stopped);
  slots.end_long();
}
