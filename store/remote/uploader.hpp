// Background uploads: a queue bounded in bytes (jobs queued plus in
// flight) drained by threads of its own. enqueue never waits: a job that
// does not fit is dropped and counted, as bazel-remote does; nothing on the
// daemon's write path ever waits for the network.
//
// Lock order: mu_ only; no client call is made while holding it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/remote/client.hpp"
#include "store/result.hpp"

namespace gcfs::remote {

class Uploader {
 public:
  // Starts options().upload_threads threads. `client` must outlive it.
  explicit Uploader(RemoteClient& client);
  ~Uploader();  // close(now) if not closed
  Uploader(const Uploader&) = delete;
  Uploader& operator=(const Uploader&) = delete;

  // Queues one entry. Refusals, all counted: Errc::read_only (read-only
  // mode), Errc::too_big (above max_object_size), Errc::busy (queue full),
  // Errc::not_supported (closed). Argument errors: Errc::invalid.
  Status enqueue_put(std::string ns, std::string name, std::string bytes);
  Status enqueue_encoded(std::string ns, std::string name, EncodedObject object);
  // An -a with its -d, uploaded in Go's order (client.hpp put_pair).
  Status enqueue_pair(std::string ns, std::string action_name, std::string action,
                      std::string output);

  // Takes no more jobs, lets the queue drain until `deadline`, then cancels
  // what is left (a round trip in progress ends at its next wait, within
  // ~50 ms) and joins the threads. Returns the number of jobs abandoned.
  size_t close(Deadline deadline);

 private:
  struct Job {
    enum class Kind { put, encoded, pair } kind = Kind::put;
    std::string ns, name, bytes, output;
    EncodedObject encoded;
    uint64_t cost = 0;
  };
  Status push(Job job);
  void run();

  RemoteClient& client_;
  Stats& stats_;
  const uint64_t capacity_;

  std::mutex mu_;  // guards everything below
  std::condition_variable work_;
  std::condition_variable idle_;
  std::deque<Job> queue_;
  uint64_t bytes_ = 0;    // queued and in flight
  size_t in_flight_ = 0;  // jobs being uploaded
  bool closed_ = false;   // no more enqueues
  bool stop_ = false;     // threads leave
  std::atomic<bool> cancel_{false};
  std::vector<std::thread> threads_;
};

}  // namespace gcfs::remote
