#include "fusefs/daemon/control_server.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "fusefs/daemon/control_hooks.hpp"
#include "fusefs/daemon/control_metrics.hpp"
#include "fusefs/daemon/control_session.hpp"
#include "store/admin/json_text.hpp"
#include "store/admin/line_io.hpp"
#include "store/guarded.hpp"

namespace gcfs::fusefs {

ControlServer::ControlServer(Filesystem& fs, fuse_session* se, ControlInfo info,
                             ControlLimits limits)
    : fs_(fs), se_(se), info_(std::move(info)), slots_(limits) {
  hooks_ = std::make_unique<KernelHooks>(fs_, se_, info_);
  path_ = control::socket_path(info_.store_dir);
  register_control_metrics();
}

ControlServer::~ControlServer() { stop(); }

Status ControlServer::start() {
  if (Status s = listen(); !s) return s;
  try {
    for (size_t i = 0; i < slots_.limits().connections; ++i) {
      workers_.emplace_back([this] { worker_loop(); });
    }
    acceptor_ = std::thread([this] { accept_loop(); });
  } catch (const std::system_error& e) {
    stop();
    return Error(Errc::io, fmt::format("starting the control threads: {}", e.what()));
  }
  spdlog::info("control socket {} ({} connections, {} long requests at once)", path_,
               slots_.limits().connections, slots_.limits().long_running);
  return Status::ok();
}

Status ControlServer::listen() {
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
  return Status::ok();
}

void ControlServer::stop() {
  if (stopping_.exchange(true)) return;
  // Wakes the acceptor's poll at once (else up to 200 ms of a remount's wait).
  if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  slots_.stop();  // long commands waiting for their turn give up
  {
    std::lock_guard lock(mu_);
    for (int fd : conns_) ::shutdown(fd, SHUT_RD);  // wake idle readers
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
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
    if (fd < 0) {
      if (stopping_) break;  // stop() shut the socket down: not an error
      // EMFILE and the like: do not spin on a listen socket that stays ready.
      if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED) {
        spdlog::warn("control socket: accept: {}", std::strerror(errno));
        ::usleep(100 * 1000);
      }
      continue;
    }
    guarded("control socket acceptor", [&] { admit(fd); });
  }
}

// Hands fd to the pool, or refuses it. The acceptor waits a moment for a
// slot, but not again while it is refusing: a burst is refused at once.
void ControlServer::admit(int fd) {
  constexpr std::chrono::milliseconds kAdmitWait{200};
  if (!slots_.try_connect(refusing_ ? std::chrono::milliseconds(0) : kAdmitWait)) {
    count_control_refusal("busy");
    const size_t n = slots_.limits().connections;
    if (!refusing_) {
      spdlog::warn("control socket busy: {} control requests in progress; refusing connections", n);
    }
    refusing_ = true;
    const std::string line = control::to_text(
        control::fail(fmt::format("busy: {} control requests in progress; try again later", n),
                      control::kNotAvailable));
    // One short line into a fresh socket's empty buffer: it fits, never blocks.
    (void)::send(fd, (line + "\n").data(), line.size() + 1, MSG_DONTWAIT | MSG_NOSIGNAL);
    ::close(fd);
    return;
  }
  refusing_ = false;
  {
    std::lock_guard lock(mu_);
    conns_.insert(fd);
    queue_.push_back(fd);
  }
  cv_.notify_one();
}

void ControlServer::worker_loop() {
  for (;;) {
    int fd;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left to close
      fd = queue_.front();
      queue_.pop_front();
    }
    serve(fd);
  }
}

void ControlServer::serve(int fd) {
  if (!stopping_) {
    serve_connection(fd, {fs_, hooks_.get(), info_.store_dir, owner_uid_, slots_, stopping_,
                          info_.remote_client});
  }
  {
    std::lock_guard lock(mu_);
    conns_.erase(fd);
    ::close(fd);
  }
  slots_.disconnect();
}

}  // namespace gcfs::fusefs
