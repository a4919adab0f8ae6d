// Opening and closing the RocksDB store: options, the column families, the
// recorded format, the namespace registry and leftover orphans.
#include <fmt/format.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/sst_file_manager.h>
#include <rocksdb/table.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>

#include "store/local/keys.hpp"
#include "store/local/merge_u64.hpp"
#include "store/local/rocks_logger.hpp"
#include "store/local/rocks_store.hpp"

namespace gcfs {

namespace {

// 4 block cache shards: few threads use it, and each shard must hold an
// SST's whole index block (about 1 MiB for a 64 MiB file).
constexpr int kCacheShardBits = 2;

constexpr std::string_view kFormatMagic = "gcfs";
constexpr uint32_t kFormatVersion = 1;

std::string format_value(uint32_t chunk_size) {
  std::string v(kFormatMagic);
  keys::put_u32be(v, kFormatVersion);
  keys::put_u32be(v, chunk_size);
  return v;
}

bool contains(const std::string& s, std::string_view what) {
  return s.find(what) != std::string::npos;
}

}  // namespace

Result<std::unique_ptr<Store>> open_rocks_store(const StoreOptions& options) {
  auto store = RocksStore::open(options);
  if (!store) return store.error();
  return std::unique_ptr<Store>(std::move(store).value());
}

Result<std::unique_ptr<RocksStore>> RocksStore::open(const StoreOptions& options) {
  if (options.path.empty()) return Error(Errc::invalid, "store path is empty");
  if (options.chunk_size < 4096 || options.chunk_size > (64u << 20)) {
    return Error(Errc::invalid,
                 fmt::format("chunk size {} outside 4 KiB..64 MiB", options.chunk_size));
  }
  std::unique_ptr<RocksStore> store(new RocksStore(options));
  if (auto s = store->open_db(); !s) return s;
  if (auto s = store->load_format(); !s) return s;
  if (auto s = store->load_snapshot_registry(); !s) return s;
  if (auto s = store->load_namespaces(); !s) return s;
  if (auto s = store->finish_snapshots(); !s) return s;
  if (auto s = store->backfill_live_bytes(); !s) return s;
  if (auto s = store->purge_leftover_orphans(); !s) return s;
  if (!options.read_only) {
    RocksStore* self = store.get();
    auto families = [self] {
      std::vector<std::shared_ptr<NsState>> all;
      {
        std::shared_lock lock(self->map_mu_);
        for (auto& [id, ns] : self->by_id_) all.push_back(ns);
      }
      std::vector<SpaceReclaimer::Family> out;
      for (auto& ns : all) {
        auto counters = self->read_counters(*ns);
        if (!counters) continue;  // dropped meanwhile, or unreadable: leave it
        rocksdb::ColumnFamilyMetaData md;
        self->db_->GetColumnFamilyMetaData(ns->cf, &md);
        out.push_back({ns->id, md.size + md.blob_file_size, counters->live_bytes});
      }
      return out;
    };
    auto compact = [self](NsId id, std::atomic<bool>* cancel) {
      CompactRequest urgent;
      urgent.low_priority = false;
      urgent.cancel = cancel;
      return self->compact(id, urgent);
    };
    self->reclaimer_ = std::make_unique<SpaceReclaimer>(std::move(families), std::move(compact));
  }
  return store;
}

RocksStore::RocksStore(const StoreOptions& options)
    : opts_(options),
      chunk_size_(options.chunk_size),
      block_cache_(rocksdb::NewLRUCache(options.block_cache_bytes, kCacheShardBits)),
      merge_op_(make_u64_add_operator()),
      healer_(std::make_unique<Healer>(options.path)) {}

RocksStore::~RocksStore() {
  healer_->stop();     // no Resume() may run while the database closes
  reclaimer_.reset();  // its thread uses the DB
  if (db_ != nullptr && !opts_.read_only) {
    // Leave no WAL behind: the next open is quick and the footprint honest.
    std::vector<rocksdb::ColumnFamilyHandle*> families;
    if (default_cf_ != nullptr) families.push_back(default_cf_);
    {
      std::shared_lock lock(map_mu_);
      for (auto& [id, ns] : by_id_) families.push_back(ns->cf);
    }
    if (auto s = db_->Flush(rocksdb::FlushOptions(), families); !s.ok()) {
      spdlog::warn("flushing store {}: {}", opts_.path, s.ToString());
    }
  }
  {
    std::unique_lock lock(map_mu_);
    by_name_.clear();
    snaps_.clear();
    by_id_.clear();  // destroys the family handles (nobody else holds them now)
  }
  if (db_ != nullptr) {
    if (default_cf_ != nullptr) db_->DestroyColumnFamilyHandle(default_cf_);
    if (auto s = db_->Close(); !s.ok())
      spdlog::warn("closing store {}: {}", opts_.path, s.ToString());
    delete db_;
  }
}

rocksdb::ColumnFamilyOptions RocksStore::family_options() {
  rocksdb::ColumnFamilyOptions cf;
  // Chunks are LZ4-compressed once at commit; never recompress in compactions.
  cf.compression = rocksdb::kNoCompression;
  cf.bottommost_compression = rocksdb::kNoCompression;
  // Optionally, file data goes to blob files, out of the LSM tree's compactions.
  cf.enable_blob_files = opts_.min_blob_size > 0;
  cf.min_blob_size = opts_.min_blob_size;
  cf.blob_compression_type = rocksdb::kNoCompression;
  cf.enable_blob_garbage_collection = true;
  cf.write_buffer_size = opts_.write_buffer_bytes;
  cf.merge_operator = merge_op_;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = block_cache_;  // one cache shared by every namespace
  // Index and filter blocks live in (and are bounded by) the block cache.
  // The cache has few shards (see open) so that a 64 MiB SST's ~1 MiB index
  // fits one: with the default 1 MiB shards it was evicted and re-read on
  // nearly every lookup (410 us instead of 13 us at 1M entries).
  table.cache_index_and_filter_blocks = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.whole_key_filtering = true;
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return cf;
}

Status RocksStore::open_db() {
  namespace fs = std::filesystem;
  const std::string& dir = opts_.path;
  std::error_code ec;
  if (!opts_.read_only && opts_.create_if_missing) {
    fs::create_directories(dir, ec);
    if (ec) {
      Errc code = ec == std::errc::permission_denied ? Errc::permission : Errc::io;
      return Error(code, fmt::format("cannot create store directory {}: {}", dir, ec.message()));
    }
  }
  if (!fs::exists(dir, ec)) {
    return Error(Errc::not_found, fmt::format("store directory {} does not exist", dir));
  }
  if (!opts_.read_only && ::access(dir.c_str(), W_OK) != 0) {
    return Error(Errc::permission, fmt::format("store directory {} is not writable", dir));
  }

  rocksdb::DBOptions db;
  db.create_if_missing = opts_.create_if_missing;
  db.create_missing_column_families = true;
  db.max_background_jobs = 2;
  db.keep_log_file_num = 2;
  // A family whose memtable still refers to an old WAL keeps that WAL alive
  // (the registry family is written rarely): past this total, flush it.
  db.max_total_wal_size = 2 * opts_.write_buffer_bytes;
  db.db_write_buffer_size = opts_.memtable_total_bytes;
  // The default preallocates 4 MiB of MANIFEST: a small store's footprint
  // would be mostly that (docs/space.md).
  db.manifest_preallocation_size = 256 << 10;
  // RocksDB reserves a write-ahead log's blocks 1.1 memtables ahead (35 MiB
  // here) and SST blocks a file ahead: `du` of a mounted store showed them as
  // used (0.90 of the plain cache against 0.69 in apparent size). Files that
  // grow as written are what a size limit can be held to.
  db.allow_fallocate = false;
  db.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  db.info_log = make_spdlog_rocks_logger();  // no LOG files in the store
  // Postpones compactions the disk has no room for, and resumes writes by
  // itself once space is back after a full disk.
  db.sst_file_manager.reset(rocksdb::NewSstFileManager(rocksdb::Env::Default()));
  // Flush and compaction writes pass it; background compactions lower it.
  rate_limiter_.reset(rocksdb::NewGenericRateLimiter(kUnthrottledRate));
  db.rate_limiter = rate_limiter_;
  if (!opts_.read_only) db.listeners.push_back(healer_->listener());

  // Every existing family must be named at Open.
  std::vector<std::string> families{rocksdb::kDefaultColumnFamilyName};
  if (fs::exists(fs::path(dir) / "CURRENT", ec)) {
    families.clear();
    auto s = rocksdb::DB::ListColumnFamilies(db, dir, &families);
    if (!s.ok()) return map_error(s, fmt::format("listing column families of {}", dir));
  }
  const rocksdb::ColumnFamilyOptions cf_options = family_options();
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : families) descriptors.emplace_back(name, cf_options);

  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::Status s;
  if (opts_.read_only) {
    s = rocksdb::DB::OpenForReadOnly(db, dir, descriptors, &handles, &db_);
  } else {
    s = rocksdb::DB::Open(db, dir, descriptors, &handles, &db_);
  }
  if (!s.ok()) {
    db_ = nullptr;
    const std::string msg = s.ToString();
    // RocksDB reports its LOCK file held as "While lock file: <dir>/LOCK:
    // Resource temporarily unavailable" (another process) or "lock hold by
    // current process" (this one).
    if (s.IsIOError() && (contains(msg, "/LOCK") || contains(msg, "lock hold"))) {
      return Error(Errc::busy, fmt::format("store {} is locked by another process (is a "
                                           "gocachefs daemon running on it?)",
                                           dir));
    }
    if (contains(msg, "Permission denied")) {
      return Error(Errc::permission, fmt::format("opening store {}: {}", dir, msg));
    }
    return map_error(s, fmt::format("opening store {}", dir));
  }

