// Remote push's uploads: see push_sender.hpp.
#include "store/tiered/push_sender.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace gcfs::tiered {

namespace {

// Every endpoint failing fast (or probing): the remote is down, and each
// further upload would only be counted as one more error.
bool remote_down(const remote::RemoteClient& client) {
  const auto endpoints = client.status().endpoints;
  if (endpoints.empty()) return false;
  for (const auto& e : endpoints) {
    if (e.breaker.state == remote::BreakerState::closed) return false;
  }
  return true;
}

}  // namespace

PairSender::PairSender(remote::RemoteClient& client, std::string ns, const PushOptions& options)
    : client_(client), ns_(std::move(ns)), options_(options) {
  for (uint32_t i = 0; i < std::max<uint32_t>(1, options_.threads); ++i) {
    threads_.emplace_back([this] { run(); });
  }
}

PairSender::~PairSender() { cancel(); }

bool PairSender::send(Pair& pair, std::chrono::milliseconds wait) {
  const uint64_t cost = pair.action.size() + pair.output.size();
  std::unique_lock lock(mu_);
  // An output larger than the bound goes alone, once nothing else is pending.
  const bool room = room_.wait_for(lock, wait, [&] {
    return !stopped_.empty() || bytes_ == 0 || bytes_ + cost <= options_.max_pending_bytes;
  });
  if (!room || !stopped_.empty() || closing_) return false;
  bytes_ += cost;
  queue_.push_back(std::move(pair));
  lock.unlock();
  work_.notify_one();
  return true;
}

void PairSender::run() {
  while (true) {
    Pair p;
    {
      std::unique_lock lock(mu_);
      work_.wait(lock, [&] { return closing_ || !stopped_.empty() || !queue_.empty(); });
      if (!stopped_.empty() || queue_.empty()) return;
      p = std::move(queue_.front());
      queue_.pop_front();
    }
    const uint64_t cost = p.action.size() + p.output.size();
    Status s;
    try {  // a thread boundary: nothing may escape (std::bad_alloc on a large output)
      s = client_.put_pair(ns_, p.action_name, p.action, p.output, &cancel_);
    } catch (const std::exception& e) {
      s = Error(Errc::io, fmt::format("upload of {}: {}", p.action_name, e.what()));
    }
    if (s) {
      pushed_.fetch_add(1, std::memory_order_relaxed);
      bytes_up_.fetch_add(cost, std::memory_order_relaxed);
      std::lock_guard lock(mu_);
      failures_in_a_row_ = 0;
    } else if (s.code() == Errc::invalid) {
      // put_pair's own checks: the output is not what the entry names (the
      // local cache changed under the walk). Not the remote's fault.
      invalid_.fetch_add(1, std::memory_order_relaxed);
      spdlog::debug("remote push of {} skipped: {}", p.action_name, s.error().message());
    } else if (s.code() == Errc::too_big) {
      too_big_.fetch_add(1, std::memory_order_relaxed);
    } else if (!cancel_.load()) {  // an upload cut short by cancel() was never tried
      failed(s.error());
    }
    {
      std::lock_guard lock(mu_);
      bytes_ -= cost;
    }
    room_.notify_all();
  }
}

void PairSender::failed(const Error& e) {
  errors_.fetch_add(1, std::memory_order_relaxed);
  spdlog::debug("remote push upload failed: {}", e.message());
  const bool down = remote_down(client_);  // not under mu_: the client takes its own locks
  {
    std::lock_guard lock(mu_);
    if (first_error_.empty()) first_error_ = e.message();
    ++failures_in_a_row_;
    if (stopped_.empty()) {
      if (down) {
        stopped_ = "remote down: every endpoint's circuit breaker is open";
      } else if (options_.stop_after_errors > 0 &&
                 failures_in_a_row_ >= options_.stop_after_errors) {
        stopped_ = fmt::format("the remote refused {} uploads in a row", failures_in_a_row_);
      }
    }
  }
  work_.notify_all();
  room_.notify_all();
}

void PairSender::join() {
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

bool PairSender::drain(std::chrono::milliseconds wait) {
  std::unique_lock lock(mu_);
  closing_ = true;
  work_.notify_all();  // threads waiting for work leave once the queue is empty
  return room_.wait_for(lock, wait, [&] { return bytes_ == 0 || !stopped_.empty(); });
}

void PairSender::finish() {
  {
    std::lock_guard lock(mu_);
    closing_ = true;
  }
  work_.notify_all();
  join();
}

void PairSender::cancel() {
  {
    std::lock_guard lock(mu_);
    closing_ = true;
    for (const Pair& p : queue_) bytes_ -= p.action.size() + p.output.size();
    queue_.clear();
  }
  cancel_.store(true);
  work_.notify_all();
  room_.notify_all();
  join();
}

std::string PairSender::stopped() const {
  std::lock_guard lock(mu_);
  return stopped_;
}

std::string PairSender::first_error() const {
  std::lock_guard lock(mu_);
  return first_error_;
}

void PairSender::add_counts(PushCounts& c) const {
  c.pushed += pushed_.load(std::memory_order_relaxed);
  c.errors += errors_.load(std::memory_order_relaxed);
  c.skipped_invalid += invalid_.load(std::memory_order_relaxed);
  c.skipped_too_big += too_big_.load(std::memory_order_relaxed);
  c.bytes += bytes_up_.load(std::memory_order_relaxed);
}

}  // namespace gcfs::tiered
