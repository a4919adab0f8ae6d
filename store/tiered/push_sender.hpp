// Remote push's uploads: a few threads calling RemoteClient::put_pair on the
// pairs the walk hands over, bounded in bytes (queued plus in flight). The
// walk waits for room, unlike the daemon's Uploader, which drops: a push must
// not lose entries. Counts each outcome, and notices a remote that is down
// (every endpoint's breaker open) or refuses every write; the walk then stops.
//
// Lock order: mu_ only; no client call is made while holding it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/remote/client.hpp"
#include "store/tiered/push.hpp"

namespace gcfs::tiered {

class PairSender {
 public:
  struct Pair {
    std::string action_name, action, output;
  };

  // Starts options.threads threads. `client` must outlive it.
  PairSender(remote::RemoteClient& client, std::string ns, const PushOptions& options);
  ~PairSender();  // cancel()
  PairSender(const PairSender&) = delete;
  PairSender& operator=(const PairSender&) = delete;

  // Queues `pair` (moved from) once there is room, waiting up to `wait`.
  // false: no room yet (the pair is left as it was), or stopped().
  bool send(Pair& pair, std::chrono::milliseconds wait);
  // Takes no more pairs and waits up to `wait` for those queued and in
  // flight. true: none is left (or stopped()).
  bool drain(std::chrono::milliseconds wait);
  // Uploads what is queued, then joins the threads.
  void finish();
  // Drops what is queued, ends round trips in progress (within ~50 ms),
  // joins the threads. Dropped pairs are not counted: never tried.
  void cancel();

  // Why uploads stopped: "" while they go on.
  std::string stopped() const;
  std::string first_error() const;
  // Adds the outcomes so far: pushed, errors, skipped_invalid and
  // skipped_too_big (refused by the client itself), bytes.
  void add_counts(PushCounts& c) const;

 private:
  void run();
  void failed(const Error& e);
  void join();

  remote::RemoteClient& client_;
  const std::string ns_;
  const PushOptions options_;

  mutable std::mutex mu_;  // guards the queue, the strings and the flags below
  std::condition_variable work_;
  std::condition_variable room_;
  std::deque<Pair> queue_;
  uint64_t bytes_ = 0;  // queued and in flight
  bool closing_ = false;
  std::string stopped_, first_error_;
  uint32_t failures_in_a_row_ = 0;
  std::atomic<bool> cancel_{false};
  std::vector<std::thread> threads_;

  std::atomic<uint64_t> pushed_{0}, errors_{0}, invalid_{0}, too_big_{0}, bytes_up_{0};
};

}  // namespace gcfs::tiered
