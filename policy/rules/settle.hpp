// When to settle (recompress the file data of) an idle store: once nothing
// has been written for `idle_after`, and not again until something is.
// Pure: fed the store's write sequence, no I/O, no clock of its own.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace gcfs::policy {

class SettleTimer {
 public:
  using Clock = std::chrono::steady_clock;
  // Default: 60 s, after the idle flush (30 s). Zero: never settle.
  explicit SettleTimer(std::chrono::milliseconds idle_after = std::chrono::seconds(60))
      : idle_after_(idle_after) {}

  // True when a pass should run now: `seq` (Store::write_sequence) has not
  // changed for idle_after and is not where the last complete pass ended.
  bool observe(uint64_t seq, Clock::time_point now);
  // A pass ended with the store at `seq`. Complete: nothing to do until the
  // next write. Stopped early (a writer came): wait for idleness again.
  void finished(uint64_t seq, bool complete, Clock::time_point now);

 private:
  std::chrono::milliseconds idle_after_;
  std::optional<uint64_t> last_;     // sequence seen at the last round
  Clock::time_point since_{};        // ... unchanged since then
  std::optional<uint64_t> settled_;  // where the last complete pass ended
};

}  // namespace gcfs::policy
