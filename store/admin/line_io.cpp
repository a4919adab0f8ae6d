#include "store/admin/line_io.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace gcfs::control {

std::string socket_path(const std::string& store_dir) { return store_dir + "/control.sock"; }

namespace {

// Moves the line ending at buffer[nl] into *line.
void take_line(std::string* line, std::string* buffer, size_t nl) {
  line->assign(*buffer, 0, nl);
  buffer->erase(0, nl + 1);
}

}  // namespace

bool read_line(int fd, std::string* line, std::string* buffer, size_t max) {
  size_t scanned = 0;  // bytes known to hold no '\n': long replies stay linear
  for (;;) {
    if (auto nl = buffer->find('\n', scanned); nl != std::string::npos) {
      take_line(line, buffer, nl);
      return true;
    }
    scanned = buffer->size();
    if (buffer->size() > max) return false;
    char chunk[65536];
    ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buffer->append(chunk, static_cast<size_t>(n));
  }
}

LineStatus read_line_until(int fd, std::string* line, std::string* buffer, size_t max,
                           std::chrono::steady_clock::time_point deadline) {
  using namespace std::chrono;
  size_t scanned = 0;
  for (;;) {
    if (auto nl = buffer->find('\n', scanned); nl != std::string::npos) {
      if (nl > max) return LineStatus::too_long;
      take_line(line, buffer, nl);
      return LineStatus::line;
    }
    scanned = buffer->size();
    if (buffer->size() > max) return LineStatus::too_long;
    const auto left = duration_cast<milliseconds>(deadline - steady_clock::now()).count();
    if (left <= 0) return LineStatus::timed_out;
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 60000)));
    if (r < 0 && errno != EINTR) return LineStatus::error;
    if (r <= 0) continue;  // the deadline is checked above
    char chunk[4096];
    // Never more than what can still end the line within max bytes.
    const size_t room = std::min(sizeof(chunk), max + 1 - buffer->size());
    ssize_t n = ::read(fd, chunk, room);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return LineStatus::error;
    if (n == 0) return LineStatus::eof;  // an unfinished line is dropped with the connection
    buffer->append(chunk, static_cast<size_t>(n));
  }
}

bool write_line(int fd, const std::string& line) {
  std::string out = line + "\n";
  size_t off = 0;
  while (off < out.size()) {
    ssize_t n = ::send(fd, out.data() + off, out.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace gcfs::control
