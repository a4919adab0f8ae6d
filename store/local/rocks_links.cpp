// Hard links. A lookup reads the directory entry and the inode as before;
// what needs all the names of an inode (unlink of one of them, rename,
// eviction, which removes a file whole) reads the `K` records that list them
// while the inode has two or more (keys.hpp). An inode with one name has no
// `K` record, so nothing written before links existed changes, and the
// names of an inode are kept in the same batch as its entries and link
// count. The least-recently-used index's name for a file follows renames
// and unlinks of the name it holds, so eviction finds the file by it.
#include <fmt/format.h>
#include <sys/stat.h>

#include "store/local/keys.hpp"
#include "store/local/rocks_store.hpp"

namespace gcfs {

namespace {

std::string dentry_key(Ino parent, std::string_view name) {
  return keys::dentry(parent, keys::dentry_cookie(name), name);
}

void put_name(Txn& t, Ino ino, Ino parent, std::string_view name) {
  const std::string k = keys::link_name(ino, parent, name);
  t.batch().Put(t.cf(), k, rocksdb::Slice());
  t.deltas.put_kv(k.size(), 0);
}

void del_name(Txn& t, std::string_view key) {
  t.batch().Delete(t.cf(), key);
  t.deltas.del_kv(key.size(), 0);
}

// The LRU record of `ino`: its key and value (nullopt when not indexed).
Result<std::optional<std::pair<std::string, std::string>>> lru_record(Txn& t, Ino ino) {
  using Out = std::optional<std::pair<std::string, std::string>>;
  auto time = lru_last_use(t, ino);
  if (!time) return time.status();
  if (!time->has_value()) return Out();
  std::string lk = keys::lru(**time, ino);
  auto lv = t.get(lk);
  if (!lv) return lv.status();
  if (!lv->has_value() || (*lv)->size() <= 8) return Out();
  return Out(std::pair(std::move(lk), std::move(**lv)));
}

std::string lru_value(Ino parent, std::string_view name) {
  std::string v;
  keys::put_u64be(v, parent);
  v.append(name);
  return v;
}

// The one name of an inode that has no `K` records: the LRU index's name
// when it still names the inode, else the entry found by reading every
// entry of the namespace (only the first link of an inode the index does
// not hold pays it: a special file, a symlink, a renamed file).
Result<EntryName> sole_name(Txn& t, Ino ino) {
  auto lru = lru_record(t, ino);
  if (!lru) return lru.status();
  if (lru->has_value()) {
    const std::string& v = (*lru)->second;
    EntryName hint{keys::get_u64be(v.data()), v.substr(8)};
    auto d = t.find_dentry(dentry_key(hint.parent, hint.name));
    if (!d) return d.status();
    if (d->has_value() && (*d)->ino == ino) return hint;
  }
  std::optional<EntryName> found;
  auto s = t.scan(std::string(1, keys::kDentryTag), [&](std::string_view k, std::string_view v) {
    auto dv = keys::parse_dentry_value(v);
    if (found || !dv || dv->ino != ino) return;
    if (auto dk = keys::parse_dentry(k)) found = EntryName{dk->parent, std::string(dk->name)};
  });
  if (!s) return s;
  if (!found) return Error(Errc::corrupt, fmt::format("inode {} has a link but no entry", ino));
  return *found;
}

}  // namespace

Result<std::vector<EntryName>> link_names(Txn& t, Ino ino) {
  std::vector<EntryName> names;
  auto s = t.scan(keys::link_prefix(ino), [&](std::string_view k, std::string_view) {
    if (auto lk = keys::parse_link_key(k)) names.push_back({lk->parent, std::string(lk->name)});
  });
  if (!s) return s;
  return names;
}

Status lru_follow_name(Txn& t, Ino ino, const EntryName& from, const EntryName* to) {
  auto lru = lru_record(t, ino);
  if (!lru) return lru.status();
  if (!lru->has_value() || (*lru)->second != lru_value(from.parent, from.name)) {
    return Status::ok();
  }
  const auto& [lk, old] = **lru;
  if (to == nullptr) return Status::ok();
  const std::string v = lru_value(to->parent, to->name);
  t.batch().Put(t.cf(), lk, v);
  t.deltas.del_kv(lk.size(), old.size());
  t.deltas.put_kv(lk.size(), v.size());
  return Status::ok();
}

Status forget_name(Txn& t, Ino ino, const InodeRecord& rec, const EntryName& gone) {
  if (rec.nlink < 2) return Status::ok();
  auto names = link_names(t, ino);
  if (!names) return names.status();
  const EntryName* left = nullptr;
  for (const EntryName& n : *names) {
    const bool is_gone = n == gone;
    // Down to one name: that one needs no record either.
    if (is_gone || rec.nlink == 2) del_name(t, keys::link_name(ino, n.parent, n.name));
    if (!is_gone && left == nullptr) left = &n;
  }
  if (rec.is_reg()) return lru_follow_name(t, ino, gone, left);
  return Status::ok();
}

Status move_name(Txn& t, Ino ino, const InodeRecord& rec, const EntryName& from,
                 const EntryName& to) {
  if (rec.nlink >= 2) {
    del_name(t, keys::link_name(ino, from.parent, from.name));
    put_name(t, ino, to.parent, to.name);
  }
  if (rec.is_reg()) return lru_follow_name(t, ino, from, &to);
  return Status::ok();
}

Result<Attr> RocksStore::link(NsId id, Ino ino, Ino new_parent, std::string_view new_name,
                              Timespec now) {
  if (auto s = check_entry_name(new_name); !s) return s;
  return mutate(id, [&](Txn& t, NsState& ns) -> Result<Attr> {
    auto dir = t.dir(new_parent);
    if (!dir) return dir.status();
    auto got = t.inode(ino);
    if (!got) return got.status();
    InodeRecord& rec = **got;
    if (rec.is_dir()) return Error(Errc::permission, "a directory cannot have hard links");
    if (rec.nlink == 0)
      return Error(Errc::not_found, fmt::format("inode {} has no name left", ino));
    if (rec.nlink >= kMaxLinks) {
      return Error(Errc::too_many_links, fmt::format("inode {} has {} links", ino, rec.nlink));
    }
    const std::string dkey = dentry_key(new_parent, new_name);
    auto taken = t.find_dentry(dkey);
    if (!taken) return taken.status();
    if (taken->has_value()) return Error(Errc::exists, fmt::format("{} exists", new_name));
    if (rec.nlink == 1) {  // the first link: the existing name enters the index too
      auto first = sole_name(t, ino);
      if (!first) return first.status();
      put_name(t, ino, first->parent, first->name);
    }
    put_name(t, ino, new_parent, new_name);
    t.batch().Put(ns.cf, dkey, keys::dentry_value(ino, rec.mode & S_IFMT));
    t.deltas.put_kv(dkey.size(), kDentryValueSize);
    rec.nlink++;
    rec.ctime = now;
    t.mark(ino);
    (*dir)->mtime = (*dir)->ctime = now;
    t.mark(new_parent);
    if (auto s = t.write("linking"); !s) return s;
    return rec.to_attr(ino);
  });
}

}  // namespace gcfs
