// The mount probe: stat() in a forked child, so a hung FUSE mount (a daemon
// stopped or stuck) costs the check its deadline, never a hang.
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "tools/health/health.hpp"

namespace gcfs::health {

namespace {
Error failed(std::string why) { return Error(Errc::io, std::move(why)); }
}  // namespace

Status probe_mount(const std::string& path, std::chrono::milliseconds timeout) {
  // The root's attributes sit in the kernel's cache; a name never used
  // before must reach the daemon (a lookup), which shows it is answering.
  const std::string fresh =
      fmt::format("{}/.gocachefs-health-{}-{}", path, getpid(),
                  std::chrono::steady_clock::now().time_since_epoch().count());
  pid_t pid = fork();
  if (pid < 0) return failed(fmt::format("fork: {}", std::strerror(errno)));
  if (pid == 0) {
    // Over FUSE's io_uring transport a request the daemon has taken cannot be
    // killed: a child stuck on a stopped daemon outlives us. It must not hold
    // our stdout open (a caller reading it to EOF would hang with it).
    if (int null = open("/dev/null", O_RDWR); null >= 0) {
      dup2(null, STDIN_FILENO);
      dup2(null, STDOUT_FILENO);
      dup2(null, STDERR_FILENO);
    }
    close_range(3, ~0U, 0);
    struct stat st;
    if (stat(path.c_str(), &st) != 0) _exit(errno & 0xff);
    if (!S_ISDIR(st.st_mode)) _exit(ENOTDIR);
    if (stat(fresh.c_str(), &st) != 0 && errno != ENOENT) _exit(errno & 0xff);
    _exit(0);
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (true) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) return failed(fmt::format("waitpid: {}", std::strerror(errno)));
    if (std::chrono::steady_clock::now() >= deadline) {
      // A child blocked in a FUSE request dies on SIGKILL once the request
      // is aborted (or, over io_uring, answered); do not wait for it.
      kill(pid, SIGKILL);
      waitpid(pid, &status, WNOHANG);
      return failed(fmt::format("stat timed out after {} ms (mount hung)", timeout.count()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (!WIFEXITED(status)) return failed("probe killed");
  const int e = WEXITSTATUS(status);
  if (e == 0) return Status::ok();
  return failed(e == ENOTCONN ? "transport endpoint not connected (daemon gone)"
                              : std::strerror(e));
}

}  // namespace gcfs::health
