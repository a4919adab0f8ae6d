// The RocksDB store's side of export and import: reading a snapshot family's
// records (or, for a delta, what differs from a base snapshot's) for the
// archive module (store/archive/archive.hpp) and writing an archive's records
// (a full archive's with its deltas applied) into a new family. Import: pass
// 1 reads and verifies every file without touching the store. Only then pass 2 writes the
// records into a new hidden family (WAL off, flushed before registering) and
// one final registry batch makes it a snapshot or a namespace. A failure in
// pass 2 drops the family; a crash leaves an unregistered family that the
// next open drops.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "store/archive/archive.hpp"
#include "store/archive/chain.hpp"
#include "store/local/keys.hpp"
#include "store/local/rocks_store.hpp"
#include "store/local/snapshot_record.hpp"

namespace gcfs {

namespace {

// The records a delta is taken against, in key order: another snapshot's
// family, or an archive file (the records a restore of it would write).
class BaseRecords {
 public:
  virtual ~BaseRecords() = default;
  virtual bool valid() const = 0;
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  virtual Status next() = 0;
  // After the last record: whether the whole base was read as it should be,
  // given the content id of what was read.
  virtual Status finish(const archive::ContentId& read) = 0;
};

class FamilyBase final : public BaseRecords {
 public:
  explicit FamilyBase(rocksdb::Iterator* it) : it_(it) { it_->SeekToFirst(); }
  bool valid() const override { return it_->Valid(); }
  std::string_view key() const override { return it_->key().ToStringView(); }
  std::string_view value() const override { return it_->value().ToStringView(); }
  Status next() override {
    it_->Next();
    return Status::ok();
  }
  Status finish(const archive::ContentId&) override { return Status::ok(); }
  const rocksdb::Status status() const { return it_->status(); }

 private:
  std::unique_ptr<rocksdb::Iterator> it_;
};

class ArchiveBase final : public BaseRecords {
 public:
  static Result<std::unique_ptr<ArchiveBase>> open(const std::string& path, uint32_t chunk_size) {
    auto chain = archive::Chain::open({path});
    if (!chain)
      return Error(chain.code(), fmt::format("base archive: {}", chain.error().message()));
    const archive::Header& h = (*chain)->head();
    if (h.chunk_size != chunk_size) {
      return Error(Errc::not_supported, fmt::format("base archive has chunk size {}, this store {}",
                                                    h.chunk_size, chunk_size));
    }
    if (h.content.none()) {
      return Error(Errc::not_supported,
                   "base archive has no content id (written by an older gocachefs): export a "
                   "full archive instead");
    }
    std::unique_ptr<ArchiveBase> b(new ArchiveBase(std::move(chain).value()));
    GCFS_TRY(b->next());
    return b;
  }
  bool valid() const override { return valid_; }
  std::string_view key() const override { return key_; }
  std::string_view value() const override { return value_; }
  Status next() override {
    auto more = chain_->next(&key_, &value_);
    if (!more) return Error(more.code(), fmt::format("base archive: {}", more.error().message()));
    valid_ = *more;
    return Status::ok();
  }
  Status finish(const archive::ContentId& read) override {
    if (read != chain_->head().content) {
      return Error(Errc::corrupt, "base archive: its records do not match its content id");
    }
    return Status::ok();
  }

 private:
  explicit ArchiveBase(std::unique_ptr<archive::Chain> chain) : chain_(std::move(chain)) {}
  std::unique_ptr<archive::Chain> chain_;
  std::string_view key_, value_;
  bool valid_ = false;
};

}  // namespace

Result<ArchiveSummary> RocksStore::export_snapshot(std::string_view name, const std::string& path,
                                                   const Progress& progress,
                                                   const DeltaBase& since) {
  SnapshotInfo info;
  GCFS_TRY_ASSIGN(auto state, snapshot_state(name, &info));
  GCFS_TRY_ASSIGN(NsStats counters, read_counters(*state));
  if (!since.snapshot.empty() && !since.archive.empty()) {
    return Error(Errc::invalid, "a delta has one base: a snapshot or an archive, not both");
  }
  SnapshotGuard snap(db_);
  rocksdb::ReadOptions ro;
  ro.snapshot = snap.get();
  ro.fill_cache = false;  // one pass over everything: do not evict the hot set
  std::unique_ptr<BaseRecords> base;
  const FamilyBase* base_family = nullptr;  // its read errors are the engine's
  if (!since.snapshot.empty()) {
    if (since.snapshot == name)
      return Error(Errc::invalid, "a snapshot cannot be a delta of itself");
    auto b = snapshot_state(since.snapshot, nullptr);
    if (!b) {
      return Error(b.code(),
                   fmt::format("base snapshot {}: {}", since.snapshot, b.error().message()));
    }
    auto family = std::make_unique<FamilyBase>(db_->NewIterator(ro, (*b)->cf));
    base_family = family.get();
    base = std::move(family);
  } else if (!since.archive.empty()) {
    GCFS_TRY_ASSIGN(base, ArchiveBase::open(since.archive, chunk_size_));
  }

  archive::Header h;
  h.chunk_size = chunk_size_;
  h.created = info.created;
  h.logical = counters.logical_bytes;
  h.stored = counters.stored_bytes;
  h.files = counters.files;
  h.ns = info.source_ns;
  h.go_version = info.go_version;

  auto records = [&](const archive::RecordEmit& emit, archive::Header* out) -> Status {
    archive::ContentDigest content, base_content;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, state->cf));
    it->SeekToFirst();
    // A delta: the snapshot's records that the base lacks or holds with
    // another value, and deletions of the base's keys the snapshot lacks.
    for (;;) {
      const bool a = it->Valid(), b = base && base->valid();
      if (!a && !b) break;
      const int order = !b ? -1 : !a ? 1 : it->key().ToStringView().compare(base->key());
      if (order <= 0) content.add(it->key().ToStringView(), it->value().ToStringView());
      if (order >= 0) base_content.add(base->key(), base->value());
      if (order < 0 || (order == 0 && it->value().ToStringView() != base->value())) {
        GCFS_TRY(emit({it->key().ToStringView(), it->value().ToStringView(), false}));
      } else if (order > 0) {
        GCFS_TRY(emit({base->key(), {}, true}));
      }
      if (order <= 0) it->Next();
      if (order >= 0) GCFS_TRY(base->next());
    }
    if (!it->status().ok()) return map_error(it->status(), "reading the snapshot");
    if (base_family && !base_family->status().ok()) {
      return map_error(base_family->status(), "reading the base snapshot");
    }
    out->content = content.id();
    if (base) {
      GCFS_TRY(base->finish(base_content.id()));
      out->base = base_content.id();
    }
    return Status::ok();
  };
  return archive::write(h, path, records, progress);
}

