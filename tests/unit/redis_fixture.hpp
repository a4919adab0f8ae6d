// Real redis-server processes for the remote tier's tests: on free
// 127.0.0.1 ports, no persistence, in a temporary directory, stopped by PID
// when the fixture goes away. A child also dies with the test process
// (PR_SET_PDEATHSIG) and an atexit hook kills whatever is left, so a
// failing or crashing test leaves no server behind.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "store/remote/connection.hpp"

namespace gcfs::remote::testing {

namespace detail {

inline std::mutex& pids_mu() {
  static std::mutex mu;
  return mu;
}
inline std::set<pid_t>& live_pids() {
  static std::set<pid_t> pids;
  return pids;
}
inline void kill_all_at_exit() {
  std::lock_guard lock(pids_mu());
  for (pid_t p : live_pids()) {
    ::kill(p, SIGKILL);
    ::waitpid(p, nullptr, 0);
  }
  live_pids().clear();
}
inline void track(pid_t p) {
  static const bool registered = (std::atexit(kill_all_at_exit), true);
  (void)registered;
  std::lock_guard lock(pids_mu());
  live_pids().insert(p);
}
inline void untrack(pid_t p) {
  std::lock_guard lock(pids_mu());
  live_pids().erase(p);
}

inline bool can_bind(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  ::close(fd);
  return ok;
}

// Forks and execs argv with stdout/stderr to `log` (or a pipe when
// `capture`); the child dies with this process.
inline pid_t spawn(const std::vector<std::string>& argv, const std::string& log, int* pipe_out) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int p[2] = {-1, -1};
  if (pipe_out != nullptr && ::pipe(p) != 0) throw std::runtime_error("pipe");
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    int out = pipe_out != nullptr ? p[1] : ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (out >= 0) {
      ::dup2(out, 1);
      ::dup2(out, 2);
    }
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  if (pipe_out != nullptr) {
    ::close(p[1]);
    *pipe_out = p[0];
  }
  return pid;
}

}  // namespace detail

// Runs a command to completion; returns its exit status and output.
inline std::pair<int, std::string> run_command(const std::vector<std::string>& argv) {
  int fd = -1;
  const pid_t pid = detail::spawn(argv, "", &fd);
  detail::track(pid);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  int status = 0;
  ::waitpid(pid, &status, 0);
  detail::untrack(pid);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// A port in 20000-31999 free to bind, and its cluster bus port (+10000) too.
inline int pick_port() {
  static std::mt19937 rng(
      static_cast<unsigned>(::getpid()) ^
      static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count()));
  for (int i = 0; i < 1000; ++i) {
    const int port = 20000 + static_cast<int>(rng() % 12000);
    if (detail::can_bind(port) && detail::can_bind(port + 10000)) return port;
  }
  throw std::runtime_error("no free port");
}

// Sends one command on a fresh connection (tests only).
inline Reply raw_command(int port, std::vector<std::string> args, const std::string& user = "",
                         const std::string& password = "") {
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  auto c = Connection::open(Address{"127.0.0.1", port}, Credentials{user, password}, 0,
                            size_t{1} << 30, deadline, nullptr);
  if (!c) return Reply::failed(c.failure());
  Command cmd{std::move(args)};
  return c.value()->exchange({&cmd}, deadline, nullptr).at(0);
}

class RedisServer {
 public:
  // `extra`: more redis-server arguments (e.g. {"--maxmemory", "4mb"}).
  RedisServer(const std::string& dir, bool cluster, std::vector<std::string> extra = {})
      : dir_(dir), cluster_(cluster), extra_(std::move(extra)) {
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = pick_port();
      if (start()) return;
    }
    throw std::runtime_error("redis-server did not start (see " + dir_ + ")");
  }
  ~RedisServer() { kill(); }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

  // (Re)starts on the same port; false if it did not answer PING.
  bool start() {
    std::vector<std::string> argv = {"redis-server",
                                     "--port",
                                     std::to_string(port_),
                                     "--bind",
                                     "127.0.0.1",
                                     "--save",
                                     "",
                                     "--appendonly",
                                     "no",
                                     "--dir",
                                     dir_,
                                     "--daemonize",
                                     "no"};
    if (cluster_) {
      argv.insert(argv.end(),
                  {"--cluster-enabled", "yes", "--cluster-config-file",
                   "nodes-" + std::to_string(port_) + ".conf", "--cluster-node-timeout", "5000"});
    }
    argv.insert(argv.end(), extra_.begin(), extra_.end());
    pid_ = detail::spawn(argv, dir_ + "/redis-" + std::to_string(port_) + ".log", nullptr);
    detail::track(pid_);
    for (int i = 0; i < 200; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        detail::untrack(pid_);
        pid_ = -1;
        return false;  // exited: port taken, most likely
      }
      Reply r = raw_command(port_, {"PING"});
      if (!r.failure && r.str == "PONG") return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    kill();
    return false;
  }

  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    detail::untrack(pid_);
    pid_ = -1;
  }
  void pause() { ::kill(pid_, SIGSTOP); }
  void resume() { ::kill(pid_, SIGCONT); }

  Reply command(std::vector<std::string> args) const { return raw_command(port_, std::move(args)); }
  std::string cli(std::vector<std::string> args) const {
    std::vector<std::string> argv = {"redis-cli", "-p", std::to_string(port_)};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv).second;
  }

 private:
  std::string dir_;
  bool cluster_;
  std::vector<std::string> extra_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// A temporary directory removed with the object.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "gcfs-redis-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// At the end of the run, as a test: no redis-server (or redis-cli) of
// ours is left: none tracked, and pgrep finds no child of this process.
class NoServerLeft : public ::testing::Environment {
 public:
  void TearDown() override {
    {
      std::lock_guard lock(detail::pids_mu());
      EXPECT_TRUE(detail::live_pids().empty()) << detail::live_pids().size() << " still tracked";
    }
    auto [rc, out] = run_command({"pgrep", "-a", "-P", std::to_string(::getpid())});
    // pgrep itself is our child while it runs, but does not list itself.
    EXPECT_EQ(rc, 1) << "processes left running: " << out;
  }
};
inline ::testing::Environment* const kNoServerLeft =
    ::testing::AddGlobalTestEnvironment(new NoServerLeft);

}  // namespace gcfs::remote::testing
