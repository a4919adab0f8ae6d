// The dispatcher: every FUSE request runs through Dispatch<op, Fn>::call,
// as libfuse's passthrough_hp does it:
//
//   1. the operation Fn does the work and returns its result; it never
//      replies, so when it returns, every lock it took is released;
//   2. an exception it throws is logged and becomes EIO (an exception must
//      not unwind into libfuse, C code: std::terminate would end the daemon
//      and every build using the mount);
//   3. exactly one reply goes out: the error's errno, or the value; a guard
//      in the value (reply.hpp) is committed when the kernel took the reply
//      and gives its reference or handle back otherwise;
//   4. the request's count, latency, errno and bytes go to op_stats (the
//      calling thread's shard: no lock).
#pragma once

#include <fuse_lowlevel.h>

#include <cstdint>
#include <ctime>
#include <exception>
#include <string>

#include "fusefs/ops/op_stats.hpp"
#include "fusefs/ops/ops.hpp"

namespace gcfs::fusefs {

// What a reply said, for op_stats.
struct Replied {
  int err = 0;
  uint64_t bytes = 0;
};

// One reply per result type. noexcept: once a reply went out, nothing may
// send another.
Replied reply(fuse_req_t req, const Status& s) noexcept;
Replied reply(fuse_req_t req, Result<EntryOut>& r) noexcept;
Replied reply(fuse_req_t req, Result<CreateOut>& r) noexcept;
Replied reply(fuse_req_t req, Result<OpenOut>& r) noexcept;
Replied reply(fuse_req_t req, Result<AttrOut>& r) noexcept;
Replied reply(fuse_req_t req, Result<ReadOut>& r) noexcept;
Replied reply(fuse_req_t req, Result<size_t>& r) noexcept;
Replied reply(fuse_req_t req, Result<std::string>& r) noexcept;
Replied reply(fuse_req_t req, Result<DirOut>& r) noexcept;
Replied reply(fuse_req_t req, Result<StatfsOut>& r) noexcept;
Replied reply(fuse_req_t req, Result<XattrOut>& r) noexcept;
Replied reply(fuse_req_t req, const NoReply&) noexcept;

// An operation threw: logs it and replies EIO (nothing to forget and
// forget_multi).
Replied reply_failed(Op op, fuse_req_t req, const char* why) noexcept;

inline uint64_t monotonic_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

template <Op op, auto Fn>
struct Dispatch;

template <Op op, class R, class... A, R (*Fn)(const Request&, A...)>
struct Dispatch<op, Fn> {
  static void call(fuse_req_t req, A... args) {
    const uint64_t t0 = monotonic_ns();
    Replied out;
    try {
      R result = Fn(Request{*static_cast<Filesystem*>(fuse_req_userdata(req)), req}, args...);
      out = reply(req, result);
    } catch (const std::exception& e) {
      out = reply_failed(op, req, e.what());
    } catch (...) {
      out = reply_failed(op, req, "unknown exception");
    }
    record_op(op, monotonic_ns() - t0, out.err, out.bytes);
  }
};

}  // namespace gcfs::fusefs
