#include "fusefs/root_ops.hpp"

#include <linux/fs.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "fusefs/dir_buffer.hpp"

namespace gcfs::fusefs::root {

namespace {
void reply_negative(fuse_req_t req, Filesystem& fs) {
  fuse_entry_param e;
  std::memset(&e, 0, sizeof(e));
  e.entry_timeout = fs.options().cache_timeout;
  fuse_reply_entry(req, &e);
}
}  // namespace

void lookup(fuse_req_t req, Filesystem& fs, const char* name) {
  auto ns = fs.store().find_namespace(name);
  if (!ns) {
    if (ns.code() == Errc::not_found || ns.code() == Errc::invalid) return reply_negative(req, fs);
    return reply_err(req, ns.error());
  }
  auto attr = fs.store().getattr(ns->id, kRootIno);
  if (!attr) return reply_err(req, attr.error());
  reply_entry(req, fs, ns->id, *attr);
}

void mkdir(fuse_req_t req, Filesystem& fs, const char* name, mode_t mode) {
  if (!valid_namespace_name(name)) {
    spdlog::warn(
        "mkdir of namespace '{}' refused: names are 1-64 printable characters, "
        "no '/', not '.' or '..'",
        name);
    return (void)fuse_reply_err(req, EINVAL);
  }
  auto ns = fs.store().create_namespace(name, mode & 07777, creds_of(req));
  if (!ns) return reply_err(req, ns.error());
  spdlog::info("namespace '{}' created (id {})", name, ns->id);
  auto attr = fs.store().getattr(ns->id, kRootIno);
  if (!attr) return reply_err(req, attr.error());
  reply_entry(req, fs, ns->id, *attr);
}

void rmdir(fuse_req_t req, Filesystem& fs, const char* name) {
  auto ns = fs.store().find_namespace(name);
  if (!ns) return reply_err(req, ns.error());
  // rmdir(2) semantics: only an empty namespace goes; gocachectl drops full ones.
  bool empty = true;
  Status s = fs.store().readdir(ns->id, kRootIno, 0, [&](const DirEntry&) {
    empty = false;
    return false;
  });
  if (!s) return reply_err(req, s.error());
  if (!empty) return (void)fuse_reply_err(req, ENOTEMPTY);
  if (Status d = fs.store().drop_namespace(name); !d) return reply_err(req, d.error());
  spdlog::info("namespace '{}' removed", name);
  fuse_reply_err(req, 0);
}

void rename(fuse_req_t req, Filesystem& fs, const char* name, const char* newname,
            unsigned int flags) {
  if (flags & ~RENAME_NOREPLACE) return (void)fuse_reply_err(req, EINVAL);
  if (!valid_namespace_name(newname)) return (void)fuse_reply_err(req, EINVAL);
  if (std::strcmp(name, newname) == 0) {
    auto ns = fs.store().find_namespace(name);
    return (void)fuse_reply_err(req, ns ? 0 : ENOENT);
  }
  // Replacing a namespace would drop a whole cache behind a rename: refuse.
  if (fs.store().find_namespace(newname)) return (void)fuse_reply_err(req, EEXIST);
  if (Status s = fs.store().rename_namespace(name, newname); !s) return reply_err(req, s.error());
  spdlog::info("namespace '{}' renamed to '{}'", name, newname);
  fuse_reply_err(req, 0);
}

void readdir(fuse_req_t req, Filesystem& fs, size_t size, off_t off, bool plus) {
  auto list = fs.store().list_namespaces();
  if (!list) return reply_err(req, list.error());
  std::sort(list->begin(), list->end(),
            [](const NsInfo& a, const NsInfo& b) { return a.id < b.id; });
  DirBuffer buf(req, fs, size, plus);
  if (!buf.add_dots(off, FUSE_ROOT_ID)) return buf.reply();
  for (const NsInfo& ns : *list) {
    uint64_t cookie = uint64_t{ns.id} + 2;
    if (cookie <= static_cast<uint64_t>(off)) continue;
    Attr attr;
    if (plus) {
      auto a = fs.store().getattr(ns.id, kRootIno);
      if (!a) continue;  // dropped meanwhile
      attr = *a;
    } else {
      attr.ino = kRootIno;
      attr.mode = S_IFDIR;
    }
    if (!buf.add(ns.name, ns.id, attr, cookie)) break;
  }
  buf.reply();
}

}  // namespace gcfs::fusefs::root
