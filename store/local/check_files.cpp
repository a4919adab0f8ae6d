// Files and symlinks in the integrity check: their data verifies, their
// chunks and chunk map agree, and as many entries name them as their link
// count says (none, and an orphan marker, for an orphan).
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <numeric>

#include "store/local/check_rules.hpp"
#include "store/local/keys.hpp"

namespace gcfs {

namespace {

constexpr std::string_view kRemoved =
    "file removed: it cannot be read back exactly (the go command rebuilds it)";

}  // namespace

Status CheckRules::file(Item& it) {
  const InodeFact& rec = *it.rec;
  const bool reg = S_ISREG(rec.mode);
  bool removed = false;
  if (auto s = content(it, &removed); !s || removed) return s;
  if (reg && rec.nlink > 0) {
    ++out_.files;
    out_.bytes_read += rec.size;
  }
  const uint32_t type = rec.mode & S_IFMT;
  if (std::any_of(it.good.begin(), it.good.end(),
                  [&](const RefFact& r) { return r.type != type; })) {
    auto ns = names(it, true);
    if (!ns) return ns.status();
    for (const Named& n : *ns) {
      if (n.type == type) continue;
      auto dir = dir_path(n.parent);
      if (!dir) return dir.status();
      add("entry", it.ino, *dir + "/" + std::string(n.name()),
          fmt::format("entry says {}, its inode is a {}", type_name(n.type), type_name(type)),
          "entry type corrected");
      put(n.key, keys::dentry_value(it.ino, type));
    }
  }
  // As many entries as links; an orphan (no link) has its marker.
  const auto names_count = static_cast<uint32_t>(it.good.size());
  uint32_t nlink = rec.nlink;
  if (rec.nlink > 0 && names_count == 0) {
    nlink = 0;
    add("inode", it.ino, "",
        fmt::format("{} with {} link(s) but no name", type_name(type), rec.nlink),
        "made an orphan (freed when the store is next opened)");
  } else if (rec.nlink > 0 && names_count != rec.nlink) {
    nlink = names_count;
    auto p = path(it);
    if (!p) return p.status();
    add("inode", it.ino, *p,
        fmt::format("link count {} but {} entries name it", rec.nlink, names_count),
        fmt::format("link count set to {}", names_count));
  } else if (rec.nlink == 0 && names_count > 0) {
    auto p = path(it);
    if (!p) return p.status();
    add("entry", it.ino, *p, "names an unlinked inode", "entries deleted");
    if (auto s = del_names(it, true); !s) return s;
  }
  if (nlink != rec.nlink) {
    auto e = edit(it);
    if (!e) return e.status();
    (*e)->nlink = nlink;
  }
  if (nlink == 0 && !it.orphan) {
    put(keys::orphan(it.ino), "");
    if (rec.nlink == 0)
      add("orphan", it.ino, "", "unlinked inode without its orphan marker", "added");
  } else if (nlink > 0 && it.orphan) {
    auto p = path(it);
    if (!p) return p.status();
    add("orphan", it.ino, *p, "orphan marker on a named inode", "deleted");
    del(keys::orphan(it.ino));
  }
  if (auto s = link_index(it, nlink); !s) return s;
  return lru(it, reg && nlink > 0, nlink != rec.nlink);
}

Status CheckRules::content(Item& it, bool* removed) {
  const InodeFact& rec = *it.rec;
  const bool reg = S_ISREG(rec.mode);
  if (it.bad_data) {
    *removed = true;
    return remove_file(it, "data", *it.bad_data);
  }
  uint64_t stored = rec.data_len;
  if (reg && rec.chunked) {
    if (auto why = chunk_mismatch(it)) {
      *removed = true;
      return remove_file(it, "data", *why);
    }
    if (it.map && it.map->sizes.empty()) {
      add("chunk map", it.ino, "", "empty chunk map", "deleted");
      del(keys::chunk_map(it.ino));
    }
    stored = it.map ? std::accumulate(it.map->sizes.begin(), it.map->sizes.end(), uint64_t{0}) : 0;
  } else if (!it.chunks.empty() || it.map) {
    add("chunk", it.ino, "",
        fmt::format("{} chunk(s){} of a {} that keeps its data inline", it.chunks.size(),
                    it.map ? " and a chunk map" : "", type_name(rec.mode)),
        "deleted");
    del_data(it);
  }
  if (reg && rec.stored != stored) {
    auto p = path(it);
    if (!p) return p.status();
    add("inode", it.ino, *p,
        fmt::format("stored size {} but its data holds {}", rec.stored, stored),
        "stored size corrected");
    auto e = edit(it);
    if (!e) return e.status();
    (*e)->stored = stored;
  }
  return Status::ok();
}

std::optional<std::string> CheckRules::chunk_mismatch(const Item& it) const {
  const uint64_t nchunks = (it.rec->size + chunk_size_ - 1) / chunk_size_;
  static const std::vector<uint32_t> kNoMap;
  const std::vector<uint32_t>& map = it.map ? it.map->sizes : kNoMap;
  for (const ChunkFact& c : it.chunks) {
    if (c.idx >= nchunks) return fmt::format("chunk {} lies past the end of the file", c.idx);
    if (c.idx >= map.size() || map[c.idx] == 0) {
      return fmt::format("chunk {} is not in the chunk map", c.idx);
    }
    if (map[c.idx] != c.size) {
      return fmt::format("chunk {} holds {} bytes, the chunk map says {}", c.idx, c.size,
                         map[c.idx]);
    }
  }
  size_t k = 0;  // chunks are sorted by index
  for (uint64_t idx = 0; idx < map.size(); ++idx) {
    if (map[idx] == 0) continue;
    while (k < it.chunks.size() && it.chunks[k].idx < idx) ++k;
    if (k == it.chunks.size() || it.chunks[k].idx != idx) {
      return fmt::format("chunk {} is missing", idx);
    }
  }
  return std::nullopt;
}

Status CheckRules::remove_file(Item& it, std::string_view kind, std::string_view why) {
  auto p = path(it);
  if (!p) return p.status();
  add(kind, it.ino, *p, std::string(why), std::string(kRemoved));
  if (auto s = del_names(it, true); !s) return s;
  del(keys::inode(it.ino));
  del_data(it);
  if (it.orphan) del(keys::orphan(it.ino));
  del_index(it);
  for (const LinkFact& l : it.links) del(l.key);
  it.removed = true;
  return Status::ok();
}

}  // namespace gcfs
