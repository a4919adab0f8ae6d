#include "store/lock_holder.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <charconv>
#include <csignal>
#include <cstdint>
#include <fstream>
#include <sstream>

namespace gcfs {

namespace {

// PF_EXITING in /proc/PID/stat's flags: the thread is in do_exit.
constexpr uint64_t kPfExiting = 0x4;
// SIGKILL's bit in /proc/PID/status signal masks.
constexpr uint64_t kSigkillBit = uint64_t{1} << (SIGKILL - 1);

std::string read_line(const std::string& path) {
  std::ifstream f(path);
  std::string line;
  std::getline(f, line);
  return line;
}

// Whether the thread group of `pid` is on its way out: its main thread is a
// zombie (others still exiting) or in exit, or a SIGKILL is pending.
bool is_exiting(pid_t pid) {
  const std::string dir = "/proc/" + std::to_string(pid);
  const std::string stat = read_line(dir + "/stat");
  const size_t paren = stat.rfind(')');         // comm may contain spaces
  if (paren == std::string::npos) return true;  // gone meanwhile
  std::istringstream fields(stat.substr(paren + 1));
  char state = 0;
  long skip = 0;
  uint64_t flags = 0;
  fields >> state;
  for (int i = 0; i < 5; ++i) fields >> skip;  // ppid pgrp session tty_nr tpgid
  fields >> flags;
  if (state == 'Z' || state == 'X' || (flags & kPfExiting)) return true;
  std::ifstream status(dir + "/status");
  for (std::string line; std::getline(status, line);) {
    if (!line.starts_with("SigPnd:") && !line.starts_with("ShdPnd:")) continue;
    const size_t start = line.find_first_not_of(" \t", 7);
    if (start == std::string::npos) continue;
    uint64_t mask = 0;
    auto [end, ec] = std::from_chars(line.data() + start, line.data() + line.size(), mask, 16);
    if (ec == std::errc() && (mask & kSigkillBit)) return true;
  }
  return false;
}

}  // namespace

std::optional<LockHolder> store_lock_holder(const std::string& store_dir) {
  const int fd = ::open((store_dir + "/LOCK").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  const int rc = ::fcntl(fd, F_GETLK, &fl);
  ::close(fd);
  if (rc != 0 || fl.l_type == F_UNLCK) return std::nullopt;
  LockHolder h;
  h.pid = fl.l_pid;
  if (h.pid <= 0) return h;
  h.comm = read_line("/proc/" + std::to_string(h.pid) + "/comm");
  h.exiting = is_exiting(h.pid);
  return h;
}

void mark_going_away() { ::prctl(PR_SET_NAME, kGoingAwayName, 0, 0, 0); }

bool going_away(const LockHolder& h) {
  if (h.comm == kGoingAwayName) return true;
  return h.comm == kDaemonName && h.exiting;
}

}  // namespace gcfs
