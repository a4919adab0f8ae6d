// Self-healing of the RocksDB store (issue 5):
// - a transient background error (failed flush or compaction, e.g. a full
//   disk or a retryable I/O error) is retried with db->Resume() on a thread
//   of its own, with exponential backoff, each attempt counted and logged;
// - an error that cannot be recovered safely (corruption, a fatal or
//   unrecoverable severity) puts the store in read-only mode: every later
//   write is refused with Errc::read_only (EROFS), logged once with the reason.
// RocksDB calls the listener with its mutex held, so the listener only
// records and signals; Resume() runs on the retry thread.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/listener.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "store/background_loop.hpp"
#include "store/result.hpp"

namespace gcfs {

class Healer {
 public:
  // Default: first retry after 1 s, doubling up to 60 s.
  explicit Healer(std::string store_path,
                  std::chrono::milliseconds first_backoff = std::chrono::seconds(1),
                  std::chrono::milliseconds max_backoff = std::chrono::seconds(60));
  ~Healer();
  Healer(const Healer&) = delete;
  Healer& operator=(const Healer&) = delete;

  // The listener to put in DBOptions::listeners before Open.
  std::shared_ptr<rocksdb::EventListener> listener();
  // Starts retrying once the database is open; stop() before it closes.
  void attach(rocksdb::DB* db);
  void stop();

  // A background error RocksDB reported (`reason` names the job).
  void on_background_error(const std::string& reason, const rocksdb::Status& status);
  // A write found the store unsafe to write (e.g. corruption): refuse writes.
  void enter_read_only(const std::string& why);
  // Errc::read_only once in read-only mode (and counts the refusal).
  Status check_writable();
  // A write just failed: resume now rather than after the backoff, so that
  // space an operator freed (or a deletion) is usable at once. At most one
  // attempt per kResumeInterval; concurrent callers share its result.
  // True when writes may be retried.
  bool resume_now();

  bool read_only() const { return read_only_.load(std::memory_order_acquire); }
  std::string read_only_reason() const;
  uint64_t resume_attempts() const { return attempts_.load(std::memory_order_relaxed); }
  uint64_t resume_failures() const { return failures_.load(std::memory_order_relaxed); }
  uint64_t read_only_refusals() const { return refusals_.load(std::memory_order_relaxed); }

 private:
  void retry();
  // db->Resume(), one at a time; Aborted once stopping. With reuse_recent,
  // an attempt younger than kResumeInterval answers instead.
  rocksdb::Status attempt_resume(bool reuse_recent);
  static constexpr std::chrono::milliseconds kResumeInterval{200};

  const std::string path_;
  const std::chrono::milliseconds first_backoff_, max_backoff_;
  std::atomic<bool> read_only_{false};
  std::atomic<uint64_t> attempts_{0}, failures_{0}, refusals_{0};

  mutable std::mutex mu_;  // guards everything below up to resume_mu_
  rocksdb::DB* db_ = nullptr;
  bool pending_ = false;  // a transient error waits for Resume()
  bool stopping_ = false;
  std::string pending_reason_;
  std::string read_only_reason_;

  // One Resume() at a time; guards the two below. Taken before mu_, never after.
  std::mutex resume_mu_;
  std::chrono::steady_clock::time_point last_resume_{};
  rocksdb::Status last_status_;

  BackgroundLoop loop_;  // last: stops before the state it uses goes
};

}  // namespace gcfs
