#include "tools/cacheprog/input.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gcfs::cacheprog {

bool Input::fill() {
  if (eof_) return false;
  if (pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  }
  char chunk[65536];
  for (;;) {
    const ssize_t n = ::read(fd_, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error_ = n < 0;
      eof_ = true;
      return false;
    }
    buf_.append(chunk, static_cast<size_t>(n));
    return true;
  }
}

bool Input::wait(std::chrono::milliseconds timeout) {
  if (pos_ < buf_.size() || eof_) return true;
  pollfd p{fd_, POLLIN, 0};
  for (;;) {
    const int r = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (r < 0 && errno == EINTR) continue;
    return r != 0;  // an error or hang-up is "there": the next read sees it
  }
}

Input::Line Input::read_line(std::string* line, size_t max) {
  line->clear();
  for (;;) {
    const size_t nl = buf_.find('\n', pos_);
    const size_t end = nl == std::string::npos ? buf_.size() : nl;
    if (line->size() + (end - pos_) > max) return Line::too_long;
    line->append(buf_, pos_, end - pos_);
    pos_ = nl == std::string::npos ? buf_.size() : nl + 1;
    if (nl != std::string::npos) return Line::ok;
    if (!fill()) {
      if (error_) return Line::error;
      return line->empty() ? Line::eof : Line::ok;  // a last line without '\n'
    }
  }
}

int Input::get() {
  if (pos_ == buf_.size() && !fill()) return -1;
  return static_cast<unsigned char>(buf_[pos_++]);
}

size_t Input::read_until(char stop, std::string* out, size_t max, bool* stopped) {
  *stopped = false;
  if (pos_ == buf_.size() && !fill()) return 0;
  const size_t avail = std::min(max, buf_.size() - pos_);
  const char* start = buf_.data() + pos_;
  const void* hit = std::memchr(start, stop, avail);
  const size_t n = hit ? static_cast<size_t>(static_cast<const char*>(hit) - start) : avail;
  out->append(start, n);
  pos_ += n;
  if (hit) {
    ++pos_;
    *stopped = true;
  }
  return n;
}

}  // namespace gcfs::cacheprog