Result<ArchiveSummary> RocksStore::import_archives(const std::vector<std::string>& paths,
                                                   std::string_view as_name, bool as_namespace,
                                                   const Progress& progress) {
  if (!valid_namespace_name(as_name)) {
    return Error(Errc::invalid, fmt::format("invalid name '{}'", as_name));
  }
  if (auto s = check_writable(); !s) return s;
  auto taken = [&]() -> Status {
    if (as_namespace ? find_namespace(as_name).is_ok() : snapshot_state(as_name, nullptr).is_ok()) {
      return Error(Errc::exists,
                   fmt::format("{} {} exists", as_namespace ? "namespace" : "snapshot", as_name));
    }
    return Status::ok();
  };
  if (auto s = taken(); !s) return s;
  std::vector<uint64_t> verified;
  auto sum = archive::verify(paths, chunk_size_, progress, &verified);
  if (!sum) return sum.code() == Errc::not_found ? sum.error() : archive::refused(sum.error());

  // Reserve an id (persisted, never reused) without holding admin_mu_ for
  // the long write.
  NsId id = 0;
  {
    std::lock_guard admin(admin_mu_);
    if (next_ns_ > kMaxNsId) return Error(Errc::no_space, "ids exhausted");
    id = next_ns_;
    rocksdb::WriteBatch b;
    std::string next;
    keys::put_u64be(next, id + 1);
    b.Put(default_cf_, keys::kNextNs, next);
    if (auto w = write_batch(b, "reserving an id"); !w) return w;
    next_ns_ = id + 1;
  }
  const std::string family = as_namespace ? keys::family_name(id) : snapshot_family_name(id);
  rocksdb::ColumnFamilyHandle* cf = nullptr;
  auto cs = db_->CreateColumnFamily(family_options(), family, &cf);
  if (!cs.ok()) return map_error(cs, "creating the import family");
  auto state = std::make_shared<NsState>(db_, id, cf);
  auto fail = [&](Error e) -> Error {
    if (auto d = db_->DropColumnFamily(cf); !d.ok()) spdlog::warn("{}", d.ToString());
    return e;
  };

  // Pass 2.
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;  // flushed below, before the registry batch makes it live
  rocksdb::WriteBatch batch;
  auto write_batch_out = [&]() -> Status {
    GCFS_TRY(check_space(batch.GetDataSize()));
    if (auto w = db_->Write(wo, &batch); !w.ok()) return map_error(w, "writing the import");
    batch.Clear();
    return Status::ok();
  };
  auto sink = [&](std::string_view k, std::string_view v) -> Status {
    batch.Put(cf, k, v);
    if (batch.GetDataSize() >= archive::kMaxPartRaw) return write_batch_out();
    return Status::ok();
  };
  Status replayed = archive::replay(paths, verified, sink, progress);
  if (replayed) replayed = write_batch_out();
  if (!replayed) return fail(replayed.error());
  if (auto f = db_->Flush(rocksdb::FlushOptions(), cf); !f.ok()) {
    return fail(map_error(f, "flushing the import"));
  }
  std::string n;
  if (auto g = db_->Get(rocksdb::ReadOptions(), cf, keys::kNextIno, &n); !g.ok() || n.size() != 8) {
    return fail(Error(Errc::corrupt, "imported family has no inode counter"));
  }
  state->next_ino = keys::get_u64be(n.data());

  std::lock_guard admin(admin_mu_);
  if (auto s = taken(); !s) return fail(s.error());
  rocksdb::WriteBatch reg;
  SnapshotInfo info;
  if (as_namespace) {
    std::string v;
    keys::put_u32be(v, id);
    reg.Put(default_cf_, keys::ns_by_name(as_name), v);
    reg.Put(default_cf_, keys::ns_by_id(id), as_name);
  } else {
    info.name = as_name;
    info.id = id;
    info.source_ns = sum->ns;
    info.created = sum->created;
    info.go_version = sum->go_version;
    reg.Put(default_cf_, snapshot_key(as_name), encode_snapshot_record(info));
  }
  if (auto w = write_batch(reg, "registering the import"); !w) return fail(w.error());
  {
    std::unique_lock lock(map_mu_);
    if (as_namespace) {
      by_id_.emplace(id, state);
      by_name_.emplace(std::string(as_name), id);
    } else {
      snaps_.emplace(info.name, SnapEntry{info, state});
    }
  }
  if (as_namespace) purge_orphans_quietly(id);
  return sum;
}

}  // namespace gcfs
