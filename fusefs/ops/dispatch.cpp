#include "fusefs/ops/dispatch.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "fusefs/errno_map.hpp"
#include "store/guarded.hpp"

namespace gcfs::fusefs {

Credentials Request::creds() const {
  if (req == nullptr) return {};
  const fuse_ctx* ctx = fuse_req_ctx(req);
  return {ctx->uid, ctx->gid};
}

// ---- guards (reply.hpp) -------------------------------------------------------

void EntryRef::give_back() noexcept {
  if (fs_ == nullptr) return;
  Filesystem* fs = std::exchange(fs_, nullptr);
  guarded("giving back a kernel reference", [&] { fs->forget(fino_, 1); });
}

void HandleRef::give_back() noexcept {
  if (fs_ == nullptr) return;
  Filesystem* fs = std::exchange(fs_, nullptr);
  guarded("closing an unanswered handle", [&] { fs->close_handle(h_); });
}

EntryOut make_entry(Filesystem& fs, NsId ns, const Attr& attr, bool action, bool fetched) {
  EntryOut out;
  Node* node = fs.make_entry(ns, attr, &out.e);
  out.ref = EntryRef(fs, out.e.ino);
  if (action) node->action.store(true, std::memory_order_relaxed);
  if (fetched) node->fetched.store(true, std::memory_order_relaxed);
  return out;
}

EntryOut negative_entry(Filesystem& fs, std::string_view name) {
  EntryOut out;
  std::memset(&out.e, 0, sizeof(out.e));
  out.e.entry_timeout = fs.options().cache_timeout;  // the kernel caches the miss
  if (fs.tier() && is_entry_name(name)) {
    out.e.entry_timeout = std::min(out.e.entry_timeout, fs.tier()->negative_timeout());
  }
  return out;
}

AttrOut make_attr(Filesystem& fs, NsId ns, const Attr& attr) {
  AttrOut out;
  fs.fill_stat(ns, attr, &out.st);
  out.timeout = fs.options().cache_timeout;
  return out;
}

// ---- replies --------------------------------------------------------------------

namespace {

Replied reply_error(fuse_req_t req, const Error& e) noexcept {
  int err = EIO;
  guarded("mapping an error", [&] { err = to_errno(e); });
  fuse_reply_err(req, err);
  return {err, 0};
}

}  // namespace

Replied reply(fuse_req_t req, const Status& s) noexcept {
  if (!s) return reply_error(req, s.error());
  fuse_reply_err(req, 0);
  return {};
}

Replied reply(fuse_req_t req, Result<EntryOut>& r) noexcept {
  if (!r) return reply_error(req, r.error());
  // Not taken (an interrupted request): the guard gives the reference back.
  if (fuse_reply_entry(req, &r->e) == 0) r->ref.commit();
  return {};
}

Replied reply(fuse_req_t req, Result<CreateOut>& r) noexcept {
  if (!r) return reply_error(req, r.error());
  if (fuse_reply_create(req, &r->entry.e, r->fi) == 0) {
    r->entry.ref.commit();
    r->handle.commit();
  }
  return {};
}

Replied reply(fuse_req_t req, Result<OpenOut>& r) noexcept {
  if (!r) return reply_error(req, r.error());
  if (fuse_reply_open(req, r->fi) == 0) r->handle.commit();
  return {};
}

Replied reply(fuse_req_t req, Result<AttrOut>& r) noexcept {
  if (!r) return reply_error(req, r.error());
  fuse_reply_attr(req, &r->st, r->timeout);
  return {};
}

Replied reply(fuse_req_t req, Result<ReadOut>& r) noexcept {
  if (!r) return reply_error(req, r.error());
  fuse_reply_buf(req, r->data, r->size);
  return {0, r->size};
}

Replied reply(fuse_req_t req, Result<XattrOut>& r) noexcept {
  if (!r) return reply_error(req, r.error());
  if (r->asked == 0) {
    fuse_reply_xattr(req, r->bytes.size());
    return {0, 0};
  }
  if (r->bytes.size() > r->asked) {
    fuse_reply_err(req, ERANGE);
    return {ERANGE, 0};
  }
  fuse_reply_buf(req, r->bytes.data(), r->bytes.size());
  return {0, r->bytes.size()};
}

Replied reply(fuse_req_t req, Result<size_t>& r) noexcept {
  if (!r) return reply_error(req, r.error());
  fuse_reply_write(req, *r);
  return {0, *r};
}

Replied reply(fuse_req_t req, Result<std::string>& r) noexcept {
  if (!r) return reply_error(req, r.error());
  fuse_reply_readlink(req, r->c_str());
  return {};
}

Replied reply(fuse_req_t req, Result<DirOut>& r) noexcept {
  if (!r) return reply_error(req, r.error());
  if (fuse_reply_buf(req, r->buf.data(), r->used) == 0) {
    for (EntryRef& ref : r->refs) ref.commit();
  }
  return {0, r->used};
}

Replied reply(fuse_req_t req, Result<StatfsOut>& r) noexcept {
  if (!r) return reply_error(req, r.error());
  fuse_reply_statfs(req, &r->st);
  return {};
}

Replied reply(fuse_req_t req, const NoReply&) noexcept {
  fuse_reply_none(req);
  return {};
}

Replied reply_failed(Op op, fuse_req_t req, const char* why) noexcept {
  guarded("fuse request",
          [&] { spdlog::error("fuse {}: unexpected error: {}; replying EIO", op_name(op), why); });
  if (op == Op::forget || op == Op::forget_multi) {
    fuse_reply_none(req);
    return {};
  }
  fuse_reply_err(req, EIO);
  return {EIO, 0};
}

}  // namespace gcfs::fusefs
