#include "tools/cacheprog/body_line.hpp"

#include <fmt/format.h>

#include <cstring>

namespace gcfs::cacheprog {

namespace {
constexpr size_t kTextPiece = 256 * 1024;  // base64 characters decoded at a time
}

bool BodyLine::start() {
  if (started_) return true;
  for (;;) {  // the request's own line ends with "\n\n": skip blank space
    const int c = in_.get();
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '"') break;
    error_ = c < 0 ? fmt::format("input ended where the body of {} bytes should start", size_)
                   : fmt::format("the body of {} bytes does not start with '\"' (got 0x{:02x})",
                                 size_, c);
    return false;
  }
  started_ = true;
  return true;
}

bool BodyLine::more() {
  if (!start()) return false;
  std::string text;
  bool closed = false;
  const size_t n = in_.read_until('"', &text, kTextPiece, &closed);
  if (n == 0 && !closed) {
    error_ = fmt::format("input ended inside the body after {} of {} bytes", decoded_, size_);
    return false;
  }
  pending_.erase(0, pending_at_);
  pending_at_ = 0;
  const size_t before = pending_.size();
  if (!decoder_.update(text, &pending_)) {
    error_ = fmt::format("the body is not base64 (after {} of {} bytes)", decoded_, size_);
    return false;
  }
  decoded_ += pending_.size() - before;
  if (decoded_ > size_) {
    error_ = fmt::format("the body holds more than the {} bytes its request says", size_);
    return false;
  }
  if (!closed) return true;
  if (!decoder_.final()) {
    error_ = "the body's base64 ends in the middle of a group";
    return false;
  }
  if (decoded_ != size_) {
    error_ = fmt::format("the body holds {} bytes, its request says {}", decoded_, size_);
    return false;
  }
  const int nl = in_.get();  // `"` then '\n' ends the body
  if (nl != '\n' && nl >= 0) {
    error_ = fmt::format("the body's closing quote is followed by 0x{:02x}, not a newline", nl);
    return false;
  }
  done_ = true;
  return true;
}

Result<size_t> BodyLine::read(std::span<char> out) {
  while (pending_at_ == pending_.size()) {
    if (done_) return size_t{0};
    if (error_ || !more()) return Error(Errc::invalid, "protocol error: " + *error_);
  }
  const size_t n = std::min(out.size(), pending_.size() - pending_at_);
  std::memcpy(out.data(), pending_.data() + pending_at_, n);
  pending_at_ += n;
  return n;
}

void BodyLine::finish() {
  while (!done_ && !error_) {
    pending_.clear();
    pending_at_ = 0;
    if (!more()) return;
  }
}

}  // namespace gcfs::cacheprog
