#include "fusefs/ops/dir_buffer.hpp"

#include <sys/stat.h>

#include <cstring>

namespace gcfs::fusefs {

DirBuffer::DirBuffer(fuse_req_t req, Filesystem& fs, size_t size, bool plus)
    : req_(req), fs_(fs), plus_(plus) {
  out_.buf.assign(size, '\0');
}

bool DirBuffer::add_raw(std::string_view name, const struct stat& st, uint64_t next_off,
                        const fuse_entry_param* e) {
  std::string n(name);
  size_t rest = out_.buf.size() - out_.used;
  char* at = out_.buf.data() + out_.used;
  size_t need =
      plus_ ? fuse_add_direntry_plus(req_, at, rest, n.c_str(), e, static_cast<off_t>(next_off))
            : fuse_add_direntry(req_, at, rest, n.c_str(), &st, static_cast<off_t>(next_off));
  if (need > rest) return false;
  out_.used += need;
  return true;
}

bool DirBuffer::add_dots(off_t off, fuse_ino_t self) {
  struct stat st;
  std::memset(&st, 0, sizeof(st));
  st.st_mode = S_IFDIR;
  fuse_entry_param e;
  std::memset(&e, 0, sizeof(e));
  e.attr.st_mode = S_IFDIR;
  // e.ino stays 0: the kernel instantiates nothing for . and .., and takes
  // no reference.
  // The parent's number is not known here; tools take it from a lookup.
  st.st_ino = e.attr.st_ino = self;
  if (off < 1 && !add_raw(".", st, 1, &e)) return false;
  if (off < 2 && !add_raw("..", st, 2, &e)) return false;
  return true;
}

bool DirBuffer::add(std::string_view name, NsId ns, const Attr& attr, uint64_t cookie) {
  fuse_entry_param e;
  std::memset(&e, 0, sizeof(e));
  if (!plus_) {
    fs_.fill_stat(ns, attr, &e.attr);
    return add_raw(name, e.attr, cookie, nullptr);
  }
  // Take the reference only once the entry is known to fit.
  e.ino = fs_.inos().to_fuse(ns, attr.ino);
  e.attr_timeout = e.entry_timeout = fs_.options().cache_timeout;
  fs_.fill_stat(ns, attr, &e.attr);
  if (!add_raw(name, e.attr, cookie, &e)) return false;
  fs_.nodes().ref(e.ino, NodeId{ns, attr.ino});
  out_.refs.emplace_back(fs_, e.ino);
  return true;
}

}  // namespace gcfs::fusefs
