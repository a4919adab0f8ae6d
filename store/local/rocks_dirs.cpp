// Directory operations: lookup, mknode, readlink, unlink, rmdir, readdir.
// (rename lives in rocks_rename.cpp.) A dentry is `D` + parent + cookie +
// name -> child ino + type; directories' nlink is 2 + subdirectories.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <climits>

#include "store/codec/chunk.hpp"
#include "store/local/keys.hpp"
#include "store/local/rocks_store.hpp"

namespace gcfs {

namespace {

std::string dentry_key(Ino parent, std::string_view name) {
  return keys::dentry(parent, keys::dentry_cookie(name), name);
}

}  // namespace

Result<Attr> RocksStore::lookup(NsId id, Ino parent, std::string_view name) {
  if (auto s = check_entry_name(name); !s) {
    if (s.code() == Errc::name_too_long) return s;
    return Error(Errc::not_found, "no such entry");
  }
  auto state = ns_state(id);
  if (!state) return state.status();
  NsState& ns = **state;
  SnapshotGuard snap(db_);
  rocksdb::ReadOptions ro;
  ro.snapshot = snap.get();
  rocksdb::PinnableSlice v;
  auto s = db_->Get(ro, ns.cf, dentry_key(parent, name), &v);
  if (s.IsNotFound()) return Error(Errc::not_found, "no such entry");
  if (!s.ok()) return map_error(s, "reading a directory entry");
  auto d = keys::parse_dentry_value(v.ToStringView());
  if (!d) return Error(Errc::corrupt, fmt::format("entry {} of inode {} garbled", name, parent));
  auto rec = read_inode(ns, snap.get(), d->ino);
  if (!rec) {
    if (rec.code() != Errc::not_found) return rec.error();
    spdlog::error("namespace {}: entry {} of inode {} names missing inode {}", id, name, parent,
                  d->ino);
    return Error(Errc::corrupt, fmt::format("entry {} names a missing inode", name));
  }
  return rec->to_attr(d->ino);
}

Result<Attr> RocksStore::mknode(NsId id, Ino parent, std::string_view name, uint32_t mode,
                                Credentials owner, Timespec now, std::string_view target,
                                uint64_t rdev) {
  if (auto s = check_entry_name(name); !s) return s;
  const uint32_t type = mode & S_IFMT;
  const bool device = type == S_IFCHR || type == S_IFBLK;
  if (type != S_IFREG && type != S_IFDIR && type != S_IFLNK && type != S_IFIFO &&
      type != S_IFSOCK && !device) {
    return Error(Errc::invalid, "unknown file type");
  }
  if (rdev != 0 && !device) return Error(Errc::invalid, "a device number for no device");
  if (type == S_IFLNK) {
    if (target.empty()) return Error(Errc::invalid, "empty symlink target");
    if (target.size() >= PATH_MAX) return Error(Errc::name_too_long, "symlink target too long");
  }
  return mutate(id, [&](Txn& t, NsState& ns) -> Result<Attr> {
    auto dir = t.dir(parent);
    if (!dir) return dir.status();
    const std::string dkey = dentry_key(parent, name);
    auto existing = t.get(dkey);
    if (!existing) return existing.status();
    if (existing->has_value()) return Error(Errc::exists, fmt::format("{} exists", name));
    const Ino ino = ns.next_ino;
    if (ino > kMaxIno) return Error(Errc::no_space, "inode numbers exhausted");

    InodeRecord rec;
    rec.mode = type | (mode & 07777);
    rec.nlink = type == S_IFDIR ? 2 : 1;
    rec.uid = owner.uid;
    rec.gid = owner.gid;
    rec.rdev = rdev;
    rec.atime = rec.mtime = rec.ctime = now;
    if (type == S_IFDIR) {
      rec.parent = parent;
      (*dir)->nlink++;
      t.deltas.dirs = 1;
    } else if (type == S_IFLNK) {
      rec.size = target.size();
      rec.data = encode_chunk(ino, 0, target);
      t.data_bytes = rec.data.size();
      t.deltas.symlinks = 1;
    } else if (type != S_IFREG) {
      t.deltas.files = 1;  // a special file: counted with files, no data, not in the LRU
    } else {
      t.deltas.files = 1;
      // A new file is as recently used as can be.
      lru_insert(t, ino, parent, name, now.sec * 1'000'000'000 + now.nsec);
    }
    (*dir)->mtime = (*dir)->ctime = now;
    t.mark(parent);
    const Attr attr = rec.to_attr(ino);
    t.put_new(ino, std::move(rec));
    t.batch().Put(ns.cf, dkey, keys::dentry_value(ino, type));
    t.deltas.put_kv(dkey.size(), kDentryValueSize);
    std::string next;
    keys::put_u64be(next, ino + 1);
    t.batch().Put(ns.cf, keys::kNextIno, next);
    if (auto s = t.write("creating an entry"); !s) return s;
    ns.next_ino = ino + 1;
    return attr;
  });
}

Result<std::string> RocksStore::readlink(NsId id, Ino ino) {
  auto state = ns_state(id);
  if (!state) return state.status();
  auto rec = read_inode(**state, nullptr, ino);
  if (!rec) return rec.error();
  if (!rec->is_symlink()) return Error(Errc::invalid, "not a symlink");
  auto target = decode_chunk(rec->data, ino, 0);
  if (!target) spdlog::error("namespace {}: {}", id, target.error().message());
  return target;
}

Status drop_link(Txn& t, Ino ino, InodeRecord& rec, Timespec now) {
  if (rec.nlink > 0) rec.nlink--;
  rec.ctime = now;
  t.mark(ino);
  if (rec.nlink == 0) {
    t.batch().Put(t.cf(), keys::orphan(ino), rocksdb::Slice());
    t.deltas.put_kv(keys::orphan(ino).size(), 0);
    if (rec.is_symlink()) {
      t.deltas.symlinks -= 1;
    } else {
      t.deltas.files -= 1;
    }
    t.deltas.orphans += 1;
    if (rec.is_reg()) return lru_remove(t, ino);
  }
  return Status::ok();
}

Result<Ino> RocksStore::unlink(NsId id, Ino parent, std::string_view name, Timespec now) {
  if (auto s = check_entry_name(name); !s) return s;
  return mutate(id, [&](Txn& t, NsState& ns) -> Result<Ino> {
    auto dir = t.dir(parent);
    if (!dir) return dir.status();
    const std::string dkey = dentry_key(parent, name);
    auto d = t.dentry(dkey);
    if (!d) return d.status();
    if (S_ISDIR(d->type)) return Error(Errc::is_dir, fmt::format("{} is a directory", name));
    auto child = t.inode(d->ino);
    if (!child) return child.status();
    if (auto s = forget_name(t, d->ino, **child, {parent, std::string(name)}); !s) return s;
    if (auto s = drop_link(t, d->ino, **child, now); !s) return s;
    (*dir)->mtime = (*dir)->ctime = now;
    t.mark(parent);
    t.batch().Delete(ns.cf, dkey);
    t.deltas.del_kv(dkey.size(), kDentryValueSize);
    if (auto s = t.write("unlinking"); !s) return s;
    return d->ino;
  });
}

Result<UnlinkIf> RocksStore::unlink_if_unused(NsId id, Ino parent, std::string_view name, Ino ino,
                                              int64_t used_before_ns, Timespec now,
                                              std::vector<EntryName>* other_names) {
  if (auto s = check_entry_name(name); !s) return s;
  return mutate(id, [&](Txn& t, NsState& ns) -> Result<UnlinkIf> {
    if (ns.retired) return Error(Errc::not_found, fmt::format("namespace {} was swapped out", id));
    auto dir = t.dir(parent);
    if (!dir) {
      if (dir.code() == Errc::not_found || dir.code() == Errc::not_dir) return UnlinkIf::changed;
      return dir.status();
    }
    const std::string dkey = dentry_key(parent, name);
    auto d = t.find_dentry(dkey);
    if (!d) return d.status();
    if (!d->has_value() || (*d)->ino != ino || S_ISDIR((*d)->type)) return UnlinkIf::changed;
    auto used = lru_last_use(t, ino);
    if (!used) return used.status();
    if (used->has_value() && **used >= used_before_ns) return UnlinkIf::used;
    auto child = t.inode(ino);
    if (!child) return child.status();
    InodeRecord& rec = **child;
    // Eviction frees the file: its other names (hard links) go too.
    if (rec.nlink >= 2) {
      auto names = link_names(t, ino);
      if (!names) return names.status();
      for (const EntryName& n : *names) {
        t.batch().Delete(ns.cf, keys::link_name(ino, n.parent, n.name));
        t.deltas.del_kv(keys::link_name(ino, n.parent, n.name).size(), 0);
        if (n.parent == parent && n.name == name) continue;
        auto other = t.dir(n.parent);
        if (!other) return other.status();
        const std::string okey = dentry_key(n.parent, n.name);
        t.batch().Delete(ns.cf, okey);
        t.deltas.del_kv(okey.size(), kDentryValueSize);
        (*other)->mtime = (*other)->ctime = now;
        t.mark(n.parent);
        if (other_names != nullptr) other_names->push_back(n);
      }
      rec.nlink = 1;
    }
    if (auto s = drop_link(t, ino, rec, now); !s) return s;
    (*dir)->mtime = (*dir)->ctime = now;
    t.mark(parent);
    t.batch().Delete(ns.cf, dkey);
    t.deltas.del_kv(dkey.size(), kDentryValueSize);
    if (auto s = t.write("evicting"); !s) return s;
    return UnlinkIf::unlinked;
  });
}

Result<bool> dir_has_entries(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, Ino dir) {
  const std::string prefix = keys::dentry_prefix(dir);
  const std::string end = keys::prefix_end(prefix);
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, cf));
  it->Seek(prefix);
  if (it->Valid()) return true;
  if (!it->status().ok()) return Error(Errc::io, it->status().ToString());
  return false;
}

