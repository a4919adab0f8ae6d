#include "store/admin/body_socket.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace gcfs::control {

std::optional<uint64_t> declared_body(const nlohmann::json& req) {
  if (!req.is_object()) return 0;
  auto it = req.find("body_bytes");
  if (it == req.end()) return 0;
  if (!it->is_string()) return std::nullopt;
  const std::string& s = it->get_ref<const std::string&>();
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || n > kMaxBodyBytes) {
    return std::nullopt;
  }
  return n;
}

Status send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Error(Errc::io, fmt::format("send: {}", std::strerror(errno)));
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::ok();
}

void SocketBody::begin(const nlohmann::json& req) {
  auto n = declared_body(req);
  declared_ = n.value_or(0);
  consumed_ = 0;
  trusted_ = n.has_value();
  reply_size_ = 0;
  reply_ = nullptr;
}

Result<size_t> SocketBody::read(std::span<char> out) {
  const uint64_t left = declared_ - consumed_;
  if (left == 0 || out.empty()) return size_t{0};
  const size_t want = static_cast<size_t>(std::min<uint64_t>(left, out.size()));
  if (!buffer_->empty()) {  // what the line reader took past the line
    const size_t n = std::min(want, buffer_->size());
    std::memcpy(out.data(), buffer_->data(), n);
    buffer_->erase(0, n);
    consumed_ += n;
    return n;
  }
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(kBodyIdle.count() * 1000));
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      return Error(Errc::io, fmt::format("request body: nothing for {} s after {} of {} bytes",
                                         kBodyIdle.count(), consumed_, declared_));
    }
    const ssize_t n = r < 0 ? -1 : ::read(fd_, out.data(), want);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {
      return Error(Errc::io, fmt::format("request body: connection ended after {} of {} bytes",
                                         consumed_, declared_));
    }
    consumed_ += static_cast<uint64_t>(n);
    return static_cast<size_t>(n);
  }
}

void SocketBody::reply_body(uint64_t size, Producer produce) {
  reply_size_ = size;
  reply_ = std::move(produce);
}

bool SocketBody::end() {
  const bool request_read = trusted_ && consumed_ == declared_;
  if (!reply_) return request_read;
  uint64_t sent = 0;
  Status s = reply_([&](std::string_view bytes) {
    if (sent + bytes.size() > reply_size_)
      return Status(Error(Errc::invalid, "reply body too long"));
    sent += bytes.size();
    return send_all(fd_, bytes);
  });
  reply_ = nullptr;
  return request_read && s && sent == reply_size_;
}

}  // namespace gcfs::control
