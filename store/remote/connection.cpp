// hiredis connection with poll()-bounded waits: see connection.hpp.
#include "store/remote/connection.hpp"

#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace gcfs::remote {

namespace {

// Short enough that a cancelled caller (uploader close) leaves promptly.
constexpr auto kWaitSlice = std::chrono::milliseconds(50);
constexpr size_t kReadBuffer = 256 << 10;

enum class Wait { ready, timeout, cancelled, error };

Wait wait_fd(int fd, short events, Deadline deadline, const std::atomic<bool>* cancel,
             short* revents) {
  while (true) {
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) return Wait::cancelled;
    const auto now = Clock::now();
    if (now >= deadline) return Wait::timeout;
    const auto left = std::min<Clock::duration>(deadline - now, kWaitSlice);
    const int ms = static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(left).count());
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, ms);
    if (n < 0 && errno != EINTR) return Wait::error;
    if (n > 0) {
      *revents = p.revents;
      return Wait::ready;
    }
  }
}

Fault fault_of_errno(int err) {
  switch (err) {
    case ECONNREFUSED:
    case ECONNRESET:
    case ECONNABORTED:
    case EPIPE:
    case EHOSTUNREACH:
    case ENETUNREACH:
      return Fault::refused;
    case ETIMEDOUT:
      return Fault::timeout;
    default:
      return Fault::io;
  }
}

// hiredis keeps only the text of a connect error: map it back.
Fault fault_of_errstr(const char* s) {
  for (int err : {ECONNREFUSED, ECONNRESET, EHOSTUNREACH, ENETUNREACH, ETIMEDOUT}) {
    if (std::strcmp(s, std::strerror(err)) == 0) return fault_of_errno(err);
  }
  return Fault::io;
}

Failure wait_failure(Wait w, const std::string& peer, const char* what) {
  switch (w) {
    case Wait::timeout:
      return {Fault::timeout, fmt::format("{}: {} timed out", peer, what)};
    case Wait::cancelled:
      return {Fault::cancelled, fmt::format("{}: {} cancelled", peer, what)};
    default:
      return {fault_of_errno(errno), fmt::format("{}: poll: {}", peer, std::strerror(errno))};
  }
}

Reply convert(const redisReply* r) {
  Reply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = Reply::Type::string;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = Reply::Type::status;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = Reply::Type::error;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::integer;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::array;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(convert(r->element[i]));
      break;
    default:
      out.type = Reply::Type::nil;
      break;
  }
  return out;
}

}  // namespace

Connection::~Connection() { redisFree(ctx_); }

Outcome<std::unique_ptr<Connection>> Connection::open(const Address& addr, const Credentials& creds,
                                                      int db, size_t max_reply_bytes,
                                                      Deadline deadline,
                                                      const std::atomic<bool>* cancel) {
  redisContext* c = redisConnectNonBlock(addr.host.c_str(), addr.port);
  if (c == nullptr) return Failure{Fault::io, addr.str() + ": cannot allocate a context"};
  std::unique_ptr<Connection> conn(new Connection(c, addr.str(), max_reply_bytes));
  if (c->err != 0) {
    return Failure{fault_of_errstr(c->errstr),
                   fmt::format("{}: connect: {}", addr.str(), c->errstr)};
  }
  short revents = 0;
  if (Wait w = wait_fd(c->fd, POLLOUT, deadline, cancel, &revents); w != Wait::ready) {
    return wait_failure(w, conn->peer_, "connect");
  }
  int soerr = 0;
  socklen_t len = sizeof(soerr);
  if (::getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0) soerr = errno;
  if (soerr != 0) {
    return Failure{fault_of_errno(soerr),
                   fmt::format("{}: connect: {}", conn->peer_, std::strerror(soerr))};
  }

  std::vector<Command> hello;
  if (!creds.password.empty()) {
    hello.push_back(creds.user.empty() ? Command{{"AUTH", creds.password}}
                                       : Command{{"AUTH", creds.user, creds.password}});
  }
  if (db != 0) hello.push_back(Command{{"SELECT", std::to_string(db)}});
  std::vector<const Command*> ptrs;
  for (const auto& h : hello) ptrs.push_back(&h);
  auto replies = conn->exchange(ptrs, deadline, cancel);
  for (size_t i = 0; i < replies.size(); ++i) {
    const Reply& r = replies[i];
    if (r.failure) return *r.failure;
    if (r.is_error()) {
      // Never log the AUTH arguments, only the server's answer.
      const Fault f = classify_error_reply(r.str);
      return Failure{f == Fault::reply_error && hello[i].args[0] == "AUTH" ? Fault::auth : f,
                     fmt::format("{}: {}: {}", conn->peer_, hello[i].args[0], r.str)};
    }
  }
  return conn;
}

