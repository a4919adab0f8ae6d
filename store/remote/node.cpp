// Endpoint pool and breaker: see node.hpp.
#include "store/remote/node.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace gcfs::remote {

namespace {

std::vector<Reply> all_failed(size_t n, const Failure& f) {
  std::vector<Reply> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(Reply::failed(f));
  return out;
}

// The first failure among replies that says something about the endpoint.
const Failure* endpoint_failure(const std::vector<Reply>& replies) {
  for (const auto& r : replies) {
    if (r.failure && (is_endpoint_fault(r.failure->kind) || r.failure->kind == Fault::cancelled)) {
      return &*r.failure;
    }
  }
  return nullptr;
}

}  // namespace

Node::Node(Address addr, NodeSettings settings)
    : addr_(std::move(addr)), settings_(std::move(settings)), breaker_(settings_.breaker) {}

Outcome<std::unique_ptr<Connection>> Node::connect(Deadline deadline,
                                                   const std::atomic<bool>* cancel) {
  const Deadline by = std::min(deadline, Clock::now() + settings_.connect_timeout);
  return Connection::open(addr_, settings_.credentials, settings_.db, settings_.max_reply_bytes, by,
                          cancel);
}

Outcome<std::unique_ptr<Connection>> Node::acquire(Deadline deadline,
                                                   const std::atomic<bool>* cancel, bool* reused) {
  {
    std::unique_lock lock(mu_);
    // In slices, so a cancelled caller (uploader close) does not wait out its deadline.
    auto ready = [&] { return !idle_.empty() || open_ < settings_.max_connections; };
    while (!ready() && Clock::now() < deadline && !(cancel != nullptr && cancel->load())) {
      freed_.wait_until(lock, std::min(deadline, Clock::now() + std::chrono::milliseconds(50)));
    }
    if (!ready()) {
      if (cancel != nullptr && cancel->load()) {
        return Failure{Fault::cancelled, addr_.str() + ": waiting for a connection cancelled"};
      }
      return Failure{Fault::pool_busy, fmt::format("{}: all {} connections busy", addr_.str(),
                                                   settings_.max_connections)};
    }
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      *reused = true;
      return c;
    }
    ++open_;
  }
  *reused = false;
  auto c = connect(deadline, cancel);
  if (!c) {
    std::lock_guard lock(mu_);
    --open_;
    freed_.notify_one();
  }
  return c;
}

void Node::drop_idle() {
  std::lock_guard lock(mu_);
  open_ -= static_cast<uint32_t>(idle_.size());
  idle_.clear();
  freed_.notify_all();
}

void Node::release(std::unique_ptr<Connection> conn) {
  std::lock_guard lock(mu_);
  if (conn->broken()) {
    --open_;
  } else {
    idle_.push_back(std::move(conn));
  }
  freed_.notify_one();
}

std::vector<Reply> Node::exchange(const std::vector<const Command*>& cmds, Deadline deadline,
                                  const std::atomic<bool>* cancel) {
  if (!breaker_.allow(Clock::now())) {
    const auto snap = breaker_.snapshot(Clock::now());
    return all_failed(cmds.size(),
                      {Fault::breaker_open, fmt::format("{}: circuit open, next probe in {} ms",
                                                        addr_.str(), snap.retry_in_ms)});
  }
  bool reused = false;
  auto conn = acquire(deadline, cancel, &reused);
  std::vector<Reply> replies;
  if (conn) {
    replies = conn.value()->exchange(cmds, deadline, cancel);
    const Failure* f = endpoint_failure(replies);
    if (f != nullptr && reused && (f->kind == Fault::refused || f->kind == Fault::io)) {
      // Most likely the server dropped its idle connections (restart,
      // timeout): the other idle ones are as stale as this one.
      release(std::move(conn.value()));
      drop_idle();
      conn = acquire(deadline, cancel, &reused);
      if (conn) replies = conn.value()->exchange(cmds, deadline, cancel);
    }
  }
  if (!conn) replies = all_failed(cmds.size(), conn.failure());

  if (const Failure* f = endpoint_failure(replies)) {
    if (f->kind == Fault::cancelled) {
      breaker_.on_abandon();
    } else {
      const auto before = breaker_.snapshot(Clock::now()).state;
      breaker_.on_failure(Clock::now());
      if (before != BreakerState::open &&
          breaker_.snapshot(Clock::now()).state == BreakerState::open) {
        spdlog::warn("remote {}: circuit opened after {}", addr_.str(), f->message);
      }
    }
  } else if (conn || conn.failure().kind != Fault::pool_busy) {
    const bool was_down = breaker_.snapshot(Clock::now()).state != BreakerState::closed;
    breaker_.on_success();
    if (was_down) spdlog::info("remote {}: circuit closed", addr_.str());
  } else {
    breaker_.on_abandon();
  }
  if (conn) release(std::move(conn.value()));
  return replies;
}

}  // namespace gcfs::remote