Status RocksStore::rmdir(NsId id, Ino parent, std::string_view name, Timespec now) {
  if (auto s = check_entry_name(name); !s) return s;
  return mutate(id, [&](Txn& t, NsState& ns) -> Status {
    auto dir = t.dir(parent);
    if (!dir) return dir.status();
    const std::string dkey = dentry_key(parent, name);
    auto d = t.dentry(dkey);
    if (!d) return d.status();
    if (!S_ISDIR(d->type)) return Error(Errc::not_dir, fmt::format("{} is not a directory", name));
    auto full = dir_has_entries(db_, ns.cf, d->ino);
    if (!full) return full.status();
    if (*full) return Error(Errc::not_empty, fmt::format("{} is not empty", name));
    if (auto s = t.erase(d->ino); !s) return s;
    t.deltas.dirs = -1;
    if ((*dir)->nlink > 2) (*dir)->nlink--;
    (*dir)->mtime = (*dir)->ctime = now;
    t.mark(parent);
    t.batch().Delete(ns.cf, dkey);
    t.deltas.del_kv(dkey.size(), kDentryValueSize);
    return t.write("removing a directory");
  });
}

Status RocksStore::readdir(NsId id, Ino dir, uint64_t from_cookie,
                           const std::function<bool(const DirEntry&)>& emit) {
  auto state = ns_state(id);
  if (!state) return state.status();
  NsState& ns = **state;
  SnapshotGuard snap(db_);
  auto rec = read_inode(ns, snap.get(), dir);
  if (!rec) return rec.status();
  if (!rec->is_dir()) return Error(Errc::not_dir, "not a directory");
  const std::string end = keys::prefix_end(keys::dentry_prefix(dir));
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions ro;
  ro.snapshot = snap.get();
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, ns.cf));
  DirEntry e;
  for (it->Seek(keys::dentry_from(dir, from_cookie)); it->Valid(); it->Next()) {
    auto k = keys::parse_dentry(it->key().ToStringView());
    auto v = keys::parse_dentry_value(it->value().ToStringView());
    if (!k || !v) return Error(Errc::corrupt, fmt::format("garbled entry in directory {}", dir));
    e.name.assign(k->name);
    e.ino = v->ino;
    e.mode = v->type;
    e.cookie = k->cookie;
    if (!emit(e)) return Status::ok();
  }
  if (!it->status().ok()) return map_error(it->status(), "listing a directory");
  return Status::ok();
}

}  // namespace gcfs
