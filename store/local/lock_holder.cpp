#include "store/local/lock_holder.hpp"

#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <charconv>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
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
  // From /proc/locks, not F_GETLK: closing a probe's descriptor would drop
  // this process's own lock if it held it.
  struct stat st {};
  if (::stat((store_dir + "/LOCK").c_str(), &st) != 0) return std::nullopt;
  std::ifstream locks("/proc/locks");
  // "1: POSIX  ADVISORY  WRITE 21308 fe:00:10953031 0 EOF"; waiters have "->".
  for (std::string line; std::getline(locks, line);) {
    std::istringstream f(line);
    std::string id, kind, mode, access, pid, file;
    f >> id >> kind;
    if (kind == "->") continue;
    f >> mode >> access >> pid >> file;
    unsigned dev_major = 0, dev_minor = 0;
    unsigned long long ino = 0;
    if (std::sscanf(file.c_str(), "%x:%x:%llu", &dev_major, &dev_minor, &ino) != 3) continue;
    if (ino != st.st_ino || dev_major != major(st.st_dev) || dev_minor != minor(st.st_dev)) {
      continue;
    }
    LockHolder h;
    h.pid = static_cast<pid_t>(std::atol(pid.c_str()));
    if (h.pid <= 0) return h;  // not visible from this pid namespace
    h.comm = read_line("/proc/" + std::to_string(h.pid) + "/comm");
    h.exiting = is_exiting(h.pid);
    return h;
  }
  return std::nullopt;
}

void mark_going_away() {
  if (::prctl(PR_SET_NAME, kGoingAwayName, 0, 0, 0) != 0) {
    // A remount meanwhile is refused instead of waiting for us.
    spdlog::warn("cannot rename the main thread {}: {}", kGoingAwayName, std::strerror(errno));
  }
}

bool going_away(const LockHolder& h) {
  if (h.comm == kGoingAwayName) return true;
  return h.comm == kDaemonName && h.exiting;
}

}  // namespace gcfs
