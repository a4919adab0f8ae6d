// Pass one of the integrity check: see check_scan.hpp.
#include "store/local/check_scan.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>

#include "store/codec/chunk.hpp"
#include "store/local/inode_record.hpp"
#include "store/local/keys.hpp"
#include "store/store.hpp"

namespace gcfs {

namespace {

uint64_t* counter_slot(NsStats& st, std::string_view name) {
  const auto fields = counter_fields(st);
  for (size_t i = 0; i < kCounterNames.size(); ++i) {
    if (name == kCounterNames[i]) return fields[i];
  }
  return nullptr;
}

bool valid_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxNameLen && name != "." && name != ".." &&
         name.find_first_of(std::string_view("/\0", 2)) == std::string_view::npos;
}

int64_t ns_of(Timespec t) { return t.sec * 1'000'000'000 + t.nsec; }

std::string printable(std::string_view key) {
  std::string out;
  for (unsigned char c : key.substr(0, 40)) {
    out +=
        c >= 0x21 && c <= 0x7e ? std::string(1, static_cast<char>(c)) : fmt::format("\\x{:02x}", c);
  }
  return out;
}

class Scanner {
 public:
  Scanner(const ScanOptions& o, uint64_t total) : o_(o), total_(total) {}

  void record(std::string_view key, std::string_view value) {
    f_.bytes += key.size() + value.size();
    if (o_.progress && f_.bytes - last_progress_ >= (1u << 20)) {
      last_progress_ = f_.bytes;
      o_.progress(f_.bytes, std::max(f_.bytes, total_));
    }
    const char tag = key.empty() ? '\0' : key[0];
    // Every record counts as live bytes except the bookkeeping ones (recount()).
    if (tag != keys::kCounterTag && key != keys::kNextIno) {
      f_.recount.live_bytes += key.size() + value.size();
    }
    switch (tag) {
      case keys::kChunkTag:
        return chunk(key, value);
      case keys::kDentryTag:
        return dentry(key, value);
      case keys::kInodeTag:
        return inode(key, value);
      case keys::kLruTag:
        return lru(key, value);
      case keys::kMapTag:
        return map(key, value);
      case keys::kOrphanTag:
        return orphan(key);
      case keys::kCounterTag:
        return counter(key, value);
      case keys::kUseTag:
        return use(key, value);
      case keys::kXattrTag:
        return xattr(key, value);
      case keys::kLinkTag:
        return link(key, value);
      default:
        if (key == keys::kNextIno && value.size() == 8) {
          f_.next_ino = keys::get_u64be(value.data());
          return;
        }
        return garbled(key, "key", "not a record of the namespace schema");
    }
  }

  ScanFacts finish() {
    // Stored in key order already: inodes, chunks, maps, orphans, uses.
    std::sort(f_.refs.begin(), f_.refs.end(), [](const RefFact& a, const RefFact& b) {
      return std::tie(a.child, a.parent) < std::tie(b.child, b.parent);
    });
    std::sort(f_.lrus.begin(), f_.lrus.end(), [](const UseFact& a, const UseFact& b) {
      return std::tie(a.ino, a.time_ns) < std::tie(b.ino, b.time_ns);
    });
    return std::move(f_);
  }

 private:
  // A record wrong on its own: reported, and repair deletes it.
  void garbled(std::string_view key, const char* kind, std::string_view why, Ino ino = 0) {
    f_.problems.push_back(
        {kind, ino, "", fmt::format("record {}: {}", printable(key), why), "record deleted"});
    f_.fixes.push_back({std::string(key), std::nullopt});
  }

  void bad_data(Ino ino, std::string why) { f_.bad_data.emplace(ino, std::move(why)); }

  void chunk(std::string_view key, std::string_view value) {
    auto ck = keys::parse_chunk_key(key);
    if (!ck) return garbled(key, "chunk", "malformed chunk key");
    f_.chunks.push_back({ck->ino, ck->idx, static_cast<uint32_t>(value.size())});
    f_.recount.stored_bytes += value.size();
    if (!o_.verify_data) return;
    auto raw = decode_chunk(value, ck->ino, ck->idx, o_.chunk_size);
    if (!raw) bad_data(ck->ino, raw.error().message());
  }

  void dentry(std::string_view key, std::string_view value) {
    auto d = keys::parse_dentry(key);
    if (!d) return garbled(key, "entry", "malformed entry key");
    if (!valid_name(d->name)) return garbled(key, "entry", "illegal entry name", d->parent);
    if (d->cookie != keys::dentry_cookie(d->name)) {
      return garbled(key, "entry", fmt::format("entry {} is not where lookups find it", d->name),
                     d->parent);
    }
    auto v = keys::parse_dentry_value(value);
    if (!v || v->ino == 0 || v->ino > kMaxIno) {
      return garbled(key, "entry", fmt::format("entry {} has a garbled value", d->name), d->parent);
    }
    f_.refs.push_back({v->ino, d->parent, v->type & S_IFMT});
  }

  void inode(std::string_view key, std::string_view value) {
    auto ino = keys::parse_ino_key(key, keys::kInodeTag);
    if (!ino || *ino == 0 || *ino > kMaxIno) return garbled(key, "inode", "malformed inode key");
    auto rec = parse_inode(value, *ino);
    if (!rec) {
      f_.bad_inodes.emplace(*ino, rec.error().message());
      return;
    }
    InodeFact fact;
    fact.ino = *ino;
    fact.mode = rec->mode;
    fact.nlink = rec->nlink;
    fact.size = rec->size;
    fact.stored = rec->stored;
    fact.parent = rec->parent;
    fact.used_ns = std::max(ns_of(rec->atime), ns_of(rec->mtime));
    fact.data_len = static_cast<uint32_t>(rec->data.size());
    fact.chunked = rec->chunked;
    fact.xattrs = rec->xattrs;
    f_.inodes.push_back(fact);
    if (rec->is_dir()) {
      ++f_.recount.dirs;
    } else if (rec->is_symlink()) {
      if (rec->nlink > 0) ++f_.recount.symlinks;
    } else {
      if (rec->nlink > 0) ++f_.recount.files;
      f_.recount.logical_bytes += rec->size;
      f_.recount.stored_bytes += rec->data.size();  // inline data
    }
    // A special file is a type and attributes: any data is damage.
    if (rec->is_special()) {
      if (!rec->data.empty() || rec->chunked || rec->size != 0 || rec->stored != 0) {
        bad_data(*ino, "special file with data");
      }
      return;
    }
    if (!o_.verify_data || rec->is_dir()) return;
    if (rec->chunked && !rec->data.empty()) {
      return bad_data(*ino, "chunked file with inline data");
    }
    // A symlink always has a target; a regular file's empty data is a hole.
    if (rec->data.empty() && rec->is_reg()) return;
    auto raw = decode_chunk(rec->data, *ino, 0, rec->is_reg() ? o_.chunk_size : UINT32_MAX);
    if (!raw) bad_data(*ino, raw.error().message());
  }

  void lru(std::string_view key, std::string_view value) {
    auto lk = keys::parse_lru_key(key);
    if (!lk || value.size() <= 8) return garbled(key, "lru", "malformed LRU index record");
    f_.lrus.push_back({lk->ino, lk->time_ns});
  }

  void map(std::string_view key, std::string_view value) {
    auto ino = keys::parse_ino_key(key, keys::kMapTag);
    if (!ino) return garbled(key, "chunk map", "malformed chunk map key");
    MapFact m{*ino, {}};
    if (value.size() % 4 != 0) {
      bad_data(*ino, "chunk map garbled");
    } else {
      m.sizes.resize(value.size() / 4);
      for (size_t i = 0; i < m.sizes.size(); ++i)
        m.sizes[i] = keys::get_u32le(value.data() + 4 * i);
    }
    f_.maps.push_back(std::move(m));
  }

  void orphan(std::string_view key) {
    auto ino = keys::parse_ino_key(key, keys::kOrphanTag);
    if (!ino) return garbled(key, "orphan", "malformed orphan marker key");
    f_.orphans.push_back(*ino);
    ++f_.recount.orphans;
  }

  void counter(std::string_view key, std::string_view value) {
    uint64_t* slot = counter_slot(f_.counters, key.substr(1));
    if (slot == nullptr) return garbled(key, "counter", "unknown counter");
    if (value.size() != 8) {
      f_.garbled_counters.emplace_back(key.substr(1));  // reported with the counters
      return;
    }
    *slot = keys::get_u64le(value.data());
  }

  void use(std::string_view key, std::string_view value) {
    auto ino = keys::parse_ino_key(key, keys::kUseTag);
    if (!ino || value.size() != 8) return garbled(key, "lru", "malformed use record");
    f_.uses.push_back({*ino, static_cast<int64_t>(keys::get_u64be(value.data()))});
  }

  void xattr(std::string_view key, std::string_view value) {
    auto x = keys::parse_xattr_key(key);
    if (!x || x->ino == 0 || x->ino > kMaxIno || !valid_xattr_name(x->name) ||
        value.size() > kMaxXattrValueLen) {
      return garbled(key, "attribute", "malformed extended attribute record");
    }
    f_.xattrs.push_back({x->ino, std::string(key)});
  }

  void link(std::string_view key, std::string_view value) {
    auto lk = keys::parse_link_key(key);
    if (!lk || lk->ino == 0 || lk->ino > kMaxIno || !valid_name(lk->name) || !value.empty()) {
      return garbled(key, "link", "malformed link name record");
    }
    f_.links.push_back({lk->ino, lk->parent, std::string(key)});
  }

  const ScanOptions& o_;
  const uint64_t total_;  // for progress
  ScanFacts f_;
  uint64_t last_progress_ = 0;
};

}  // namespace

std::array<uint64_t*, 7> counter_fields(NsStats& st) {
  return {&st.files,        &st.dirs,    &st.symlinks,  &st.logical_bytes,
          &st.stored_bytes, &st.orphans, &st.live_bytes};
}

Result<ScanFacts> scan_records(CheckView& view, const ScanOptions& options) {
  // The live-bytes counter says about how much there is to read.
  uint64_t total = 0;
  auto live = view.get(keys::counter("live_bytes"));
  if (!live) return live.status();
  if (live->has_value() && (*live)->size() == 8) total = keys::get_u64le((*live)->data());
  Scanner scanner(options, total);
  Status st = view.scan("", "", [&](std::string_view k, std::string_view v) {
    scanner.record(k, v);
    return true;
  });
  if (!st) return st;
  return scanner.finish();
}

}  // namespace gcfs
