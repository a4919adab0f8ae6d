#include "fusefs/ops/root.hpp"

#include <linux/fs.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "fusefs/ops/dir_buffer.hpp"

namespace gcfs::fusefs::root {

Result<EntryOut> lookup(Filesystem& fs, const char* name) {
  auto ns = fs.store().find_namespace(name);
  if (!ns) {
    if (ns.code() == Errc::not_found || ns.code() == Errc::invalid) return negative_entry(fs);
    return ns.error();
  }
  GCFS_TRY_ASSIGN(Attr attr, fs.store().getattr(ns->id, kRootIno));
  return make_entry(fs, ns->id, attr);
}

Result<EntryOut> mkdir(const Request& rq, const char* name, mode_t mode) {
  Filesystem& fs = rq.fs;
  if (!valid_namespace_name(name)) {
    spdlog::warn(
        "mkdir of namespace '{}' refused: names are 1-64 printable characters, "
        "no '/', not '.' or '..'",
        name);
    return Error(Errc::invalid, "");
  }
  GCFS_TRY_ASSIGN(NsInfo ns, fs.store().create_namespace(name, mode & 07777, rq.creds()));
  spdlog::info("namespace '{}' created (id {})", name, ns.id);
  GCFS_TRY_ASSIGN(Attr attr, fs.store().getattr(ns.id, kRootIno));
  return make_entry(fs, ns.id, attr);
}

Status rmdir(Filesystem& fs, const char* name) {
  GCFS_TRY_ASSIGN(NsInfo ns, fs.store().find_namespace(name));
  // rmdir(2) semantics: only an empty namespace goes; gocachectl drops full ones.
  bool empty = true;
  GCFS_TRY(fs.store().readdir(ns.id, kRootIno, 0, [&](const DirEntry&) {
    empty = false;
    return false;
  }));
  if (!empty) return Error(Errc::not_empty, "");
  GCFS_TRY(fs.store().drop_namespace(name));
  spdlog::info("namespace '{}' removed", name);
  return Status::ok();
}

Status rename(Filesystem& fs, const char* name, const char* newname, unsigned int flags) {
  if (flags & ~RENAME_NOREPLACE) return Error(Errc::invalid, "");
  if (!valid_namespace_name(newname)) return Error(Errc::invalid, "");
  if (std::strcmp(name, newname) == 0) {
    if (fs.store().find_namespace(name)) return Status::ok();
    return Error(Errc::not_found, "");
  }
  // Replacing a namespace would drop a whole cache behind a rename: refuse.
  if (fs.store().find_namespace(newname)) return Error(Errc::exists, "");
  GCFS_TRY(fs.store().rename_namespace(name, newname));
  spdlog::info("namespace '{}' renamed to '{}'", name, newname);
  return Status::ok();
}

Result<DirOut> readdir(const Request& rq, size_t size, off_t off, bool plus) {
  Filesystem& fs = rq.fs;
  GCFS_TRY_ASSIGN(std::vector<NsInfo> list, fs.store().list_namespaces());
  std::sort(list.begin(), list.end(), [](const NsInfo& a, const NsInfo& b) { return a.id < b.id; });
  DirBuffer buf(rq.req, fs, size, plus);
  if (!buf.add_dots(off, FUSE_ROOT_ID)) return buf.take();
  for (const NsInfo& ns : list) {
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
  return buf.take();
}

}  // namespace gcfs::fusefs::root
