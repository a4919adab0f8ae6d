#include "tools/control/line_io.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace gcfs::control {

std::string socket_path(const std::string& store_dir) { return store_dir + "/control.sock"; }

bool read_line(int fd, std::string* line, std::string* buffer, size_t max) {
  for (;;) {
    if (auto nl = buffer->find('\n'); nl != std::string::npos) {
      line->assign(*buffer, 0, nl);
      buffer->erase(0, nl + 1);
      return true;
    }
    if (buffer->size() > max) return false;
    char chunk[4096];
    ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
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
