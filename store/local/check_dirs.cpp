// Directories in the integrity check: each (the root excepted) is named by
// exactly one entry, in the directory its record names as parent, reaches
// the root through its parents, and has 2 + subdirectories links.
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <ctime>

#include "store/local/check_rules.hpp"
#include "store/local/keys.hpp"

namespace gcfs {

std::string CheckRules::type_name(uint32_t type) {
  switch (type & S_IFMT) {
    case S_IFDIR:
      return "directory";
    case S_IFREG:
      return "file";
    case S_IFLNK:
      return "symlink";
    case S_IFIFO:
      return "fifo";
    case S_IFSOCK:
      return "socket";
    case S_IFCHR:
      return "character device";
    case S_IFBLK:
      return "block device";
    default:
      return fmt::format("type {:o}", type);
  }
}

void CheckRules::index_dirs() {
  for (const InodeFact& r : f_.inodes) {
    if (S_ISDIR(r.mode)) dirs_[r.ino].rec = &r;
  }
  if (!is_dir(kRootIno)) {
    // Repair re-creates it; meanwhile what it holds is in a directory.
    root_fact_ = InodeFact{kRootIno, S_IFDIR | 0755, 2, 0, 0, kRootIno, 0, 0, false};
    dirs_[kRootIno].rec = &root_fact_;
  }
  // The entry a directory keeps: the one in its recorded parent, else the first.
  for (const RefFact& r : f_.refs) {
    auto child = dirs_.find(r.child);
    if (child == dirs_.end() || r.child == kRootIno || !is_dir(r.parent)) continue;
    DirInfo& d = child->second;
    if (d.kept_parent == 0 || (r.parent == d.rec->parent && d.kept_parent != d.rec->parent)) {
      d.kept_parent = r.parent;
    }
  }
  for (auto& [ino, d] : dirs_) {
    if (d.kept_parent != 0) ++dirs_.find(d.kept_parent)->second.subdirs;
  }
}

void CheckRules::find_cycles() {
  using Reach = DirInfo::Reach;
  for (auto& [start, info] : dirs_) {
    std::vector<Ino> chain;  // visited on the way up from `start`
    Reach result = Reach::yes;
    for (Ino cur = start;;) {
      if (cur == kRootIno) break;
      DirInfo& d = dirs_.find(cur)->second;
      if (d.reach == Reach::visiting) {
        // Back at a directory of this walk: it and those after it are a cycle.
        auto from = std::find(chain.begin(), chain.end(), cur);
        for (auto i = from; i != chain.end(); ++i) dirs_.find(*i)->second.reach = Reach::cycle;
        chain.erase(from, chain.end());
        result = Reach::below_damage;
        break;
      }
      if (d.reach != Reach::unknown) {
        result = d.reach == Reach::yes ? Reach::yes : Reach::below_damage;
        break;
      }
      chain.push_back(cur);
      if (d.kept_parent == 0) {  // named nowhere: reported by dir()
        result = Reach::below_damage;
        break;
      }
      d.reach = Reach::visiting;
      cur = d.kept_parent;
    }
    for (Ino i : chain) dirs_.find(i)->second.reach = result;
  }
}

Status CheckRules::dir(Item& it) {
  DirInfo& info = dirs_.find(it.ino)->second;
  if (!it.chunks.empty() || it.map) {
    add("chunk", it.ino, "", "chunks of a directory", "deleted");
    del_data(it);
  }
  if (it.orphan) {
    add("orphan", it.ino, "", "orphan marker on a directory", "deleted");
    del(keys::orphan(it.ino));
  }
  if (auto s = lru(it, false, false); !s) return s;
  if (it.ino == kRootIno) {
    if (!it.good.empty()) {
      add("entry", it.ino, "", "entries name the root directory", "deleted");
      if (auto s = del_names(it, true); !s) return s;
    }
  } else if (info.kept_parent == 0 || info.reach == DirInfo::Reach::cycle) {
    // What it holds is in a missing directory in the next round, and goes then.
    add("directory", it.ino, "",
        info.kept_parent == 0 ? "directory named nowhere"
                              : "directory not reachable from the root (on a cycle)",
        "directory removed, then what it held");
    del(keys::inode(it.ino));
    it.removed = true;
    return Status::ok();
  } else if (auto s = dir_names(it, info); !s) {
    return s;
  }
  const uint32_t want = 2 + info.subdirs;
  if (it.rec->nlink != want) {
    auto p = dir_path(it.ino);
    if (!p) return p.status();
    add("directory", it.ino, *p,
        fmt::format("link count {}, expected {} (2 + subdirectories)", it.rec->nlink, want),
        fmt::format("link count set to {}", want));
    auto e = edit(it);
    if (!e) return e.status();
    (*e)->nlink = want;
  }
  return Status::ok();
}

Status CheckRules::dir_names(Item& it, DirInfo& info) {
  const bool typed = std::all_of(it.good.begin(), it.good.end(),
                                 [](const RefFact& r) { return r.type == S_IFDIR; });
  if (it.good.size() == 1 && typed && it.rec->parent == info.kept_parent) return Status::ok();
  auto ns = names(it, true);
  if (!ns) return ns.status();
  auto kept = std::find_if(ns->begin(), ns->end(),
                           [&](const Named& n) { return n.parent == info.kept_parent; });
  if (kept == ns->end()) return Error(Errc::corrupt, "directory entry vanished from the view");
  auto p = dir_path(it.ino);
  if (!p) return p.status();
  if (ns->size() > 1) {
    add("directory", it.ino, *p, fmt::format("directory named {} times", ns->size()),
        "extra entries deleted");
    for (auto n = ns->begin(); n != ns->end(); ++n) {
      if (n != kept) del(n->key);
    }
  }
  if (kept->type != S_IFDIR) {
    add("entry", it.ino, *p,
        fmt::format("entry says {}, its inode is a directory", type_name(kept->type)),
        "entry type corrected");
    put(kept->key, keys::dentry_value(it.ino, S_IFDIR));
  }
  if (it.rec->parent != info.kept_parent) {
    add("directory", it.ino, *p,
        fmt::format("parent field says {}, its entry is in {}", it.rec->parent, info.kept_parent),
        "parent field corrected");
    auto e = edit(it);
    if (!e) return e.status();
    (*e)->parent = info.kept_parent;
  }
  return Status::ok();
}

Status CheckRules::replace_root(Item& it) {
  root_done_ = true;
  const char* why = it.bad_rec ? "unreadable" : it.rec ? "not a directory" : "missing";
  add("directory", kRootIno, "/", fmt::format("root directory {}", why),
      "root directory re-created (mode 0755, owner root)");
  struct timespec ts {};
  clock_gettime(CLOCK_REALTIME, &ts);
  InodeRecord root;
  root.mode = S_IFDIR | 0755;
  root.nlink = 2;  // the next round counts its subdirectories
  root.parent = kRootIno;
  root.atime = root.mtime = root.ctime = Timespec{ts.tv_sec, static_cast<uint32_t>(ts.tv_nsec)};
  put(keys::inode(kRootIno), serialize_inode(root));
  // Whatever the old record owned goes with it.
  if (auto s = del_names(it, true); !s) return s;
  del_data(it);
  if (it.orphan) del(keys::orphan(kRootIno));
  del_index(it);
  it.removed = true;
  return Status::ok();
}

}  // namespace gcfs
