#include "store/local/rocks_heal.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace gcfs {

namespace {

const char* reason_name(rocksdb::BackgroundErrorReason r) {
  switch (r) {
    case rocksdb::BackgroundErrorReason::kFlush:
      return "flush";
    case rocksdb::BackgroundErrorReason::kCompaction:
      return "compaction";
    case rocksdb::BackgroundErrorReason::kWriteCallback:
      return "write";
    case rocksdb::BackgroundErrorReason::kMemTable:
      return "memtable";
    case rocksdb::BackgroundErrorReason::kManifestWrite:
      return "manifest write";
    case rocksdb::BackgroundErrorReason::kFlushNoWAL:
      return "flush (no WAL)";
    case rocksdb::BackgroundErrorReason::kManifestWriteNoWAL:
      return "manifest write (no WAL)";
  }
  return "background job";
}

// Corruption, or a severity RocksDB itself will not resume from: writing on
// could lose or damage data, so refuse writes instead.
bool unsafe(const rocksdb::Status& s) {
  return s.IsCorruption() || s.severity() >= rocksdb::Status::Severity::kFatalError;
}

class Listener final : public rocksdb::EventListener {
 public:
  explicit Listener(Healer* healer) : healer_(healer) {}
  const char* Name() const override { return "gocachefs-healer"; }
  void OnBackgroundError(rocksdb::BackgroundErrorReason reason, rocksdb::Status* error) override {
    healer_->on_background_error(reason_name(reason), *error);
  }
  // Our retry thread drives recovery, with a backoff and a log line per try.
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status,
                            bool* auto_recovery) override {
    *auto_recovery = false;
  }

 private:
  Healer* healer_;  // outlives the database (RocksStore owns both)
};

}  // namespace

Healer::Healer(std::string store_path, std::chrono::milliseconds first_backoff,
               std::chrono::milliseconds max_backoff)
    : path_(std::move(store_path)),
      first_backoff_(first_backoff),
      max_backoff_(max_backoff),
      loop_("store: resuming writes", BackgroundLoop::kOnWake, [this] { retry(); }) {}

Healer::~Healer() { stop(); }

std::shared_ptr<rocksdb::EventListener> Healer::listener() {
  return std::make_shared<Listener>(this);
}

void Healer::attach(rocksdb::DB* db) {
  std::lock_guard lock(mu_);
  db_ = db;
  loop_.start(/*at_once=*/pending_);
}

void Healer::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    db_ = nullptr;
  }
  // A Resume() a write started may still run: the database must outlive it.
  { std::lock_guard wait_for_resume(resume_mu_); }
  loop_.stop();
}

void Healer::on_background_error(const std::string& reason, const rocksdb::Status& status) {
  if (status.ok()) return;
  if (unsafe(status)) {
    enter_read_only(fmt::format("RocksDB {} error: {}", reason, status.ToString()));
    return;
  }
  spdlog::warn("store {}: transient RocksDB {} error, will retry: {}", path_, reason,
               status.ToString());
  {
    std::lock_guard lock(mu_);
    pending_ = true;
    pending_reason_ = reason + ": " + status.ToString();
  }
  loop_.wake();
}

void Healer::enter_read_only(const std::string& why) {
  {
    std::lock_guard lock(mu_);
    if (read_only_.load(std::memory_order_relaxed)) return;  // log once
    read_only_reason_ = why;
    pending_ = false;  // resuming cannot make this safe
    read_only_.store(true, std::memory_order_release);
  }
  spdlog::critical("store {}: now read-only, writes fail with EROFS: {}", path_, why);
}

Status Healer::check_writable() {
  if (!read_only_.load(std::memory_order_acquire)) return Status::ok();
  refusals_.fetch_add(1, std::memory_order_relaxed);
  return Error(Errc::read_only, "store is read-only: " + read_only_reason());
}

std::string Healer::read_only_reason() const {
  std::lock_guard lock(mu_);
  return read_only_reason_;
}

// One round per transient error: retries with a growing backoff until writes
// resume, the error turns unsafe, or the store closes.
void Healer::retry() {
  std::unique_lock lock(mu_);
  auto backoff = first_backoff_;
  while (!stopping_ && pending_ && db_ != nullptr) {
    // Wait out the backoff first: the condition (e.g. a full disk) needs time to clear.
    lock.unlock();
    const bool go_on = loop_.pause(backoff);
    lock.lock();
    if (!go_on || stopping_) break;
    if (!pending_ || db_ == nullptr) continue;
    const std::string why = pending_reason_;
    const uint64_t n = attempts_.load(std::memory_order_relaxed) + 1;
    lock.unlock();
    rocksdb::Status s = attempt_resume(/*reuse_recent=*/false);
    lock.lock();
    if (stopping_) break;
    if (s.ok()) {
      // A write may have resumed meanwhile (resume_now) and said so.
      if (pending_) spdlog::info("store {}: writes resumed after {} (attempt {})", path_, why, n);
      pending_ = false;
    } else {
      backoff = std::min(backoff * 2, max_backoff_);
      spdlog::warn("store {}: resume after {} failed (attempt {}): {}; next try in {} ms", path_,
                   why, n, s.ToString(), backoff.count());
      if (unsafe(s)) {
        lock.unlock();
        enter_read_only(fmt::format("resume failed: {}", s.ToString()));
        lock.lock();
      }
    }
  }
}

rocksdb::Status Healer::attempt_resume(bool reuse_recent) {
  std::lock_guard r(resume_mu_);
  rocksdb::DB* db = nullptr;
  {
    std::lock_guard lock(mu_);
    if (stopping_ || db_ == nullptr) return rocksdb::Status::Aborted("store closing");
    db = db_;
  }
  const auto now = std::chrono::steady_clock::now();
  // Writers that failed together share one attempt.
  if (reuse_recent && now - last_resume_ < kResumeInterval) return last_status_;
  attempts_.fetch_add(1, std::memory_order_relaxed);
  last_resume_ = now;
  last_status_ = db->Resume();
  if (!last_status_.ok()) failures_.fetch_add(1, std::memory_order_relaxed);
  return last_status_;
}

bool Healer::resume_now() {
  if (read_only()) return false;
  rocksdb::Status s = attempt_resume(/*reuse_recent=*/true);
  if (!s.ok()) {
    spdlog::debug("store {}: resume after a failed write: {}", path_, s.ToString());
    if (unsafe(s)) enter_read_only(fmt::format("resume failed: {}", s.ToString()));
    return false;
  }
  std::lock_guard lock(mu_);
  if (pending_) {
    spdlog::info("store {}: writes resumed after {} (by a write)", path_, pending_reason_);
    pending_ = false;
  }
  return true;
}

}  // namespace gcfs
