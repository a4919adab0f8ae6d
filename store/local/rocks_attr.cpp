// getattr, setattr (including truncate/extend through the commit machinery)
// and purge of orphans.
#include <fmt/format.h>
#include <sys/stat.h>

#include "store/local/keys.hpp"
#include "store/local/rocks_store.hpp"
#include "store/pending_write.hpp"

namespace gcfs {

Result<Attr> RocksStore::getattr(NsId id, Ino ino) {
  auto state = ns_state(id);
  if (!state) return state.status();
  auto rec = read_inode(**state, nullptr, ino);
  if (!rec) return rec.error();
  return rec->to_attr(ino);
}

Result<Attr> RocksStore::setattr(NsId id, Ino ino, const SetAttr& sa) {
  return mutate(id, [&](Txn& t, NsState&) -> Result<Attr> {
    auto got = t.inode(ino);
    if (!got) return got.status();
    InodeRecord& rec = **got;
    if (sa.size) {
      if (rec.is_dir()) return Error(Errc::is_dir, "cannot truncate a directory");
      if (!rec.is_reg()) return Error(Errc::invalid, "not a regular file");
      if (*sa.size > opts_.max_file_size) {
        return Error(Errc::too_big, fmt::format("{} bytes is over the file size limit", *sa.size));
      }
    }
    bool changed = false;
    if (sa.mode) {
      rec.mode = (rec.mode & S_IFMT) | (*sa.mode & 07777);
      changed = true;
    }
    if (sa.uid) {
      rec.uid = *sa.uid;
      changed = true;
    }
    if (sa.gid) {
      rec.gid = *sa.gid;
      changed = true;
    }
    if (sa.atime) {
      rec.atime = *sa.atime;
      changed = true;
    }
    if (sa.mtime) {
      rec.mtime = *sa.mtime;
      changed = true;
    }
    if (sa.size) {
      changed = true;
      if (*sa.size != rec.size) {
        // Same path as a commit: the straddling chunk is re-cut, chunks past
        // the end are deleted, the file may switch inline <-> chunked. Holding
        // the namespace lock, the base read here is the current content.
        PendingWrite pw(*this, id, ino, rec.size);
        if (auto s = pw.truncate(*sa.size); !s) return s;
        if (auto s = apply_content(t, ino, rec, encode_pending(pw)); !s) return s;
        if (!sa.mtime) rec.mtime = sa.now;
      }
    }
    if (!changed) return rec.to_attr(ino);
    rec.ctime = sa.now;
    t.mark(ino);
    if (auto s = t.write("setting attributes"); !s) return s;
    return rec.to_attr(ino);
  });
}

Status RocksStore::purge(NsId id, Ino ino) {
  return mutate(id, [&](Txn& t, NsState& ns) -> Status {
    auto got = t.inode(ino);
    if (!got) return got.code() == Errc::not_found ? Status::ok() : got.status();
    InodeRecord& rec = **got;
    if (rec.nlink > 0 || rec.is_dir()) return Status::ok();  // still named
    if (rec.chunked) {
      auto map = load_map(t, ino);
      if (!map) return map.status();
      for (uint64_t idx = 0; idx < map->size(); ++idx) {
        if ((*map)[idx] == 0) continue;
        t.batch().Delete(ns.cf, keys::chunk(ino, idx));
        t.deltas.del_kv(keys::chunk(ino, idx).size(), (*map)[idx]);
      }
      t.batch().Delete(ns.cf, keys::chunk_map(ino));
      if (!map->empty()) t.deltas.del_kv(keys::chunk_map(ino).size(), map->size() * 4);
    }
    t.batch().Delete(ns.cf, keys::orphan(ino));
    t.deltas.del_kv(keys::orphan(ino).size(), 0);
    if (auto s = lru_remove(t, ino); !s) return s;  // an orphan of an older version
    if (auto s = t.erase(ino); !s) return s;
    t.deltas.orphans = -1;
    if (rec.is_reg()) {
      t.deltas.logical = -static_cast<int64_t>(rec.size);
      t.deltas.stored = -static_cast<int64_t>(rec.stored);
    }
    return t.write("purging an orphan");
  });
}

}  // namespace gcfs
