// Extended attributes: `X` + ino + name -> value records of the namespace's
// family, written in one batch with the inode (its xattrs flag and ctime),
// so a crash leaves an attribute change either done or not. Snapshots,
// swaps and archives carry them as they carry every record of the family.
#include <fmt/format.h>

#include "store/local/keys.hpp"
#include "store/local/rocks_store.hpp"

namespace gcfs {

namespace {

Status check_name(std::string_view name) {
  if (name.size() > kMaxXattrNameLen) {
    return Error(Errc::attr_too_big, "attribute name over 255 bytes");
  }
  if (name.empty() || name.find('\0') != std::string_view::npos) {
    return Error(Errc::invalid, "an empty attribute name or one with a NUL byte");
  }
  // Another namespace (system.*: POSIX ACLs) is not supported, as the
  // kernel says of a prefix it does not know.
  if (!valid_xattr_name(name)) return Error(Errc::not_supported, "");
  return Status::ok();
}

// What an attribute costs against the per-inode budget: its name with the
// NUL that ends it in a list (so a full list still fits the kernel's 64 KiB
// list buffer) and its value.
size_t budget(size_t name_size, size_t value_size) { return name_size + 1 + value_size; }

}  // namespace

Result<std::string> RocksStore::getxattr(NsId id, Ino ino, std::string_view name) {
  if (auto s = check_name(name); !s) return s.error();
  auto state = ns_state(id);
  if (!state) return state.status();
  // One read for the inode (the kernel asks for security.capability before
  // writes): only an inode with the flag has records to look up.
  auto rec = read_inode(**state, nullptr, ino);
  if (!rec) return rec.error();
  if (!rec->xattrs) return Error(Errc::no_attr, "");
  std::string v;
  auto s = db_->Get(rocksdb::ReadOptions(), (*state)->cf, keys::xattr(ino, name), &v);
  if (s.IsNotFound()) return Error(Errc::no_attr, "");
  if (!s.ok()) return map_error(s, "reading an extended attribute");
  return v;
}

Result<std::vector<std::string>> RocksStore::listxattr(NsId id, Ino ino) {
  auto state = ns_state(id);
  if (!state) return state.status();
  NsState& ns = **state;
  // The inode and its records at one snapshot: a list never mixes versions.
  SnapshotGuard snap(db_);
  auto rec = read_inode(ns, snap.get(), ino);
  if (!rec) return rec.error();
  std::vector<std::string> names;
  if (!rec->xattrs) return names;
  const std::string prefix = keys::xattr_prefix(ino);
  const std::string end = keys::prefix_end(prefix);
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions ro;
  ro.snapshot = snap.get();
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, ns.cf));
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    auto k = keys::parse_xattr_key(it->key().ToStringView());
    if (k && k->ino == ino) names.emplace_back(k->name);
  }
  if (!it->status().ok()) return map_error(it->status(), "listing extended attributes");
  return names;
}

Status RocksStore::setxattr(NsId id, Ino ino, std::string_view name, std::string_view value,
                            XattrMode mode, Timespec now) {
  if (auto s = check_name(name); !s) return s;
  if (value.size() > kMaxXattrValueLen) {
    return Error(Errc::attr_too_big, "attribute value over 4096 bytes");
  }
  return mutate(id, [&](Txn& t, NsState& ns) -> Status {
    auto got = t.inode(ino);
    if (!got) return got.status();
    InodeRecord& rec = **got;
    const std::string key = keys::xattr(ino, name);
    // The inode's other attributes, for the per-inode limit.
    size_t total = 0;
    std::optional<size_t> old;
    if (rec.xattrs) {
      auto s = t.scan(keys::xattr_prefix(ino), [&](std::string_view k, std::string_view v) {
        if (k == key) {
          old = v.size();
        } else {
          total += budget(k.size() - 9, v.size());
        }
      });
      if (!s) return s;
    }
    if (mode.create && old) return Error(Errc::exists, "");
    if (mode.replace && !old) return Error(Errc::no_attr, "");
    if (total + budget(name.size(), value.size()) > kMaxXattrBytesPerInode) {
      return Error(Errc::no_space, "");  // ENOSPC, as ext4 says when its block is full
    }
    if (old) t.deltas.del_kv(key.size(), *old);
    t.batch().Put(ns.cf, key, value);
    t.deltas.put_kv(key.size(), value.size());
    rec.xattrs = true;
    rec.ctime = now;
    t.mark(ino);
    return t.write("setting an extended attribute");
  });
}

Status RocksStore::removexattr(NsId id, Ino ino, std::string_view name, Timespec now) {
  if (auto s = check_name(name); !s) return s;
  return mutate(id, [&](Txn& t, NsState& ns) -> Status {
    auto got = t.inode(ino);
    if (!got) return got.status();
    InodeRecord& rec = **got;
    if (!rec.xattrs) return Error(Errc::no_attr, "");
    const std::string key = keys::xattr(ino, name);
    size_t others = 0;
    std::optional<size_t> old;
    auto s = t.scan(keys::xattr_prefix(ino), [&](std::string_view k, std::string_view v) {
      if (k == key) {
        old = v.size();
      } else {
        ++others;
      }
    });
    if (!s) return s;
    if (!old) return Error(Errc::no_attr, "");
    t.batch().Delete(ns.cf, key);
    t.deltas.del_kv(key.size(), *old);
    rec.xattrs = others > 0;
    rec.ctime = now;
    t.mark(ino);
    return t.write("removing an extended attribute");
  });
}

}  // namespace gcfs
