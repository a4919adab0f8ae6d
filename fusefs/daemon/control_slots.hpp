// Admission to the control socket (docs/operations.md, "Control socket"):
//
// - at most `connections` connections at once, one per worker thread of the
//   control server's fixed pool; the next one is refused with "busy";
// - long commands (control::long_running: verify, export, import, restore,
//   compact, evict, trim) run at most `long_running` at a time, in arrival
//   order; the others wait their turn on their connection;
// - at most `long_admitted` connections may hold a long command (running or
//   waiting), fewer than `connections`: the rest stay free for quick
//   commands (stats, info for health, ns list ...), which are never queued
//   behind an export.
//
// Pure bookkeeping (no sockets): unit-tested in tests/unit/test_control_slots.cpp.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>

namespace gcfs::fusefs {

struct ControlLimits {
  // Default: 8 (connections being served, idle ones included).
  size_t connections = 8;
  // Default: 2 (long commands running at once).
  size_t long_running = 2;
  // Default: 6 (long commands running or waiting; connections - 2 stay quick).
  size_t long_admitted = 6;
};

class ControlSlots {
 public:
  explicit ControlSlots(ControlLimits limits = {});

  // A new connection: false when `connections` stay taken for `wait` (refuse
  // it). The wait covers a worker that has sent its last reply but not yet
  // given its slot back, as a client looping over requests finds it.
  bool try_connect(std::chrono::milliseconds wait = std::chrono::milliseconds(0));
  void disconnect();
  size_t connected() const;

  enum class Turn { run, busy, stopped };
  // Blocks until this long command may run (run; end_long() afterwards), or
  // refuses it at once (busy), or gives up because stop() was called.
  Turn begin_long();
  void end_long();

  // Wakes every waiting begin_long() with `stopped`; later calls get it too.
  void stop();

  const ControlLimits& limits() const { return limits_; }

 private:
  const ControlLimits limits_;
  mutable std::mutex mu_;
  std::condition_variable cv_;     // a long command finished, or stop()
  std::condition_variable freed_;  // a connection ended
  size_t connected_ = 0;           // guarded by mu_
  size_t long_admitted_ = 0;       // running or waiting, guarded by mu_
  uint64_t next_ticket_ = 0;       // arrival order of long commands, guarded by mu_
  uint64_t finished_ = 0;          // long commands done (or given up), guarded by mu_
  bool stopped_ = false;           // guarded by mu_
};

}  // namespace gcfs::fusefs
