// The content a `snapshot restore` replaced, deleted once nothing can reach
// it: after the swap grace (lookups that miss in the new content fall back to
// it, fusefs/swap_grace.hpp) and once no open handle is addressed to it.
// Without this, every restore into an existing namespace would keep a full
// copy of the old content as snapshot auto-NS-<time>, and a CI machine that
// restores at the start of every job would fill its disk.
//
// What is still pending when the daemon stops is deleted then: the mount is
// gone, so nothing can reach it any more.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "fusefs/node_table.hpp"
#include "store/background_loop.hpp"
#include "store/store.hpp"

namespace gcfs::fusefs {

class Discards {
 public:
  using Clock = std::chrono::steady_clock;
  Discards(Store& store, NodeTable& nodes, std::chrono::milliseconds after);
  ~Discards();
  Discards(const Discards&) = delete;
  Discards& operator=(const Discards&) = delete;

  // Snapshot `name`, the family `id` a swap replaced: delete it `after` from
  // now, or later while a handle on it is open. Thread-safe.
  void add(std::string name, NsId id);
  void start();
  // Stops the loop and deletes everything still pending (call once the
  // mount is gone).
  void stop();
  size_t pending();

 private:
  struct Item {
    std::string name;
    NsId id;
    Clock::time_point due;
    bool warned = false;  // a failed delete was logged
  };
  void sweep(bool final_round);
  bool discard(Item& item);  // false: keep it for a later round

  Store& store_;
  NodeTable& nodes_;
  const std::chrono::milliseconds after_;
  std::mutex mu_;
  std::vector<Item> items_;
  BackgroundLoop loop_;  // last: stops before the state it uses goes
};

}  // namespace gcfs::fusefs
