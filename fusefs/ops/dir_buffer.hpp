// Fills a readdir / readdirplus reply (DirOut). Entries added to a
// readdirplus reply take a kernel reference (as an entry reply does), except
// . and ..; each is held by a guard in the DirOut until the reply succeeds.
#pragma once

#include <fuse_lowlevel.h>

#include <string_view>

#include "fusefs/filesystem.hpp"
#include "fusefs/ops/reply.hpp"

namespace gcfs::fusefs {

class DirBuffer {
 public:
  // `req` may be null (a test): the entry sizes do not depend on it.
  DirBuffer(fuse_req_t req, Filesystem& fs, size_t size, bool plus);
  // Adds "." (offset 1) and ".." (offset 2) as far as `off` has not passed
  // them. Returns false when the buffer is full.
  bool add_dots(off_t off, fuse_ino_t self);
  // Returns false (and adds nothing) when the entry does not fit.
  bool add(std::string_view name, NsId ns, const Attr& attr, uint64_t cookie);
  // The reply, with the references taken.
  DirOut take() { return std::move(out_); }

 private:
  bool add_raw(std::string_view name, const struct stat& st, uint64_t next_off,
               const fuse_entry_param* e);
  fuse_req_t req_;
  Filesystem& fs_;
  bool plus_;
  DirOut out_;
};

}  // namespace gcfs::fusefs
