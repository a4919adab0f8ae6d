// Fills a readdir / readdirplus reply buffer. Entries added to a readdirplus
// reply take a kernel reference (as an entry reply does), except . and ..
#pragma once

#include <fuse_lowlevel.h>

#include <string>
#include <string_view>

#include "fusefs/filesystem.hpp"

namespace gcfs::fusefs {

class DirBuffer {
 public:
  DirBuffer(fuse_req_t req, Filesystem& fs, size_t size, bool plus);
  // Adds "." (offset 1) and ".." (offset 2) as far as `off` has not passed
  // them. Returns false when the buffer is full.
  bool add_dots(off_t off, fuse_ino_t self);
  // Returns false (and adds nothing) when the entry does not fit.
  bool add(std::string_view name, NsId ns, const Attr& attr, uint64_t cookie);
  void reply();

 private:
  bool add_raw(std::string_view name, const struct stat& st, uint64_t next_off,
               const fuse_entry_param* e);
  fuse_req_t req_;
  Filesystem& fs_;
  bool plus_;
  std::string buf_;
  size_t used_ = 0;
};

}  // namespace gcfs::fusefs
