// rename: moves a dentry, possibly replacing the target. Directories record
// their parent, so moving a directory into its own subtree is refused by
// walking up from the new parent.
#include <fmt/format.h>
#include <sys/stat.h>

#include <cstdio>

#include "store/local/keys.hpp"
#include "store/local/rocks_store.hpp"

namespace gcfs {

namespace {

std::string dentry_key(Ino parent, std::string_view name) {
  return keys::dentry(parent, keys::dentry_cookie(name), name);
}

// invalid when `dir` is `moved` or below it.
Status check_not_below(Txn& t, Ino dir, Ino moved) {
  for (Ino cur = dir, steps = 0;; ++steps) {
    if (cur == moved) return Error(Errc::invalid, "cannot move a directory into itself");
    if (cur == kRootIno) return Status::ok();
    auto rec = t.inode(cur);
    if (!rec) return rec.status();
    cur = (*rec)->parent;
    if (cur == 0 || steps > kMaxIno) {
      return Error(Errc::corrupt, fmt::format("directory {} has no way up to the root", dir));
    }
  }
}

void touch_dir(Txn& t, Ino ino, InodeRecord& rec, Timespec now) {
  rec.mtime = rec.ctime = now;
  t.mark(ino);
}

}  // namespace

Result<std::optional<Ino>> RocksStore::rename(NsId id, Ino parent, std::string_view name,
                                              Ino new_parent, std::string_view new_name,
                                              unsigned flags, Timespec now) {
  if (flags == RENAME_EXCHANGE) {
    if (auto s = exchange(id, parent, name, new_parent, new_name, now); !s) return s;
    return std::optional<Ino>();
  }
  if ((flags & ~static_cast<unsigned>(RENAME_NOREPLACE)) != 0) {
    return Error(Errc::invalid, fmt::format("rename flags {:#x}", flags));
  }
  if (auto s = check_entry_name(name); !s) return s;
  if (auto s = check_entry_name(new_name); !s) return s;
  return mutate(id, [&](Txn& t, NsState& ns) -> Result<std::optional<Ino>> {
    auto src_dir = t.dir(parent);
    if (!src_dir) return src_dir.status();
    auto dst_dir = t.dir(new_parent);  // same pointer when parent == new_parent
    if (!dst_dir) return dst_dir.status();
    const std::string skey = dentry_key(parent, name);
    auto src = t.dentry(skey);
    if (!src) return src.status();
    if (parent == new_parent && name == new_name) return std::optional<Ino>();
    const bool src_is_dir = S_ISDIR(src->type);

    if (src_is_dir && parent != new_parent) {
      if (auto s = check_not_below(t, new_parent, src->ino); !s) return s;
    }

    std::optional<Ino> orphaned;
    const std::string dkey = dentry_key(new_parent, new_name);
    auto dv = t.find_dentry(dkey);
    if (!dv) return dv.status();
    if (dv->has_value()) {
      const keys::DentryValue* dst = &**dv;
      if ((flags & RENAME_NOREPLACE) != 0) {
        return Error(Errc::exists, fmt::format("{} exists", new_name));
      }
      if (dst->ino == src->ino) return std::optional<Ino>();  // two names of one inode
      t.deltas.del_kv(dkey.size(), kDentryValueSize);         // replaced below
      if (S_ISDIR(dst->type)) {
        if (!src_is_dir) return Error(Errc::is_dir, fmt::format("{} is a directory", new_name));
        auto full = dir_has_entries(db_, ns.cf, dst->ino);
        if (!full) return full.status();
        if (*full) return Error(Errc::not_empty, fmt::format("{} is not empty", new_name));
        if (auto s = t.erase(dst->ino); !s) return s;
        t.deltas.dirs -= 1;
        if ((*dst_dir)->nlink > 2) (*dst_dir)->nlink--;
      } else {
        if (src_is_dir) return Error(Errc::not_dir, fmt::format("{} is not a directory", new_name));
        auto victim = t.inode(dst->ino);
        if (!victim) return victim.status();
        const EntryName replaced{new_parent, std::string(new_name)};
        if (auto s = forget_name(t, dst->ino, **victim, replaced); !s) return s;
        if (auto s = drop_link(t, dst->ino, **victim, now); !s) return s;
        if ((*victim)->nlink == 0) orphaned = dst->ino;
      }
    }

    auto moved = t.inode(src->ino);
    if (!moved) return moved.status();
    if (src_is_dir && parent != new_parent) {
      (*moved)->parent = new_parent;
      if ((*src_dir)->nlink > 2) (*src_dir)->nlink--;
      (*dst_dir)->nlink++;
    }
    if (!src_is_dir) {
      const EntryName from{parent, std::string(name)}, to{new_parent, std::string(new_name)};
      if (auto s = move_name(t, src->ino, **moved, from, to); !s) return s;
    }
    (*moved)->ctime = now;
    t.mark(src->ino);
    touch_dir(t, parent, **src_dir, now);
    touch_dir(t, new_parent, **dst_dir, now);
    t.batch().Delete(ns.cf, skey);
    t.batch().Put(ns.cf, dkey, keys::dentry_value(src->ino, src->type));
    t.deltas.del_kv(skey.size(), kDentryValueSize);
    t.deltas.put_kv(dkey.size(), kDentryValueSize);
    if (auto s = t.write("renaming"); !s) return s;
    return orphaned;
  });
}

Status RocksStore::exchange(NsId id, Ino parent, std::string_view name, Ino new_parent,
                            std::string_view new_name, Timespec now) {
  if (auto s = check_entry_name(name); !s) return s;
  if (auto s = check_entry_name(new_name); !s) return s;
  return mutate(id, [&](Txn& t, NsState& ns) -> Status {
    auto a_dir = t.dir(parent);
    if (!a_dir) return a_dir.status();
    auto b_dir = t.dir(new_parent);
    if (!b_dir) return b_dir.status();
    const std::string akey = dentry_key(parent, name), bkey = dentry_key(new_parent, new_name);
    auto a = t.dentry(akey);
    if (!a) return a.status();
    auto b = t.dentry(bkey);
    if (!b) return b.status();
    if (a->ino == b->ino) return Status::ok();  // one inode (or one name): nothing moves
    const bool a_is_dir = S_ISDIR(a->type), b_is_dir = S_ISDIR(b->type);
    // Each directory that changes parent must not land inside itself.
    if (parent != new_parent) {
      if (a_is_dir) {
        if (auto s = check_not_below(t, new_parent, a->ino); !s) return s;
      }
      if (b_is_dir) {
        if (auto s = check_not_below(t, parent, b->ino); !s) return s;
      }
    }
    auto a_rec = t.inode(a->ino);
    if (!a_rec) return a_rec.status();
    auto b_rec = t.inode(b->ino);
    if (!b_rec) return b_rec.status();
    const EntryName at{parent, std::string(name)}, bt{new_parent, std::string(new_name)};
    if (parent != new_parent) {
      // A directory's ".." moves with it: the parents' link counts follow.
      if (a_is_dir) {
        (*a_rec)->parent = new_parent;
        (*a_dir)->nlink--;
        (*b_dir)->nlink++;
      }
      if (b_is_dir) {
        (*b_rec)->parent = parent;
        (*b_dir)->nlink--;
        (*a_dir)->nlink++;
      }
    }
    if (!a_is_dir) {
      if (auto s = move_name(t, a->ino, **a_rec, at, bt); !s) return s;
    }
    if (!b_is_dir) {
      if (auto s = move_name(t, b->ino, **b_rec, bt, at); !s) return s;
    }
    (*a_rec)->ctime = (*b_rec)->ctime = now;
    t.mark(a->ino);
    t.mark(b->ino);
    touch_dir(t, parent, **a_dir, now);
    touch_dir(t, new_parent, **b_dir, now);
    // Same key sizes, values of the same size: the live bytes do not change.
    t.batch().Put(ns.cf, akey, keys::dentry_value(b->ino, b->type));
    t.batch().Put(ns.cf, bkey, keys::dentry_value(a->ino, a->type));
    return t.write("exchanging");
  });
}

}  // namespace gcfs
