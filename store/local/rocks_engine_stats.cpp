// EngineStats: RocksDB properties read at scrape time (in-memory, cheap) and
// the healer's counters.
#include <rocksdb/metadata.h>

#include "store/local/rocks_store.hpp"

namespace gcfs {

namespace {
uint64_t int_property(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, const std::string& name) {
  uint64_t v = 0;
  return db->GetIntProperty(cf, name, &v) ? v : 0;
}
}  // namespace

EngineStats RocksStore::engine_stats() {
  EngineStats e;
  e.background_errors = int_property(db_, default_cf_, "rocksdb.background-errors");
  e.write_stopped = int_property(db_, default_cf_, "rocksdb.is-write-stopped") != 0;
  e.delayed_write_rate = int_property(db_, default_cf_, "rocksdb.actual-delayed-write-rate");
  e.pending_compaction_bytes =
      int_property(db_, default_cf_, "rocksdb.estimate-pending-compaction-bytes");
  std::vector<std::shared_ptr<NsState>> all;
  {
    std::shared_lock lock(map_mu_);
    for (const auto& [id, ns] : by_id_) all.push_back(ns);
  }
  for (const auto& ns : all) {
    e.pending_compaction_bytes +=
        int_property(db_, ns->cf, "rocksdb.estimate-pending-compaction-bytes");
    rocksdb::ColumnFamilyMetaData meta;
    db_->GetColumnFamilyMetaData(ns->cf, &meta);
    e.ns_physical.push_back({ns->id, meta.size + meta.blob_file_size,
                             int_property(db_, ns->cf, "rocksdb.cur-size-all-mem-tables")});
  }
  // The block cache is one for every family: read it once, through the default.
  e.block_cache_capacity = int_property(db_, default_cf_, "rocksdb.block-cache-capacity");
  e.block_cache_usage = int_property(db_, default_cf_, "rocksdb.block-cache-usage");
  e.block_cache_pinned = int_property(db_, default_cf_, "rocksdb.block-cache-pinned-usage");
  db_->GetAggregatedIntProperty("rocksdb.cur-size-all-mem-tables", &e.memtables_bytes);
  db_->GetAggregatedIntProperty("rocksdb.estimate-table-readers-mem", &e.table_readers_bytes);
  e.resume_attempts = healer_->resume_attempts();
  e.resume_failures = healer_->resume_failures();
  e.read_only = healer_->read_only();
  if (e.read_only) e.read_only_reason = healer_->read_only_reason();
  e.read_only_refusals = healer_->read_only_refusals();
  return e;
}

}  // namespace gcfs
