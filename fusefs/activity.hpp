// Per-namespace cache activity: hits and misses of the Go command's action
// entries (`<64 hex>-a`). The Go command reports none; operators want them.
//
// A hit is an open for reading of an action entry (every cache Get opens
// it); a miss is a lookup of an action name that does not exist. Counters
// are relaxed atomics: no lock on the hot path.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

#include "store/types.hpp"

namespace gcfs::fusefs {

struct NsActivity {
  std::atomic<uint64_t> hits{0};
  std::atomic<uint64_t> misses{0};
  // Local misses the second tier answered (the entry then opens as a hit).
  std::atomic<uint64_t> remote_hits{0};
  std::atomic<int64_t> last_use_sec{0};  // wall clock of the last hit or miss
};

class Activity {
 public:
  Activity() : slots_(new NsActivity[kMaxNsId + 1]) {}
  NsActivity& of(NsId ns) { return slots_[ns & kMaxNsId]; }
  void hit(NsId ns);
  void miss(NsId ns);
  void remote_hit(NsId ns);

 private:
  std::unique_ptr<NsActivity[]> slots_;
};

// True for the Go command's action entry names: 64 lowercase hex digits + "-a".
bool is_action_name(std::string_view name);
// True for action entries and outputs (`<64 hex>-a`, `<64 hex>-d`): the
// names a second tier may make appear.
bool is_entry_name(std::string_view name);

}  // namespace gcfs::fusefs
