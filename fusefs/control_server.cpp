#include "fusefs/control_server.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "fusefs/control_hooks.hpp"
#include "fusefs/control_metrics.hpp"
#include "tools/control/control.hpp"
#include "tools/control/line_io.hpp"

namespace gcfs::fusefs {

namespace {

// The request's "cmd" if it is a string ("" otherwise: handle() refuses it).
std::string command_of(const control::json& req) {
  if (!req.is_object()) return {};
  auto it = req.find("cmd");
  return it != req.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

ControlServer::ControlServer(Filesystem& fs, fuse_session* se, ControlInfo info)
    : fs_(fs), se_(se), info_(std::move(info)) {
  hooks_ = std::make_unique<KernelHooks>(fs_, se_, info_);
  path_ = control::socket_path(info_.store_dir);
  register_control_metrics();
}

ControlServer::~ControlServer() { stop(); }

Status ControlServer::start() {
  struct stat st {};
  if (::stat(info_.store_dir.c_str(), &st) != 0) {
    return Error(Errc::io, fmt::format("stat {}: {}", info_.store_dir, std::strerror(errno)));
  }
  owner_uid_ = st.st_uid;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.size() >= sizeof(addr.sun_path)) {
    return Error(Errc::invalid, fmt::format("socket path {} is too long", path_));
  }
  std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
  // The store is locked by this process, so a socket file left here is stale.
  ::unlink(path_.c_str());
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return Error(Errc::io, std::strerror(errno));
  const mode_t old_mask = ::umask(0177);  // born 0600: no window with wider access
  int rc = ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  ::umask(old_mask);
  if (rc != 0 || ::listen(listen_fd_, 16) != 0) {
    auto e = Error(Errc::io, fmt::format("binding {}: {}", path_, std::strerror(errno)));
    ::close(listen_fd_);
    listen_fd_ = -1;
    return e;
  }
  // The store's owner may use the socket of a daemon run by root.
  if (::geteuid() == 0 && owner_uid_ != 0 && ::chown(path_.c_str(), owner_uid_, -1) != 0) {
    spdlog::warn("chown {}: {}", path_, std::strerror(errno));
  }
  acceptor_ = std::thread([this] { accept_loop(); });
  spdlog::info("control socket {}", path_);
  return Status::ok();
}

void ControlServer::stop() {
  if (stopping_.exchange(true)) return;
  // Wakes the acceptor's poll at once (else up to 200 ms of a remount's wait).
  if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  {
    std::lock_guard lock(mu_);
    for (int fd : conns_) ::shutdown(fd, SHUT_RD);  // wake idle readers
  }
  for (;;) {
    std::vector<std::thread> workers;
    {
      std::lock_guard lock(mu_);
      workers.swap(workers_);
    }
    if (workers.empty()) break;
    for (auto& t : workers) t.join();
  }
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    ::unlink(path_.c_str());
    listen_fd_ = -1;
  }
}

void ControlServer::accept_loop() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard lock(mu_);
    conns_.insert(fd);
    workers_.emplace_back([this, fd] { serve(fd); });
  }
}

bool ControlServer::peer_allowed(int fd, std::string* why) const {
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    *why = "cannot read the peer's credentials";
    return false;
  }
  if (cred.uid == 0 || cred.uid == owner_uid_ || cred.uid == ::geteuid()) return true;
  *why = fmt::format(
      "permission denied: uid {} is neither root nor the owner (uid {}) of the store {}", cred.uid,
      owner_uid_, info_.store_dir);
  spdlog::warn("control socket: refused uid {} (pid {})", cred.uid, cred.pid);
  return false;
}

void ControlServer::serve(int fd) {
  std::string why;
  if (!peer_allowed(fd, &why)) {
    (void)control::write_line(fd, control::fail(why).dump());
    // Closing with the request unread would reset the connection and could
    // lose the reply: end our side, then drain until the client closes.
    ::shutdown(fd, SHUT_WR);
    timeval tv{2, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char sink[4096];
    while (::read(fd, sink, sizeof(sink)) > 0) {
    }
  } else {
    std::string line, buffer;
    while (!stopping_ && control::read_line(fd, &line, &buffer)) {
      control::json reply;
      auto req = control::json::parse(line, nullptr, false);
      if (req.is_discarded()) {
        reply = control::fail("malformed request: not JSON", control::kUsage);
      } else {
        // Progress lines go before the reply, at most every 100 ms.
        auto last = std::chrono::steady_clock::now();
        control::Context ctx{fs_.store(), info_.store_dir, hooks_.get(), {}};
        ctx.progress = [&](uint64_t done, uint64_t total) {
          auto now = std::chrono::steady_clock::now();
          if (now - last < std::chrono::milliseconds(100)) return;
          last = now;
          (void)control::write_line(fd, control::json{{"progress", {done, total}}}.dump());
        };
        spdlog::info("control: {}", command_of(req));
        reply = control::handle(ctx, req);
        count_control_request(command_of(req), reply.value("ok", false));
      }
      if (!control::write_line(fd, reply.dump())) break;
    }
  }
  std::lock_guard lock(mu_);
  conns_.erase(fd);
  ::close(fd);
}

}  // namespace gcfs::fusefs
