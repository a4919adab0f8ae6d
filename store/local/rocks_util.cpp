// Shared plumbing of RocksStore: finding a namespace, locking it, mapping
// RocksDB errors, the free-space check and writing a batch.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/statvfs.h>

#include "store/local/keys.hpp"
#include "store/local/rocks_store.hpp"

namespace gcfs {

NsState::~NsState() { db->DestroyColumnFamilyHandle(cf); }

Status check_entry_name(std::string_view name) {
  if (name.size() > kMaxNameLen) {
    return Error(Errc::name_too_long, fmt::format("name of {} bytes", name.size()));
  }
  if (name.empty() || name == "." || name == ".." ||
      name.find_first_of(std::string_view("/\0", 2)) != std::string_view::npos) {
    return Error(Errc::invalid, "invalid entry name");
  }
  return Status::ok();
}

Result<std::shared_ptr<NsState>> RocksStore::ns_state(NsId ns) {
  std::shared_lock lock(map_mu_);
  auto it = by_id_.find(ns);
  if (it == by_id_.end()) return Error(Errc::not_found, fmt::format("no namespace {}", ns));
  return it->second;
}

Result<std::unique_lock<std::mutex>> RocksStore::lock_ns(NsState& ns) {
  if (auto s = check_writable(); !s) return s;
  std::unique_lock lock(ns.mu);
  if (ns.dropped) return Error(Errc::not_found, fmt::format("namespace {} was dropped", ns.id));
  return lock;
}

Status RocksStore::check_writable() const {
  if (opts_.read_only) return Error(Errc::read_only, "store opened read-only");
  return healer_->check_writable();
}

std::optional<uint64_t> RocksStore::free_bytes() const {
  struct statvfs vfs {};
  if (::statvfs(opts_.path.c_str(), &vfs) != 0) return std::nullopt;
  return static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
}

Status RocksStore::check_space(uint64_t bytes) const {
  if (bytes == 0) return Status::ok();
  const auto avail = free_bytes();
  if (!avail) return Status::ok();  // cannot tell: let it try
  const uint64_t free = *avail;
  // Memtables are written out again as SST files by a flush: keep room for
  // that, or RocksDB would hit the full disk itself and stop all writes.
  uint64_t memtables = 0;
  db_->GetAggregatedIntProperty("rocksdb.cur-size-all-mem-tables", &memtables);
  const uint64_t need = bytes + memtables + opts_.reserve_bytes;
  if (need > free) {
    if (reclaimer_) reclaimer_->request();
    return Error(Errc::no_space, fmt::format("store disk has {} bytes free; writing {} would leave "
                                             "less than the reserve ({} bytes) and room to flush "
                                             "{} bytes of memtables",
                                             free, bytes, opts_.reserve_bytes, memtables));
  }
  return Status::ok();
}

Error RocksStore::map_error(const rocksdb::Status& s, std::string_view what) const {
  Errc code = Errc::io;
  if (s.IsNoSpace()) {
    code = Errc::no_space;
  } else if (s.IsCorruption()) {
    code = Errc::corrupt;
  } else if (s.IsNotFound() || s.IsPathNotFound()) {
    code = Errc::not_found;
  } else if (s.IsInvalidArgument()) {
    code = Errc::invalid;
  } else if (s.IsNotSupported()) {
    code = Errc::not_supported;
  }
  return Error(code, fmt::format("{}: {}", what, s.ToString()));
}

Status RocksStore::write_batch(rocksdb::WriteBatch& batch, std::string_view what) {
  auto s = db_->Write(rocksdb::WriteOptions(), &batch);
  // A background error (e.g. a flush that met a full disk) stops every
  // write, deletions too: resume at once and retry, so that freeing space
  // (or deleting files to do so) works without waiting for the backoff.
  if (!s.ok() && !s.IsCorruption() && healer_->resume_now()) {
    s = db_->Write(rocksdb::WriteOptions(), &batch);
  }
  if (!s.ok()) {
    spdlog::error("store {}: {} failed: {}", opts_.path, what, s.ToString());
    // Corruption found by a write: refuse writes from now on rather than write on.
    if (s.IsCorruption()) healer_->enter_read_only(fmt::format("{}: {}", what, s.ToString()));
    return map_error(s, what);
  }
  return Status::ok();
}

Result<InodeRecord> RocksStore::read_inode(NsState& ns, const rocksdb::Snapshot* snap, Ino ino) {
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  rocksdb::PinnableSlice v;
  auto s = db_->Get(ro, ns.cf, keys::inode(ino), &v);
  if (s.IsNotFound()) return Error(Errc::not_found, fmt::format("no inode {}", ino));
  if (!s.ok()) return map_error(s, fmt::format("reading inode {}", ino));
  auto rec = parse_inode(v.ToStringView(), ino);
  if (!rec) spdlog::error("namespace {}: {}", ns.id, rec.error().message());
  return rec;
}

// ---- Txn --------------------------------------------------------------------

Result<InodeRecord*> Txn::inode(Ino ino) {
  auto it = cache_.find(ino);
  if (it != cache_.end()) {
    if (it->second.mark == Mark::erase) return Error(Errc::not_found, "inode removed");
    return &it->second.rec;
  }
  auto rec = store_.read_inode(ns_, nullptr, ino);
  if (!rec) return rec.error();
  // The encoding is deterministic: re-serializing gives the stored size,
  // which the live-bytes accounting needs when the record is replaced.
  const size_t size = serialize_inode(*rec).size();
  return &cache_.emplace(ino, Entry{std::move(rec).value(), Mark::clean, size}).first->second.rec;
}

Result<InodeRecord*> Txn::dir(Ino ino) {
  auto rec = inode(ino);
  if (rec && !(*rec)->is_dir()) return Error(Errc::not_dir, "parent is not a directory");
  return rec;
}

Result<std::optional<keys::DentryValue>> Txn::find_dentry(std::string_view key) {
  auto v = get(key);
  if (!v) return v.status();
  if (!v->has_value()) return std::optional<keys::DentryValue>();
  auto d = keys::parse_dentry_value(**v);
  if (!d) return Error(Errc::corrupt, "garbled directory entry");
  return d;
}

Result<keys::DentryValue> Txn::dentry(std::string_view key) {
  auto d = find_dentry(key);
  if (!d) return d.status();
  if (!d->has_value()) return Error(Errc::not_found, "no such entry");
  return **d;
}

void Txn::mark(Ino ino) {
  auto it = cache_.find(ino);
  assert(it != cache_.end());
  it->second.mark = Mark::put;
}

Status Txn::erase(Ino ino) {
  auto it = cache_.find(ino);
  if (it == cache_.end()) {
    // The stored record's size leaves the live bytes: read it raw, so that a
    // damaged record can still be removed exactly (a missing one counts 0).
    // Unreadable, the count would drift: the mutation fails instead.
    auto raw = get(keys::inode(ino));
    if (!raw) return raw.status();
    it = cache_.emplace(ino, Entry{{}, Mark::clean, raw->has_value() ? (*raw)->size() : 0}).first;
    // A damaged record cannot say whether it has attributes: look.
    if (raw->has_value()) {
      auto rec = parse_inode(**raw, ino);
      it->second.rec.xattrs = !rec || rec->xattrs;
    }
  }
  // An inode's extended attributes go with it (a purged orphan, a removed
  // directory), in the same batch.
  if (it->second.rec.xattrs) {
    auto s = scan(keys::xattr_prefix(ino), [&](std::string_view k, std::string_view v) {
      batch_.Delete(ns_.cf, k);
      deltas.del_kv(k.size(), v.size());
    });
    if (!s) return s;
  }
  it->second.mark = Mark::erase;
  return Status::ok();
}

void Txn::put_new(Ino ino, InodeRecord rec) {
  auto it = cache_.find(ino);
  const size_t old = it == cache_.end() ? 0 : it->second.old_value_size;
  cache_[ino] = Entry{std::move(rec), Mark::put, old};
}

Result<std::optional<std::string>> Txn::get(std::string_view key) {
  std::string v;
  auto s = store_.db_->Get(rocksdb::ReadOptions(), ns_.cf, key, &v);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return store_.map_error(s, "reading namespace state");
  return std::optional<std::string>(std::move(v));
}

Status Txn::scan(std::string_view prefix,
                 const std::function<void(std::string_view, std::string_view)>& fn) {
  const std::string end = keys::prefix_end(prefix);
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions ro;
  if (!end.empty()) ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(store_.db_->NewIterator(ro, ns_.cf));
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    fn(it->key().ToStringView(), it->value().ToStringView());
  }
  if (!it->status().ok()) return store_.map_error(it->status(), "scanning namespace state");
  return Status::ok();
}

Status Txn::write(std::string_view what) {
  if (auto s = store_.check_space(data_bytes); !s) return s;
  constexpr size_t kInodeKey = 1 + 8;
  for (const auto& [ino, e] : cache_) {
    if (e.mark == Mark::clean) continue;
    if (e.old_value_size != 0) deltas.del_kv(kInodeKey, e.old_value_size);
    if (e.mark == Mark::put) {
      std::string v = serialize_inode(e.rec);
      deltas.put_kv(kInodeKey, v.size());
      batch_.Put(ns_.cf, keys::inode(ino), v);
    }
    if (e.mark == Mark::erase) batch_.Delete(ns_.cf, keys::inode(ino));
  }
  deltas.add_to(batch_, ns_.cf);
  return store_.write_batch(batch_, what);
}

// One record of a family as stored (the LRU index reads `U` records so).
Result<std::optional<std::string>> RocksStore::get_raw(NsId id, std::string_view key) {
  auto state = ns_state(id);
  if (!state) return state.status();
  std::string v;
  auto s = db_->Get(rocksdb::ReadOptions(), (*state)->cf, key, &v);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return map_error(s, "raw read");
  return std::optional<std::string>(std::move(v));
}

}  // namespace gcfs