  if (!opts_.read_only) healer_->attach(db_);
  // Keep the default handle and the namespace families; load_namespaces
  // sorts the latter out.
  for (auto* h : handles) {
    if (h->GetName() == rocksdb::kDefaultColumnFamilyName) {
      default_cf_ = h;
      continue;
    }
    auto id = keys::parse_family_name(h->GetName());
    if (!id && adopt_snapshot_family(h)) continue;
    if (!id) {
      spdlog::warn("store {}: ignoring unknown column family {}", dir, h->GetName());
      db_->DestroyColumnFamilyHandle(h);
      continue;
    }
    by_id_.emplace(*id, std::make_shared<NsState>(db_, *id, h));
  }
  return Status::ok();
}

Status RocksStore::load_format() {
  std::string v;
  auto s = db_->Get(rocksdb::ReadOptions(), default_cf_, keys::kFormat, &v);
  if (s.IsNotFound()) {
    // A new store records the chunk size it is created with.
    std::string probe;
    auto next = db_->Get(rocksdb::ReadOptions(), default_cf_, keys::kNextNs, &probe);
    if (next.ok() || !by_id_.empty()) {
      return Error(Errc::corrupt,
                   fmt::format("store {} has data but no format record", opts_.path));
    }
    if (opts_.read_only) return Error(Errc::read_only, "cannot initialize a read-only store");
    rocksdb::WriteBatch batch;
    batch.Put(default_cf_, keys::kFormat, format_value(chunk_size_));
    std::string next_ns;
    keys::put_u64be(next_ns, 1);
    batch.Put(default_cf_, keys::kNextNs, next_ns);
    if (auto w = write_batch(batch, "initializing the store"); !w) return w;
  } else if (!s.ok()) {
    return map_error(s, "reading the store format");
  } else {
    if (v.size() != kFormatMagic.size() + 8 || !v.starts_with(kFormatMagic)) {
      return Error(Errc::corrupt, fmt::format("store {}: bad format record", opts_.path));
    }
    const uint32_t version = keys::get_u32be(v.data() + 4);
    if (version != kFormatVersion) {
      return Error(Errc::not_supported,
                   fmt::format("store {} has format version {}, this build reads {}", opts_.path,
                               version, kFormatVersion));
    }
    chunk_size_ = keys::get_u32be(v.data() + 8);
    if (chunk_size_ == 0) return Error(Errc::corrupt, "recorded chunk size is 0");
  }
  // Inline data is chunk 0 of its file, so it cannot exceed a chunk.
  inline_max_ = std::min(opts_.inline_max, chunk_size_);
  return Status::ok();
}

