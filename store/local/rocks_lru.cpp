// The least-recently-used index of regular files, in the namespace's family:
//   `L` + last use (u64 BE, ns since the epoch) + ino (u64 BE) -> parent
//   (u64 BE) + name: iterating `L` lists files oldest first;
//   `U` + ino -> last use (u64 BE): finds the `L` key to delete on a new use.
// A file enters the index in its create batch and leaves it in the batch
// that unlinks it; uses arrive in batches from the daemon (record_uses), so
// reads through the mount never write to the store.
#include <fmt/format.h>
#include <sys/stat.h>

#include <map>

#include "store/local/keys.hpp"
#include "store/local/rocks_store.hpp"

namespace gcfs {

namespace {

using keys::kLruTag;
// The keys of the index: keys.hpp.
std::string lru_key(int64_t time_ns, Ino ino) { return keys::lru(time_ns, ino); }
std::string use_key(Ino ino) { return keys::use(ino); }

std::string lru_value(Ino parent, std::string_view name) {
  std::string v;
  keys::put_u64be(v, parent);
  v.append(name);
  return v;
}

std::string u64be(int64_t v) {
  std::string s;
  keys::put_u64be(s, static_cast<uint64_t>(std::max<int64_t>(v, 0)));
  return s;
}

}  // namespace

Result<std::optional<int64_t>> lru_last_use(Txn& t, Ino ino) {
  auto u = t.get(use_key(ino));
  if (!u) return u.status();
  if (!u->has_value()) return std::optional<int64_t>();
  if ((*u)->size() != 8) return Error(Errc::corrupt, fmt::format("use key of {} garbled", ino));
  return std::optional<int64_t>(static_cast<int64_t>(keys::get_u64be((*u)->data())));
}

void lru_insert(Txn& t, Ino ino, Ino parent, std::string_view name, int64_t time_ns) {
  const std::string lk = lru_key(time_ns, ino), lv = lru_value(parent, name);
  const std::string uk = use_key(ino), uv = u64be(time_ns);
  t.batch().Put(t.cf(), lk, lv);
  t.batch().Put(t.cf(), uk, uv);
  t.deltas.put_kv(lk.size(), lv.size());
  t.deltas.put_kv(uk.size(), uv.size());
}

Status lru_remove(Txn& t, Ino ino) {
  auto time = lru_last_use(t, ino);
  if (!time) return time.status();
  if (!time->has_value()) return Status::ok();
  const std::string lk = lru_key(**time, ino), uk = use_key(ino);
  auto lv = t.get(lk);
  if (!lv) return lv.status();
  if (lv->has_value()) {
    t.batch().Delete(t.cf(), lk);
    t.deltas.del_kv(lk.size(), (*lv)->size());
  }
  t.batch().Delete(t.cf(), uk);
  t.deltas.del_kv(uk.size(), 8);
  return Status::ok();
}

Status RocksStore::record_uses(NsId id, std::span<const FileUse> uses) {
  if (uses.empty()) return Status::ok();
  // One use per inode (the latest; an mtime set by the user wins), so the
  // batch never reads what it has itself replaced.
  std::map<Ino, const FileUse*> latest;
  for (const FileUse& u : uses) {
    auto [it, fresh] = latest.emplace(u.ino, &u);
    if (!fresh && (u.time_ns >= it->second->time_ns || u.from_mtime)) it->second = &u;
  }
  return mutate(id, [&](Txn& t, NsState& ns) -> Status {
    if (ns.retired) return Error(Errc::not_found, fmt::format("namespace {} was swapped out", id));
    for (const auto& [ino, use] : latest) {
      auto rec = t.inode(ino);
      if (!rec) {
        if (rec.code() == Errc::not_found) continue;  // gone meanwhile
        return rec.status();
      }
      if (!(*rec)->is_reg() || (*rec)->nlink == 0) continue;
      auto old = lru_last_use(t, ino);
      if (!old) return old.status();
      Ino parent = use->parent;
      std::string name = use->name;
      if (!name.empty()) {
        // The name a lookup saw may be gone since (unlinked, renamed,
        // exchanged): the index keeps a name that still names the file, or
        // eviction would skip it as changed.
        auto d = t.find_dentry(keys::dentry(parent, keys::dentry_cookie(name), name));
        if (!d) return d.status();
        if (!d->has_value() || (*d)->ino != ino) name.clear();
      }
      if (old->has_value()) {
        if (**old >= use->time_ns && !use->from_mtime) continue;  // nothing newer
        const std::string lk = lru_key(**old, ino);
        auto lv = t.get(lk);
        if (!lv) return lv.status();
        if (lv->has_value()) {
          if (name.empty() && (*lv)->size() > 8) {
            parent = keys::get_u64be((*lv)->data());
            name = (*lv)->substr(8);
          }
          t.batch().Delete(t.cf(), lk);
          t.deltas.del_kv(lk.size(), (*lv)->size());
        }
        t.batch().Delete(t.cf(), use_key(ino));
        t.deltas.del_kv(use_key(ino).size(), 8);
      }
      if (name.empty()) continue;  // not indexed and no name known: cannot index
      lru_insert(t, ino, parent, name, use->time_ns);
    }
    return t.write("recording file uses");
  });
}

Result<std::vector<LruEntry>> RocksStore::lru_oldest(NsId id, size_t max) {
  auto state = ns_state(id);
  if (!state) return state.status();
  if ((*state)->retired) {
    return Error(Errc::not_found, fmt::format("namespace {} was swapped out", id));
  }
  const std::string prefix(1, kLruTag), end = keys::prefix_end(prefix);
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, (*state)->cf));
  std::vector<LruEntry> out;
  for (it->Seek(prefix); it->Valid() && out.size() < max; it->Next()) {
    const auto k = it->key().ToStringView();
    const auto v = it->value().ToStringView();
    if (k.size() != 17 || v.size() <= 8) {
      return Error(Errc::corrupt, fmt::format("namespace {}: garbled LRU entry", id));
    }
    out.push_back(LruEntry{keys::get_u64be(k.data() + 9), keys::get_u64be(v.data()),
                           std::string(v.substr(8)),
                           static_cast<int64_t>(keys::get_u64be(k.data() + 1))});
  }
  if (!it->status().ok()) return map_error(it->status(), "listing the LRU index");
  return out;
}

Result<int64_t> RocksStore::last_use_ns(NsId id, Ino ino) {
  auto v = get_raw(id, use_key(ino));
  if (!v) return v.status();
  if (!v->has_value() || (*v)->size() != 8) {
    return Error(Errc::not_found, fmt::format("inode {} is not indexed", ino));
  }
  return static_cast<int64_t>(keys::get_u64be((*v)->data()));
}

Result<Ino> RocksStore::parent_of(NsId id, Ino dir) {
  auto state = ns_state(id);
  if (!state) return state.status();
  auto rec = read_inode(**state, nullptr, dir);
  if (!rec) return rec.status();
  if (!rec->is_dir()) return Error(Errc::not_dir, "not a directory");
  return rec->parent;
}

}  // namespace gcfs
