#include "tools/cacheprog/daemon_conn.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "store/admin/body_socket.hpp"
#include "store/admin/json_text.hpp"
#include "store/admin/line_io.hpp"

namespace gcfs::cacheprog {

namespace {
constexpr size_t kPiece = size_t{1} << 20;
}

Result<std::unique_ptr<DaemonConn>> DaemonConn::connect(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    return Error(Errc::invalid, "control socket path too long: " + path);
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error(Errc::io, std::strerror(errno));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int e = errno;
    ::close(fd);
    if (e == EACCES || e == EPERM) {
      return Error(Errc::permission,
                   fmt::format("permission denied on {}: only root and the store's owner may "
                               "use its daemon",
                               path));
    }
    return Error(Errc::not_found, fmt::format("no daemon on {}: {}", path, std::strerror(e)));
  }
  timeval tv{kReplyTimeoutS, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  return std::unique_ptr<DaemonConn>(new DaemonConn(fd));
}

DaemonConn::~DaemonConn() { ::close(fd_); }

bool DaemonConn::stale() {
  if (!buffer_.empty()) return true;
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, 0) != 0;  // readable between requests: EOF or an unasked line
}

Result<nlohmann::json> DaemonConn::request(const nlohmann::json& req, gocache::BodyReader* body,
                                           uint64_t body_bytes) {
  if (!control::write_line(fd_, control::to_text(req))) {
    return Error(Errc::io, fmt::format("sending to the daemon: {}", std::strerror(errno)));
  }
  if (body != nullptr) {
    std::string piece(kPiece, '\0');
    for (uint64_t sent = 0; sent < body_bytes;) {
      auto n =
          body->read(std::span<char>(piece.data(), std::min<uint64_t>(kPiece, body_bytes - sent)));
      if (!n) return n.status();
      if (*n == 0) return Error(Errc::invalid, "body shorter than announced");
      if (auto s = control::send_all(fd_, std::string_view(piece.data(), *n)); !s) return s;
      sent += *n;
    }
  }
  std::string line;
  if (!control::read_line(fd_, &line, &buffer_)) {
    return Error(Errc::io, errno == EAGAIN || errno == EWOULDBLOCK
                               ? fmt::format("no reply from the daemon within {} s", kReplyTimeoutS)
                               : std::string("the daemon closed the connection without a reply"));
  }
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (!j.is_object()) return Error(Errc::io, "the daemon's reply is not a JSON object");
  return j;
}

Status DaemonConn::read_body(uint64_t n, const gocache::BodyTee& sink) {
  while (n > 0) {
    if (!buffer_.empty()) {
      const size_t take = static_cast<size_t>(std::min<uint64_t>(n, buffer_.size()));
      if (auto s = sink(std::string_view(buffer_.data(), take)); !s) return s;
      buffer_.erase(0, take);
      n -= take;
      continue;
    }
    char chunk[65536];
    const ssize_t got =
        ::read(fd_, chunk, static_cast<size_t>(std::min<uint64_t>(n, sizeof(chunk))));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return Error(Errc::io, "the daemon's reply body ended early");
    if (auto s = sink(std::string_view(chunk, static_cast<size_t>(got))); !s) return s;
    n -= static_cast<uint64_t>(got);
  }
  return Status::ok();
}

}  // namespace gcfs::cacheprog
