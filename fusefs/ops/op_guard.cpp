#include "fusefs/op_guard.hpp"

#include <spdlog/spdlog.h>

#include <cerrno>

#include "fusefs/guarded.hpp"

namespace gcfs::fusefs {

namespace {
thread_local bool replied = false;
}  // namespace

void reset_replied() noexcept { replied = false; }
void note_replied() noexcept { replied = true; }

void op_failed(Op op, fuse_req_t req, const char* why) noexcept {
  const bool answered = replied;
  guarded("fuse request", [&] {
    spdlog::error("fuse {}: unexpected error: {}; {}", op_name(op), why,
                  answered ? "it had replied already" : "replying EIO");
  });
  if (answered) return;
  if (op == Op::forget || op == Op::forget_multi) {
    fuse_reply_none(req);
  } else {
    fuse_reply_err(req, EIO);
  }
}

}  // namespace gcfs::fusefs

// Link-time wrappers (-Wl,--wrap=..., fusefs/meson.build) of the reply
// functions op_stats.cpp does not wrap already; those note the reply too.
extern "C" {
int __real_fuse_reply_attr(fuse_req_t req, const struct stat* attr, double attr_timeout);
int __real_fuse_reply_create(fuse_req_t req, const fuse_entry_param* e, const fuse_file_info* fi);
int __real_fuse_reply_entry(fuse_req_t req, const fuse_entry_param* e);
void __real_fuse_reply_none(fuse_req_t req);
int __real_fuse_reply_open(fuse_req_t req, const fuse_file_info* fi);
int __real_fuse_reply_readlink(fuse_req_t req, const char* link);
int __real_fuse_reply_statfs(fuse_req_t req, const struct statvfs* stbuf);

int __wrap_fuse_reply_attr(fuse_req_t req, const struct stat* attr, double attr_timeout) {
  gcfs::fusefs::note_replied();
  return __real_fuse_reply_attr(req, attr, attr_timeout);
}
int __wrap_fuse_reply_create(fuse_req_t req, const fuse_entry_param* e, const fuse_file_info* fi) {
  gcfs::fusefs::note_replied();
  return __real_fuse_reply_create(req, e, fi);
}
int __wrap_fuse_reply_entry(fuse_req_t req, const fuse_entry_param* e) {
  gcfs::fusefs::note_replied();
  return __real_fuse_reply_entry(req, e);
}
void __wrap_fuse_reply_none(fuse_req_t req) {
  gcfs::fusefs::note_replied();
  __real_fuse_reply_none(req);
}
int __wrap_fuse_reply_open(fuse_req_t req, const fuse_file_info* fi) {
  gcfs::fusefs::note_replied();
  return __real_fuse_reply_open(req, fi);
}
int __wrap_fuse_reply_readlink(fuse_req_t req, const char* link) {
  gcfs::fusefs::note_replied();
  return __real_fuse_reply_readlink(req, link);
}
int __wrap_fuse_reply_statfs(fuse_req_t req, const struct statvfs* stbuf) {
  gcfs::fusefs::note_replied();
  return __real_fuse_reply_statfs(req, stbuf);
}
}
