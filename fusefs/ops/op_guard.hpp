// An exception thrown by a FUSE request handler must not unwind into libfuse
// (C code: std::terminate ends the daemon and every build using the mount).
// The operations table (ops_table.cpp) runs each handler through guard_op():
// a throw is logged and the request answered with EIO, exactly once: unless
// the handler had replied before throwing. To know that, every fuse_reply_*
// function the handlers call is wrapped at link time (fusefs/meson.build,
// like op_stats' wrappers) and notes the reply for the calling thread. A
// handler that starts using another reply function must add it there.
#pragma once

#include <fuse_lowlevel.h>

#include <exception>

#include "fusefs/op_stats.hpp"

namespace gcfs::fusefs {

// The current thread's request: forget any earlier reply / note one.
void reset_replied() noexcept;
void note_replied() noexcept;

// Logs, and replies EIO (nothing to forget and forget_multi) if no reply
// went out for req.
void op_failed(Op op, fuse_req_t req, const char* why) noexcept;

template <class F>
void guard_op(Op op, fuse_req_t req, F&& handler) noexcept {
  reset_replied();
  try {
    handler();
  } catch (const std::exception& e) {
    op_failed(op, req, e.what());
  } catch (...) {
    op_failed(op, req, "unknown exception");
  }
}

}  // namespace gcfs::fusefs
