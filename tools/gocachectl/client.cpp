#include "tools/gocachectl/client.hpp"

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "store/admin/json_text.hpp"
#include "store/admin/line_io.hpp"
#include "store/store.hpp"

namespace gcfs::ctl {

namespace {

using control::json;

// Progress on a terminal only: scripts and CI logs stay clean.
void show_progress(const std::string& what, uint64_t done, uint64_t total) {
  if (!::isatty(2)) return;
  if (total > 0) {
    std::fprintf(stderr, "\r%s: %3.0f%% (%.1f / %.1f MiB)", what.c_str(),
                 100.0 * static_cast<double>(std::min(done, total)) / static_cast<double>(total),
                 static_cast<double>(done) / 1048576.0, static_cast<double>(total) / 1048576.0);
  } else {
    std::fprintf(stderr, "\r%s: %.1f MiB", what.c_str(), static_cast<double>(done) / 1048576.0);
  }
}

void end_progress(bool shown) {
  if (shown && ::isatty(2)) std::fprintf(stderr, "\n");
}

// -1 with errno when no daemon listens.
int connect_socket(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    int e = errno;
    ::close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

json via_socket(int fd, const json& req, const std::string& what, const CountsLine& on_counts) {
  std::string line, buffer;
  bool shown = false;
  json reply = control::fail("the daemon closed the control connection without a reply");
  // Read even if the write failed: a refusing daemon replies without reading.
  (void)control::write_line(fd, control::to_text(req));
  {
    while (control::read_line(fd, &line, &buffer)) {
      json j = json::parse(line, nullptr, false);
      if (j.is_object() && j.contains("progress")) {
        if (on_counts && j.contains("counts")) {
          on_counts(j["counts"]);  // lines of their own
        } else {
          show_progress(what, j["progress"][0], j["progress"][1]);
          shown = true;
        }
        continue;
      }
      if (j.is_object()) reply = j;
      break;
    }
  }
  end_progress(shown);
  ::close(fd);
  return reply;
}

json direct(const std::string& store_dir, const json& req, const std::string& what,
            remote::RemoteClient* remote, const CountsLine& on_counts) {
  const std::string cmd = req.value("cmd", "");
  StoreOptions so;
  so.path = store_dir;
  // Only commands that put something in may create a store.
  so.create_if_missing =
      cmd == "ns.create" || cmd == "snapshot.import" || cmd == "snapshot.restore";
  LockWait wait;  // a daemon just unmounted or killed may still be closing the store
  auto store = open_store_waiting(so, wait);
  if (!store) {
    if (store.code() == Errc::busy) {
      return control::fail(
          fmt::format("store {} is locked by another process and its control "
                      "socket {} does not answer",
                      store_dir, control::socket_path(store_dir)));
    }
    return control::fail(store.error());
  }
  bool shown = false;
  control::Context ctx{**store, store_dir, nullptr, {}};
  ctx.progress = [&](uint64_t done, uint64_t total) {
    show_progress(what, done, total);
    shown = true;
  };
  ctx.remote = remote;
  if (on_counts) {
    ctx.report = [&](uint64_t, uint64_t, const json& counts) {
      on_counts(counts);
      return true;
    };
  }
  json reply = control::handle(ctx, req);
  end_progress(shown);
  return reply;
}

}  // namespace

json run_request(const std::string& store_dir, const json& req, const CountsLine& on_counts) {
  const std::string path = control::socket_path(store_dir);
  const std::string what = req.value("cmd", "");
  int fd = connect_socket(path);
  if (fd >= 0) return via_socket(fd, req, what, on_counts);
  if (errno == EACCES || errno == EPERM) {
    return control::fail(fmt::format(
        "permission denied on {}: only root and the owner of the store may control its daemon",
        path));
  }
  // ENOENT / ECONNREFUSED: no daemon (a stale socket of a dead one is fine).
  return direct(store_dir, req, what, nullptr, on_counts);
}

json run_direct(const std::string& store_dir, const json& req, remote::RemoteClient* remote,
                const CountsLine& on_counts) {
  return direct(store_dir, req, req.value("cmd", ""), remote, on_counts);
}

bool daemon_listening(const std::string& store_dir) {
  const int fd = connect_socket(control::socket_path(store_dir));
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

}  // namespace gcfs::ctl
