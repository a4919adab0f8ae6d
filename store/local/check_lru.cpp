// The LRU index in the integrity check (rocks_lru.cpp writes it): a regular
// file with a name has one `U` record and the one `L` record of that time;
// nothing else has either.
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>

#include "store/local/check_rules.hpp"
#include "store/local/keys.hpp"

namespace gcfs {

namespace {

std::string u64be(int64_t v) {
  std::string s;
  keys::put_u64be(s, static_cast<uint64_t>(std::max<int64_t>(v, 0)));
  return s;
}

}  // namespace

// `indexed`: whether the inode belongs in the index; `quietly`: it leaves it
// as part of a repair already reported (an inode made an orphan).
Status CheckRules::lru(Item& it, bool indexed, bool quietly) {
  if (!indexed) {
    if (!it.use && it.lrus.empty()) return Status::ok();
    if (!quietly) {
      const std::string what = S_ISDIR(it.rec->mode)   ? "a directory"
                               : S_ISLNK(it.rec->mode) ? "a symlink"
                               : S_ISREG(it.rec->mode) ? "an unlinked file"
                                                       : "a special file";
      add("lru", it.ino, "", "LRU index records of " + what, "deleted");
    }
    del_index(it);
    return Status::ok();
  }
  const UseFact* match = nullptr;
  for (const UseFact& l : it.lrus) {
    if (it.use && l.time_ns == it.use->time_ns) match = &l;
  }
  if (match && it.lrus.size() == 1) return Status::ok();
  auto p = path(it);
  if (!p) return p.status();
  // Keep the entry of the recorded use, else the newest (lrus are by time).
  const UseFact* keep = match ? match : it.lrus.empty() ? nullptr : &it.lrus.back();
  if (match) {
    add("lru", it.ino, *p, fmt::format("{} stale LRU index record(s)", it.lrus.size() - 1),
        "deleted");
  } else if (it.use) {
    add("lru", it.ino, *p, "use record without its LRU index entry", "re-indexed");
  } else if (keep) {
    add("lru", it.ino, *p, "LRU index entry without its use record", "use record added");
    put(keys::use(it.ino), u64be(keep->time_ns));
  } else {
    add("lru", it.ino, *p, "named file missing from the LRU index", "re-indexed");
  }
  for (const UseFact& l : it.lrus) {
    if (&l != keep) del(keys::lru(l.time_ns, it.ino));
  }
  if (keep) return Status::ok();
  // A new entry under one of its names, as recently used as its times say.
  auto ns = names(it, true);
  if (!ns) return ns.status();
  if (ns->empty()) return Error(Errc::corrupt, "entry vanished from the check's view");
  const int64_t time = it.use ? it.use->time_ns : it.rec->used_ns;
  std::string value;
  keys::put_u64be(value, ns->front().parent);
  value.append(ns->front().name());
  put(keys::lru(time, it.ino), value);
  put(keys::use(it.ino), u64be(time));
  return Status::ok();
}

}  // namespace gcfs
