#include "fusefs/daemon/control_session.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fusefs/daemon/control_metrics.hpp"
#include "store/admin/body_socket.hpp"
#include "store/admin/json_text.hpp"
#include "store/admin/line_io.hpp"
#include "store/guarded.hpp"

namespace gcfs::fusefs {

namespace {

using control::json;

// Read-only commands that monitoring runs every few seconds: logged at
// debug, so a months-long daemon's log does not fill with them.
bool routine(const std::string& cmd) {
  return cmd == "stats" || cmd == "info" || cmd == "ns.list" || cmd == "snapshot.list" ||
         cmd == "cache.get" || cmd == "cache.put";  // one per go command's cache access
}

class Session {
 public:
  Session(int fd, const SessionEnv& env) : fd_(fd), env_(env) {}

  void run() {
    timeval tv{static_cast<time_t>(kReplyTimeout.count()), 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    std::string why;
    if (!peer_allowed(&why)) {
      // No need to drain the unread request: on a Unix socket the reply is
      // queued at the peer and survives our close.
      send(control::fail(why));
      count_control_refusal("permission");
      return;
    }
    std::string line, buffer;
    control::SocketBody body(fd_, &buffer);  // bodies after a line: body_channel.hpp
    body_ = &body;
    while (!env_.stopping) {
      const auto deadline = std::chrono::steady_clock::now() + kRequestDeadline;
      switch (control::read_line_until(fd_, &line, &buffer, kMaxRequestBytes, deadline)) {
        case control::LineStatus::line:
          body.begin(json());
          if (!send(answer(line)) || !body.end()) return;
          continue;
        case control::LineStatus::too_long:
          spdlog::warn("control: request longer than {} bytes refused", kMaxRequestBytes);
          count_control_refusal("too_long");
          send(control::fail(fmt::format("request longer than {} bytes", kMaxRequestBytes),
                             control::kUsage));
          return;
        case control::LineStatus::timed_out:
          spdlog::debug("control: no request within {} s, connection closed",
                        kRequestDeadline.count());
          count_control_refusal("timeout");
          send(control::fail(
              fmt::format("no complete request line within {} s", kRequestDeadline.count()),
              control::kUsage));
          return;
        case control::LineStatus::eof:
        case control::LineStatus::error:
          return;
      }
    }
  }

 private:
  bool send(const json& j) { return control::write_line(fd_, control::to_text(j)); }

  bool peer_allowed(std::string* why) const {
    ucred cred{};
    socklen_t len = sizeof(cred);
    if (::getsockopt(fd_, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
      *why = "cannot read the peer's credentials";
      return false;
    }
    if (cred.uid == 0 || cred.uid == env_.owner_uid || cred.uid == ::geteuid()) return true;
    *why = fmt::format(
        "permission denied: uid {} is neither root nor the owner (uid {}) of the store {}",
        cred.uid, env_.owner_uid, env_.store_dir);
    spdlog::warn("control socket: refused uid {} (pid {})", cred.uid, cred.pid);
    return false;
  }

  // The reply to one request line; a failure is this request's error reply.
  json answer(const std::string& line) {
    try {
      return dispatch(line);
    } catch (const std::exception& e) {
      log_escaped("control request", e.what());
      return control::fail(std::string("internal error: ") + e.what());
    } catch (...) {
      log_escaped("control request", "unknown exception");
      return control::fail("internal error");
    }
  }

  json dispatch(const std::string& line) {
    json req = json::parse(line, nullptr, false);
    if (req.is_discarded()) return control::fail("malformed request: not JSON", control::kUsage);
    body_->begin(req);
    if (auto why = control::check_request(req)) {
      spdlog::info("control: refused: {}", control::printable(*why));
      return control::fail(*why, control::kUsage);
    }
    const std::string cmd = req["cmd"].get<std::string>();
    spdlog::log(routine(cmd) ? spdlog::level::debug : spdlog::level::info, "control: {}", cmd);
    if (!control::long_running(cmd)) return run(cmd, req);
    switch (env_.slots.begin_long()) {
      case ControlSlots::Turn::busy:
        count_control_refusal("busy_long");
        return control::fail(
            fmt::format("busy: {} long control requests (verify, export, import, restore, "
                        "compact, evict, trim, remote push) in progress or waiting; try again "
                        "later",
                        env_.slots.limits().long_admitted),
            control::kNotAvailable);
      case ControlSlots::Turn::stopped:
        return control::fail("the daemon is stopping", control::kNotAvailable);
      case ControlSlots::Turn::run:
        break;
    }
    struct EndLong {
      ControlSlots& slots;
      ~EndLong() { slots.end_long(); }
    } end{env_.slots};
    return run(cmd, req);
  }

  json run(const std::string& cmd, const json& req) {
    // Progress lines go before the reply, at most every 100 ms, until one
    // cannot be written (the client went away or stopped reading).
    auto last = std::chrono::steady_clock::now();
    bool progress_ok = true;
    control::Context ctx{env_.fs.store(), env_.store_dir, env_.hooks, {}};
    ctx.body = body_;
    ctx.remote = env_.remote;
    ctx.progress = [&](uint64_t done, uint64_t total) {
      auto now = std::chrono::steady_clock::now();
      if (!progress_ok || now - last < std::chrono::milliseconds(100)) return;
      last = now;
      progress_ok = send(json{{"progress", {done, total}}});
    };
    // remote.push's progress also carries its counts, and tells the push to
    // stop once the client is gone or the daemon stops.
    ctx.report = [&](uint64_t done, uint64_t total, const json& counts) {
      if (env_.stopping) return false;
      auto now = std::chrono::steady_clock::now();
      if (!progress_ok || now - last < std::chrono::milliseconds(100)) return progress_ok;
      last = now;
      progress_ok = send(json{{"progress", {done, total}}, {"counts", counts}});
      return progress_ok;
    };
    json reply = control::handle(ctx, req);
    count_control_request(cmd, reply.value("ok", false));
    return reply;
  }

  int fd_;
  const SessionEnv& env_;
  control::SocketBody* body_ = nullptr;  // of run()'s connection
};

}  // namespace

void serve_connection(int fd, const SessionEnv& env) noexcept {
  guarded("control connection", [&] { Session(fd, env).run(); });
}

}  // namespace gcfs::fusefs
