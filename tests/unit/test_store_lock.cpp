// The store's lock across processes: who holds it, and open_store_waiting's
// choice between waiting (a gocachefs going away) and refusing at once.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "store/local/lock_holder.hpp"
#include "store/store.hpp"
#include "store_fixture.hpp"

namespace gcfs {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

StoreOptions options_in(const test::TempDir& dir) {
  StoreOptions o;
  o.path = dir.path() + "/s";
  return o;
}

// A child process named `name` that opens the store, tells the parent, holds
// it for `hold`, then exits; "exiting" ends its main thread first, so that it
// looks like a killed daemon whose other threads still run.
pid_t hold_in_child(const StoreOptions& o, const char* name, milliseconds hold,
                    bool exiting = false) {
  int fds[2];
  if (::pipe(fds) != 0) return -1;
  const pid_t pid = ::fork();
  if (pid != 0) {
    ::close(fds[1]);
    char c = 0;
    const bool ready = ::read(fds[0], &c, 1) == 1;
    ::close(fds[0]);
    return ready ? pid : -1;
  }
  ::close(fds[0]);
  ::prctl(PR_SET_NAME, name, 0, 0, 0);
  auto store = open_rocks_store(o);
  if (!store || ::write(fds[1], "1", 1) != 1) ::_exit(1);
  if (exiting) {
    std::thread([hold] {
      std::this_thread::sleep_for(hold);
      ::_exit(0);
    }).detach();
    ::syscall(SYS_exit, 0);  // this thread only
  }
  std::this_thread::sleep_for(hold);
  ::_exit(0);  // the lock goes with the process
}

void reap(pid_t pid) {
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

TEST(StoreLock, HolderIsReadFromProcLocks) {
  test::TempDir dir;
  const StoreOptions o = options_in(dir);
  EXPECT_FALSE(store_lock_holder(o.path));  // no store yet
  auto store = open_rocks_store(o);
  ASSERT_TRUE(store);
  auto h = store_lock_holder(o.path);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->pid, ::getpid());
  std::string comm;
  std::getline(std::ifstream("/proc/self/comm"), comm);
  EXPECT_EQ(h->comm, comm);
  EXPECT_FALSE(h->exiting);
  EXPECT_FALSE(going_away(*h));
  store->reset();
  EXPECT_FALSE(store_lock_holder(o.path));
}

TEST(StoreLock, WaitsForAGocachefsGoingAway) {
  for (bool exiting : {false, true}) {
    SCOPED_TRACE(exiting ? "exiting" : "marked");
    test::TempDir dir;
    const StoreOptions o = options_in(dir);
    const pid_t child =
        hold_in_child(o, exiting ? kDaemonName : kGoingAwayName, milliseconds(500), exiting);
    ASSERT_GT(child, 0);
    LockWait wait;
    const auto t0 = Clock::now();
    auto store = open_store_waiting(o, wait);
    const auto took = Clock::now() - t0;
    reap(child);
    ASSERT_TRUE(store) << store.error().message();
    ASSERT_TRUE(wait.waited_for);
    EXPECT_EQ(wait.waited_for->pid, child);
    EXPECT_GE(took, milliseconds(300));
    EXPECT_GE(wait.waited, milliseconds(300));
  }
}

TEST(StoreLock, RefusesAHolderThatServesAtOnce) {
  for (const char* name : {kDaemonName, "gocachectl"}) {
    SCOPED_TRACE(name);
    test::TempDir dir;
    const StoreOptions o = options_in(dir);
    const pid_t child = hold_in_child(o, name, milliseconds(10000));
    ASSERT_GT(child, 0);
    LockWait wait;
    const auto t0 = Clock::now();
    auto store = open_store_waiting(o, wait);
    const auto took = Clock::now() - t0;
    reap(child);
    ASSERT_FALSE(store);
    EXPECT_EQ(store.code(), Errc::busy);
    EXPECT_NE(store.error().message().find(fmt::format("{} pid {}", name, child)),
              std::string::npos)
        << store.error().message();
    EXPECT_LT(took, milliseconds(2000));
    EXPECT_FALSE(wait.waited_for);
  }
}

TEST(StoreLock, GivesUpOnAHolderThatDoesNotGo) {
  test::TempDir dir;
  const StoreOptions o = options_in(dir);
  const pid_t child = hold_in_child(o, kGoingAwayName, milliseconds(10000));
  ASSERT_GT(child, 0);
  LockWait wait;
  wait.max_wait = milliseconds(300);
  const auto t0 = Clock::now();
  auto store = open_store_waiting(o, wait);
  const auto took = Clock::now() - t0;
  reap(child);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.code(), Errc::busy);
  EXPECT_NE(store.error().message().find("which is shutting down"), std::string::npos);
  EXPECT_GE(took, milliseconds(300));
  EXPECT_LT(took, milliseconds(5000));
}

}  // namespace
}  // namespace gcfs