Status RocksStore::load_namespaces() {
  // Registry: 'i' + id -> name.
  std::map<NsId, std::string> registry;
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), default_cf_));
    const std::string prefix(1, keys::kNsByIdTag);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      if (it->key().size() != 5) continue;
      registry.emplace(keys::get_u32be(it->key().data() + 1), it->value().ToString());
    }
    if (!it->status().ok()) return map_error(it->status(), "reading the namespace registry");
  }
  std::string v;
  auto s = db_->Get(rocksdb::ReadOptions(), default_cf_, keys::kNextNs, &v);
  if (s.ok() && v.size() == 8) next_ns_ = static_cast<NsId>(keys::get_u64be(v.data()));
  if (!s.ok() && !s.IsNotFound()) return map_error(s, "reading next_ns");

  for (auto it = by_id_.begin(); it != by_id_.end();) {
    const NsId id = it->first;
    next_ns_ = std::max<NsId>(next_ns_, id + 1);
    auto reg = registry.find(id);
    if (reg == registry.end() && adopt_relabelled_family(id, it->second)) {
      it = by_id_.erase(it);  // a swapped-out namespace, kept as a snapshot
      continue;
    }
    if (reg == registry.end()) {
      // A create that died between CreateColumnFamily and its registry batch.
      spdlog::warn("store {}: dropping unregistered column family {}", opts_.path,
                   keys::family_name(id));
      if (!opts_.read_only) {
        if (auto d = db_->DropColumnFamily(it->second->cf); !d.ok()) {
          return map_error(d, "dropping an unregistered column family");
        }
      }
      it = by_id_.erase(it);
      continue;
    }
    std::string n;
    auto g = db_->Get(rocksdb::ReadOptions(), it->second->cf, keys::kNextIno, &n);
    if (!g.ok() || n.size() != 8) {
      return Error(Errc::corrupt, fmt::format("namespace {} has no inode counter", reg->second));
    }
    it->second->next_ino = keys::get_u64be(n.data());
    by_name_.emplace(reg->second, id);
    registry.erase(reg);
    ++it;
  }
  for (const auto& [id, name] : registry) {
    spdlog::warn("store {}: namespace {} (id {}) has no column family; ignored", opts_.path, name,
                 id);
  }
  return Status::ok();
}

Status RocksStore::purge_leftover_orphans() {
  if (opts_.read_only) return Status::ok();
  // Nothing refers to an orphan once the previous process is gone.
  for (auto& [id, ns] : by_id_) {
    std::vector<Ino> orphans;
    {
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), ns->cf));
      const std::string prefix(1, keys::kOrphanTag);
      for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
        if (auto ino = keys::parse_ino_key(it->key().ToStringView(), keys::kOrphanTag)) {
          orphans.push_back(*ino);
        }
      }
      if (!it->status().ok()) return map_error(it->status(), "listing orphans");
    }
    for (Ino ino : orphans) {
      if (auto s = purge(id, ino); !s) return s;
    }
  }
  return Status::ok();
}

}  // namespace gcfs
