#include "tools/cacheprog/server.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <variant>

#include "store/admin/json_text.hpp"
#include "tools/cacheprog/body_line.hpp"
#include "tools/cacheprog/input.hpp"
#include "tools/cacheprog/reply.hpp"
#include "tools/cacheprog/request.hpp"
#include "tools/cacheprog/router.hpp"
#include "tools/gocachectl/go_version.hpp"

namespace gcfs::cacheprog {

namespace {

constexpr size_t kMaxRequestLine = 64 * 1024;  // a request is ~200 bytes

enum Exit : int { kOk = 0, kFailed = 1, kProtocol = 2 };

int complain(int code, const std::string& message) {
  std::fprintf(stderr, "gocachectl cacheprog: %s\n", control::printable(message).c_str());
  return code;
}

bool write_out(int fd, const std::string& line) {
  std::string out = line + "\n";
  for (size_t off = 0; off < out.size();) {
    const ssize_t n = ::write(fd, out.data() + off, out.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// --ns, else the version the go command runs as, else the go in PATH.
Result<std::string> namespace_of(const ProgOptions& o) {
  if (!o.ns.empty()) return o.ns;
  if (const char* v = std::getenv("GOVERSION"); v && ctl::is_go_version(v)) {
    return ctl::namespace_for_version(v);
  }
  return ctl::toolchain_namespace("go");
}

class Server {
 public:
  // `out`: the go command's end of the protocol (stdout as it was at the start).
  Server(const ProgOptions& o, Router& router, int out)
      : o_(o), router_(router), in_(0), out_(out) {}

  int run() {
    if (!write_out(out_, capabilities_line())) return complain(kFailed, "cannot write to stdout");
    std::string line;
    for (;;) {
      if (o_.idle.count() > 0 && !in_.wait(o_.idle)) {
        router_.release();  // quiet: let others have the store
        in_.wait(std::chrono::milliseconds(-1));
      }
      switch (in_.read_line(&line, kMaxRequestLine)) {
        case Input::Line::eof:
          return kOk;  // the go command went away without "close"
        case Input::Line::error:
          return complain(kFailed, fmt::format("reading stdin: {}", std::strerror(errno)));
        case Input::Line::too_long:
          return complain(kProtocol, fmt::format("protocol error: a request line longer than "
                                                 "{} bytes",
                                                 kMaxRequestLine));
        case Input::Line::ok:
          break;
      }
      if (line.find_first_not_of(" \t\r") == std::string::npos)
        continue;  // Go ends each with "\n\n"
      auto parsed = parse_request(line);
      if (auto* why = std::get_if<std::string>(&parsed)) {
        return complain(kProtocol, "protocol error: request " + *why);
      }
      const Request& req = std::get<Request>(parsed);
      std::optional<int> done = serve(req);
      if (done) return *done;
    }
  }

 private:
  // nullopt: carry on; else the exit status.
  std::optional<int> serve(const Request& req) {
    if (req.command == "get") return answer(get(req));
    if (req.command == "put") return put(req);
    if (req.command == "close") {
      router_.release();
      return write_out(out_, ok_line(req.id)) ? kOk : kFailed;
    }
    return complain(kProtocol, fmt::format("protocol error: unknown command \"{}\" (request {})",
                                           control::printable(req.command).substr(0, 64), req.id));
  }

  std::optional<int> answer(const std::string& line) {
    if (!write_out(out_, line))
      return complain(kFailed, "cannot write to stdout (go command gone?)");
    return std::nullopt;
  }

  std::string get(const Request& req) {
    if (!req.action) return error_line(req.id, "get without an ActionID");
    auto hit = router_.get(*req.action);
    if (!hit) return error_line(req.id, hit.error().message());
    if (!*hit) return miss_line(req.id);
    const Hit& h = **hit;
    return hit_line(req.id, h.output, h.size, h.time_ns, h.disk_path);
  }

  std::optional<int> put(const Request& req) {
    BodyLine body(in_, req.body_size);
    std::string reply;
    if (!req.action || !req.object) {
      reply = error_line(req.id, "put without an ActionID and an ObjectID");
    } else {
      auto path = router_.put(*req.action, *req.object, req.body_size, body);
      reply = path ? put_line(req.id, *path) : error_line(req.id, path.error().message());
    }
    body.finish();  // to the next request, whatever the backend read
    if (body.protocol_error()) {
      return complain(kProtocol,
                      fmt::format("protocol error: put {}: {}", req.id, *body.protocol_error()));
    }
    return answer(reply);
  }

  const ProgOptions& o_;
  Router& router_;
  Input in_;
  int out_;
};

}  // namespace

int run_cacheprog(ProgOptions o) {
  ::signal(SIGPIPE, SIG_IGN);  // a vanished go command is an EPIPE, handled
  // Only answers may reach the go command: whatever else writes to stdout (the
  // store's log lines go through spdlog's default logger, which writes there)
  // goes to stderr, which the go command passes on.
  const int out = ::fcntl(1, F_DUPFD_CLOEXEC, 3);
  if (out < 0 || ::dup2(2, 1) < 0) return complain(kFailed, "cannot set up stdout");
  auto ns = namespace_of(o);
  if (!ns) {
    return complain(kFailed,
                    fmt::format("cannot tell the namespace ({}); give --ns", ns.error().message()));
  }
  if (o.outputs.dir.empty()) o.outputs.dir = default_materialize_dir();
  Materializer files(o.outputs);
  Router router({o.store_dir, *ns, o.lock_wait}, files);
  Server server(o, router, out);
  const int rc = server.run();
  router.release();
  if (auto s = files.trim(); !s) complain(kOk, "trimming output files: " + s.error().message());
  return rc;
}

}  // namespace gcfs::cacheprog
