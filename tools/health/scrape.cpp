// A minimal scrape: HTTP/1.0 GET over a plain socket with a deadline, and a
// parser for the sample lines of the Prometheus text format (enough for what
// the daemon exports; comments and timestamps are skipped).
#include <fmt/format.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "tools/health/health.hpp"

namespace gcfs::health {

namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

bool split_address(const std::string& a, std::string* host, std::string* port) {
  const auto colon = a.rfind(':');
  if (colon == std::string::npos || colon + 1 == a.size()) return false;
  *host = a.substr(0, colon);
  *port = a.substr(colon + 1);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  return !host->empty();
}

Error failed(std::string why) { return Error(Errc::io, std::move(why)); }

// A connected socket.
Result<int> connect_to(const std::string& address, Clock::time_point deadline) {
  std::string host, port;
  if (!split_address(address, &host, &port)) {
    return Error(Errc::invalid, fmt::format("metrics address '{}' is not HOST:PORT", address));
  }
  std::string error;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    return failed(fmt::format("{}: {}", address, gai_strerror(rc)));
  }
  int fd = -1;
  for (addrinfo* ai = res; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
      error = fmt::format("connect to {}: {}", address, std::strerror(errno));
      close(fd);
      fd = -1;
      continue;
    }
    pollfd p{fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof(err);
    if (poll(&p, 1, remaining_ms(deadline)) != 1 ||
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
      error = fmt::format("connect to {}: {}", address, err ? std::strerror(err) : "timed out");
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  if (fd < 0)
    return failed(error.empty() ? fmt::format("connect to {}: no address", address) : error);
  return fd;
}

}  // namespace

Result<std::string> http_get_metrics(const std::string& address,
                                     std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  GCFS_TRY_ASSIGN(const int fd, connect_to(address, deadline));
  const std::string req = "GET /metrics HTTP/1.0\r\nHost: " + address + "\r\n\r\n";
  std::string resp;
  size_t sent = 0;
  bool ok = true;
  while (ok && sent < req.size()) {
    ssize_t n = send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && errno == EAGAIN) {
      pollfd p{fd, POLLOUT, 0};
      ok = poll(&p, 1, remaining_ms(deadline)) == 1;
    } else {
      ok = false;
    }
  }
  char buf[16384];
  while (ok) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, remaining_ms(deadline)) != 1) {
      ok = false;
      break;
    }
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n == 0) break;
    if (n < 0 && errno != EAGAIN && errno != EINTR) ok = false;
    if (n > 0) resp.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  if (!ok) return failed(fmt::format("scrape of {} timed out or failed", address));
  const auto body = resp.find("\r\n\r\n");
  if (!resp.starts_with("HTTP/") || body == std::string::npos) {
    return failed(fmt::format("{} did not answer HTTP", address));
  }
  const auto sp = resp.find(' ');
  if (resp.compare(sp + 1, 3, "200") != 0) {
    return failed(fmt::format("{}: {}", address, resp.substr(0, resp.find('\r'))));
  }
  return resp.substr(body + 4);
}

std::vector<Sample> parse_text_format(const std::string& text) {
  std::vector<Sample> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty() || line[0] == '#') continue;
    Sample s;
    size_t i = line.find_first_of("{ ");
    if (i == std::string::npos) continue;
    s.name = line.substr(0, i);
    if (line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        const size_t eq = line.find('=', i);
        if (eq == std::string::npos || eq + 1 >= line.size() || line[eq + 1] != '"') break;
        std::string key = line.substr(i, eq - i), val;
        size_t j = eq + 2;
        for (; j < line.size() && line[j] != '"'; ++j) {
          if (line[j] == '\\' && j + 1 < line.size()) {
            ++j;
            val.push_back(line[j] == 'n' ? '\n' : line[j]);
          } else {
            val.push_back(line[j]);
          }
        }
        s.labels.emplace(std::move(key), std::move(val));
        i = j + 1;
        if (i < line.size() && line[i] == ',') ++i;
      }
      ++i;  // past '}'
    }
    while (i < line.size() && line[i] == ' ') ++i;
    const char* start = line.c_str() + i;
    char* stop = nullptr;
    s.value = std::strtod(start, &stop);  // also NaN, +Inf
    if (stop == start) continue;
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace gcfs::health