std::vector<Reply> Connection::exchange(const std::vector<const Command*>& cmds, Deadline deadline,
                                        const std::atomic<bool>* cancel) {
  std::vector<Reply> out;
  out.reserve(cmds.size());
  auto fail_rest = [&](Failure f) {
    broken_ = true;
    while (out.size() < cmds.size()) out.push_back(Reply::failed(f));
    return std::move(out);
  };
  if (broken_) return fail_rest({Fault::io, peer_ + ": connection already broken"});

  // One entry per reply to read: true for the reply of an ASKING prefix.
  std::vector<bool> is_asking;
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const Command* cmd : cmds) {
    if (cmd->asking) {
      static const char* kAsking = "ASKING";
      static const size_t kAskingLen = 6;
      if (redisAppendCommandArgv(ctx_, 1, &kAsking, &kAskingLen) != REDIS_OK) {
        return fail_rest({Fault::io, peer_ + ": cannot queue ASKING"});
      }
      is_asking.push_back(true);
    }
    argv.clear();
    lens.clear();
    for (const auto& a : cmd->args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    if (redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data()) !=
        REDIS_OK) {
      return fail_rest({Fault::io, peer_ + ": cannot queue a command"});
    }
    is_asking.push_back(false);
  }

  std::string buf;
  size_t got = 0;
  bool written = false;
  while (got < is_asking.size()) {
    void* raw = nullptr;
    if (redisGetReplyFromReader(ctx_, &raw) != REDIS_OK) {
      return fail_rest({Fault::protocol, fmt::format("{}: {}", peer_, ctx_->errstr)});
    }
    if (raw != nullptr) {
      auto* r = static_cast<redisReply*>(raw);
      if (!is_asking[got]) out.push_back(convert(r));
      freeReplyObject(r);
      ++got;
      continue;
    }
    if (!written) {
      int done = 0;
      if (redisBufferWrite(ctx_, &done) != REDIS_OK) {
        const int err = errno;
        return fail_rest({fault_of_errno(err), fmt::format("{}: write: {}", peer_, ctx_->errstr)});
      }
      written = done != 0;
    }
    short revents = 0;
    const short events = static_cast<short>(POLLIN | (written ? 0 : POLLOUT));
    if (Wait w = wait_fd(ctx_->fd, events, deadline, cancel, &revents); w != Wait::ready) {
      return fail_rest(wait_failure(w, peer_, "reply"));
    }
    if ((revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
    if (buf.empty()) buf.resize(kReadBuffer);
    const ssize_t n = ::read(ctx_->fd, buf.data(), buf.size());
    if (n == 0) return fail_rest({Fault::refused, peer_ + ": server closed the connection"});
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
      const int err = errno;
      return fail_rest(
          {fault_of_errno(err), fmt::format("{}: read: {}", peer_, std::strerror(err))});
    }
    if (redisReaderFeed(ctx_->reader, buf.data(), static_cast<size_t>(n)) != REDIS_OK) {
      return fail_rest({Fault::protocol, fmt::format("{}: {}", peer_, ctx_->reader->errstr)});
    }
    if (ctx_->reader->len - ctx_->reader->pos > max_reply_bytes_) {
      return fail_rest({Fault::protocol,
                        fmt::format("{}: a reply larger than {} bytes", peer_, max_reply_bytes_)});
    }
  }
  return out;
}

}  // namespace gcfs::remote
