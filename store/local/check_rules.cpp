// Pass two of the integrity check, for every inode number the facts mention:
// see check_rules.hpp. Files are in check_files.cpp, directories in
// check_dirs.cpp, the LRU index in check_lru.cpp, names and paths in
// check_names.cpp.
#include "store/local/check_rules.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>

#include "store/local/keys.hpp"

namespace gcfs {

namespace {

// Consecutive elements of `v` (sorted by `key`) from `*i` whose key is `ino`.
template <class T, class Key>
std::span<const T> take(const std::vector<T>& v, size_t* i, Ino ino, Key key) {
  const size_t from = *i;
  while (*i < v.size() && key(v[*i]) == ino) ++*i;
  return std::span<const T>(v.data() + from, *i - from);
}

}  // namespace

Result<RoundResult> check_round(CheckView& view, const ScanOptions& options) {
  auto facts = scan_records(view, options);
  if (!facts) return facts.status();
  return CheckRules(view, *facts, options.chunk_size).run();
}

void CheckRules::add(std::string_view kind, Ino ino, std::string path, std::string reason,
                     std::string repair) {
  out_.problems.push_back(
      {std::string(kind), ino, std::move(path), std::move(reason), std::move(repair)});
}

Result<RoundResult> CheckRules::run() {
  out_.problems = std::move(f_.problems);
  out_.fixes = std::move(f_.fixes);
  out_.counters = f_.counters;
  out_.recount = f_.recount;
  out_.bytes_checked = f_.bytes;
  out_.garbled_counters = f_.garbled_counters;
  index_dirs();
  find_cycles();
  size_t i_ino = 0, i_ref = 0, i_chunk = 0, i_map = 0, i_orphan = 0, i_use = 0, i_lru = 0,
         i_link = 0;
  auto bad = f_.bad_inodes.begin();
  for (;;) {
    // The next inode number any fact mentions.
    Ino ino = UINT64_MAX;
    auto low = [&ino](bool more, auto get) {
      if (more) ino = std::min<Ino>(ino, get());
    };
    low(i_ino < f_.inodes.size(), [&] { return f_.inodes[i_ino].ino; });
    low(bad != f_.bad_inodes.end(), [&] { return bad->first; });
    low(i_ref < f_.refs.size(), [&] { return f_.refs[i_ref].child; });
    low(i_chunk < f_.chunks.size(), [&] { return f_.chunks[i_chunk].ino; });
    low(i_map < f_.maps.size(), [&] { return f_.maps[i_map].ino; });
    low(i_orphan < f_.orphans.size(), [&] { return f_.orphans[i_orphan]; });
    low(i_use < f_.uses.size(), [&] { return f_.uses[i_use].ino; });
    low(i_lru < f_.lrus.size(), [&] { return f_.lrus[i_lru].ino; });
    low(i_link < f_.links.size(), [&] { return f_.links[i_link].ino; });
    if (ino == UINT64_MAX) break;

    Item it;
    it.ino = ino;
    if (i_ino < f_.inodes.size() && f_.inodes[i_ino].ino == ino) it.rec = &f_.inodes[i_ino++];
    if (bad != f_.bad_inodes.end() && bad->first == ino) it.bad_rec = &(bad++)->second;
    if (auto d = f_.bad_data.find(ino); d != f_.bad_data.end()) it.bad_data = &d->second;
    it.refs = take(f_.refs, &i_ref, ino, [](const RefFact& r) { return r.child; });
    it.chunks = take(f_.chunks, &i_chunk, ino, [](const ChunkFact& c) { return c.ino; });
    it.lrus = take(f_.lrus, &i_lru, ino, [](const UseFact& u) { return u.ino; });
    it.links = take(f_.links, &i_link, ino, [](const LinkFact& l) { return l.ino; });
    if (i_map < f_.maps.size() && f_.maps[i_map].ino == ino) it.map = &f_.maps[i_map++];
    if (i_orphan < f_.orphans.size() && f_.orphans[i_orphan] == ino) {
      it.orphan = true;
      ++i_orphan;
    }
    if (i_use < f_.uses.size() && f_.uses[i_use].ino == ino) it.use = &f_.uses[i_use++];
    for (const RefFact& r : it.refs) {
      if (is_dir(r.parent)) it.good.push_back(r);
    }
    if (auto s = inode(it); !s) return s;
    if (it.removed) removed_.push_back(ino);  // ascending, as the loop goes
    if (it.edit && !it.removed) put(keys::inode(ino), serialize_inode(*it.edit));
  }
  if (!root_done_) {
    Item it;
    it.ino = kRootIno;
    if (auto s = replace_root(it); !s) return s;
  }
  xattrs();
  counters();
  inode_counter();
  return std::move(out_);
}

Status CheckRules::inode(Item& it) {
  if (it.good.size() != it.refs.size()) {
    // Entries in something that is not a directory: no lookup reaches them.
    auto all = names(it, false);
    if (!all) return all.status();
    for (const Named& n : *all) {
      if (is_dir(n.parent)) continue;
      const bool exists =
          std::binary_search(f_.inodes.begin(), f_.inodes.end(), InodeFact{n.parent},
                             [](const InodeFact& a, const InodeFact& b) { return a.ino < b.ino; });
      add("entry", it.ino, "",
          fmt::format("entry {} is in {} {}", n.name(), exists ? "inode" : "missing directory",
                      n.parent) +
              (exists ? ", not a directory" : ""),
          "entry deleted");
      del(n.key);
    }
  }
  if (it.ino == kRootIno) {
    root_done_ = true;
    if (!it.rec || !S_ISDIR(it.rec->mode)) return replace_root(it);
  }
  if (!it.rec || S_ISDIR(it.rec->mode)) {
    if (auto s = link_index(it, 0); !s) return s;
  }
  if (!it.rec) return missing(it);
  if (S_ISDIR(it.rec->mode)) return dir(it);
  return file(it);
}

Status CheckRules::missing(Item& it) {
  const std::string what =
      fmt::format("{} inode {}", it.bad_rec ? "unreadable" : "missing", it.ino);
  if (it.bad_rec) {
    add("inode", it.ino, "", fmt::format("record unreadable: {}", *it.bad_rec), "record deleted");
    del(keys::inode(it.ino));
  }
  if (!it.good.empty()) {
    auto ns = names(it, true);
    if (!ns) return ns.status();
    for (const Named& n : *ns) {
      auto dir = dir_path(n.parent);
      if (!dir) return dir.status();
      add("entry", it.ino, *dir + "/" + std::string(n.name()), "names " + what, "entry deleted");
      del(n.key);
    }
  }
  if (!it.chunks.empty() || it.map) {
    add("chunk", it.ino, "",
        fmt::format("{} chunk(s){} of {}", it.chunks.size(), it.map ? " and a chunk map" : "",
                    what),
        "deleted");
    del_data(it);
  }
  if (it.orphan) {
    add("orphan", it.ino, "", "orphan marker of " + what, "deleted");
    del(keys::orphan(it.ino));
  }
  if (it.use || !it.lrus.empty()) {
    add("lru", it.ino, "", "LRU index records of " + what, "deleted");
    del_index(it);
  }
  return Status::ok();
}

Status CheckRules::del_names(const Item& it, bool good_only) {
  auto ns = names(it, good_only);
  if (!ns) return ns.status();
  for (const Named& n : *ns) del(n.key);
  return Status::ok();
}

void CheckRules::del_data(const Item& it) {
  for (const ChunkFact& c : it.chunks) del(keys::chunk(it.ino, c.idx));
  if (it.map) del(keys::chunk_map(it.ino));
}

void CheckRules::del_index(const Item& it) {
  if (it.use) del(keys::use(it.ino));
  for (const UseFact& l : it.lrus) del(keys::lru(l.time_ns, it.ino));
}

// An attribute belongs to a readable inode whose record says it has some;
// any other is unreachable (getxattr reads the flag first) and goes.
void CheckRules::xattrs() {
  for (const XattrFact& x : f_.xattrs) {
    auto rec = std::lower_bound(f_.inodes.begin(), f_.inodes.end(), x.ino,
                                [](const InodeFact& a, Ino ino) { return a.ino < ino; });
    const bool has = rec != f_.inodes.end() && rec->ino == x.ino;
    if (has && rec->xattrs) {
      // An inode this round removes takes its attributes along.
      if (std::binary_search(removed_.begin(), removed_.end(), x.ino)) del(x.key);
      continue;
    }
    add("attribute", x.ino, "",
        has ? std::string("extended attribute of an inode without the attributes flag")
            : fmt::format("extended attribute of {} inode {}",
                          f_.bad_inodes.count(x.ino) != 0 ? "unreadable" : "missing", x.ino),
        "deleted");
    del(x.key);
  }
}

void CheckRules::counters() {
  const auto have = counter_fields(f_.counters);
  const auto want = counter_fields(f_.recount);
  for (size_t i = 0; i < kCounterNames.size(); ++i) {
    const std::string name(kCounterNames[i]);
    if (std::find(f_.garbled_counters.begin(), f_.garbled_counters.end(), name) !=
        f_.garbled_counters.end()) {
      add("counter", 0, "", fmt::format("counter {} is garbled", name), "set to the recount");
    } else if (*have[i] != *want[i]) {
      add("counter", 0, "",
          fmt::format("counter {} is {}, the records give {}", name, static_cast<int64_t>(*have[i]),
                      *want[i]),
          "set to the recount");
    }
  }
}

void CheckRules::inode_counter() {
  Ino max = kRootIno;
  if (!f_.inodes.empty()) max = std::max(max, f_.inodes.back().ino);
  if (!f_.bad_inodes.empty()) max = std::max(max, f_.bad_inodes.rbegin()->first);
  out_.max_ino = max;
  std::string next;
  keys::put_u64be(next, max + 1);
  if (!f_.next_ino) {
    add("key", 0, "", "no inode counter", fmt::format("set to {}", max + 1));
    put(std::string(keys::kNextIno), next);
  } else if (*f_.next_ino <= max) {
    add("inode", max, "",
        fmt::format("inode {} is not below the inode counter {}", max, *f_.next_ino),
        fmt::format("inode counter set to {}", max + 1));
    put(std::string(keys::kNextIno), next);
  }
}

}  // namespace gcfs
