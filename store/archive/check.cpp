#include "store/archive/check.hpp"

#include <fmt/format.h>

#include <array>

#include "store/codec/chunk.hpp"
#include "store/local/inode_record.hpp"
#include "store/local/keys.hpp"
#include "store/store.hpp"

namespace gcfs::archive {

namespace {

Error hostile(std::string_view why) { return Error(Errc::corrupt, std::string(why)); }

bool valid_entry_name(std::string_view name) {
  return !name.empty() && name.size() <= gcfs::kMaxNameLen && name != "." && name != ".." &&
         name.find_first_of(std::string_view("/\0", 2)) == std::string_view::npos;
}

}  // namespace

Status RecordChecker::feed(std::string_view key, std::string_view value) {
  if (key.empty()) return hostile("empty key");
  if (any_ && key <= std::string_view(last_key_)) return hostile("keys out of order");
  any_ = true;
  last_key_.assign(key);
  // Live bytes count every record but the bookkeeping ones (as recount() does).
  if (key[0] != keys::kCounterTag && key != keys::kNextIno) {
    counted_.live_bytes += key.size() + value.size();
  }
  switch (key[0]) {
    case keys::kInodeTag:
      return check_inode(key, value);
    case keys::kDentryTag:
      return check_dentry(key, value);
    case keys::kChunkTag: {
      auto ck = keys::parse_chunk_key(key);
      if (!ck || ck->ino == 0 || ck->ino > kMaxIno) return hostile("malformed chunk key");
      max_ino_ = std::max(max_ino_, ck->ino);
      auto raw = decode_chunk(value, ck->ino, ck->idx, chunk_size_);
      if (!raw) return raw.error();
      counted_.stored_bytes += value.size();
      return Status::ok();
    }
    case keys::kMapTag:
      if (!keys::parse_ino_key(key, keys::kMapTag)) return hostile("malformed chunk map key");
      if (value.size() % 4 != 0) return hostile("malformed chunk map");
      return Status::ok();
    case keys::kOrphanTag:
      if (!keys::parse_ino_key(key, keys::kOrphanTag)) return hostile("malformed orphan key");
      ++counted_.orphans;
      return Status::ok();
    case keys::kCounterTag:
      return check_counter(key, value);
    case 'L':  // LRU index: last use (u64 BE) + ino -> parent + name (rocks_lru.cpp)
      if (key.size() != 17 || value.size() < 9) return hostile("malformed use index record");
      return Status::ok();
    case keys::kXattrTag: {
      auto x = keys::parse_xattr_key(key);
      if (!x || x->ino == 0 || x->ino > kMaxIno || !valid_xattr_name(x->name) ||
          value.size() > kMaxXattrValueLen) {
        return hostile("malformed extended attribute record");
      }
      // `I` keys sort before `X` keys: the inode has been seen, with its flag.
      if (whole_ && !with_xattrs_.contains(x->ino)) {
        return hostile("extended attribute of an inode without attributes");
      }
      return Status::ok();
    }
    case keys::kLinkTag: {  // a name of an inode with two or more links
      auto lk = keys::parse_link_key(key);
      if (!lk || lk->ino == 0 || lk->ino > kMaxIno || lk->parent == 0 || lk->parent > kMaxIno ||
          !valid_entry_name(lk->name) || !value.empty()) {
        return hostile("malformed link name record");
      }
      // `I` keys sort before `K` keys: the inode has been seen, with its count.
      if (whole_ && !multi_linked_.contains(lk->ino)) {
        return hostile("link name record of an inode with fewer than two links");
      }
      return Status::ok();
    }
    case 'U':  // last use of an inode
      if (key.size() != 9 || value.size() != 8) return hostile("malformed use record");
      return Status::ok();
    default:
      if (key == keys::kNextIno && value.size() == 8) {
        next_ino_ = keys::get_u64be(value.data());
        if (next_ino_ < 2 || next_ino_ > kMaxIno + 1) return hostile("inode counter out of range");
        return Status::ok();
      }
      return hostile(fmt::format("unknown key tag 0x{:02x}", static_cast<unsigned char>(key[0])));
  }
}

Status RecordChecker::feed_deletion(std::string_view key) {
  if (key.empty()) return hostile("empty key");
  if (any_ && key <= std::string_view(last_key_)) return hostile("keys out of order");
  any_ = true;
  last_key_.assign(key);
  return Status::ok();
}

Status RecordChecker::check_inode(std::string_view key, std::string_view value) {
  auto ino = keys::parse_ino_key(key, keys::kInodeTag);
  if (!ino || *ino == 0 || *ino > kMaxIno) return hostile("malformed inode key");
  auto rec = parse_inode(value, *ino);
  if (!rec) return rec.error();
  if (rec->is_special() && (!rec->data.empty() || rec->chunked || rec->size != 0)) {
    return hostile("special file with data");
  }
  if (!rec->data.empty()) {
    auto raw = decode_chunk(rec->data, *ino, 0, chunk_size_);
    if (!raw) return raw.error();
  }
  if (*ino == kRootIno) root_ = rec->is_dir();
  max_ino_ = std::max(max_ino_, *ino);
  if (rec->xattrs) with_xattrs_.insert(*ino);
  if (rec->nlink >= 2 && !rec->is_dir()) multi_linked_.insert(*ino);
  if (rec->is_dir()) {
    ++counted_.dirs;
  } else if (rec->is_symlink()) {
    if (rec->nlink > 0) ++counted_.symlinks;
  } else {
    if (rec->nlink > 0) ++counted_.files;
    counted_.logical_bytes += rec->size;
    counted_.stored_bytes += rec->data.size();
  }
  return Status::ok();
}

Status RecordChecker::check_dentry(std::string_view key, std::string_view value) {
  auto d = keys::parse_dentry(key);
  if (!d || d->parent == 0 || d->parent > kMaxIno) return hostile("malformed dentry key");
  if (!valid_entry_name(d->name)) return hostile("dentry with an illegal name");
  if (d->cookie != keys::dentry_cookie(d->name)) return hostile("dentry cookie mismatch");
  auto v = keys::parse_dentry_value(value);
  if (!v || v->ino == 0 || v->ino > kMaxIno) return hostile("malformed dentry value");
  max_ino_ = std::max(max_ino_, v->ino);
  return Status::ok();
}

Status RecordChecker::check_counter(std::string_view key, std::string_view value) {
  static constexpr std::array<std::string_view, 7> names = {
      "files", "dirs", "symlinks", "logical_bytes", "stored_bytes", "orphans", "live_bytes"};
  std::array<uint64_t*, 7> slots = {
      &counters_.files,        &counters_.dirs,    &counters_.symlinks,  &counters_.logical_bytes,
      &counters_.stored_bytes, &counters_.orphans, &counters_.live_bytes};
  if (value.size() != 8) return hostile("malformed counter");
  for (size_t i = 0; i < names.size(); ++i) {
    if (key.substr(1) == names[i]) {
      *slots[i] = keys::get_u64le(value.data());
      return Status::ok();
    }
  }
  return hostile("unknown counter");
}

Status RecordChecker::finish() {
  if (!root_) return hostile("no root directory");
  if (next_ino_ == 0) return hostile("no inode counter");
  if (max_ino_ >= next_ino_) return hostile("inode number beyond the inode counter");
  if (!(counters_ == counted_)) return hostile("counters do not match the records");
  if (header_.logical != counted_.logical_bytes || header_.stored != counted_.stored_bytes ||
      header_.files != counted_.files) {
    return hostile("header totals do not match the records");
  }
  return Status::ok();
}

}  // namespace gcfs::archive
