// Test hooks of store/testing.hpp.
#include <fmt/format.h>

#include "store/local/rocks_store.hpp"
#include "store/testing/testing.hpp"

namespace gcfs {

Status RocksStore::put_raw(NsId id, std::string_view key, std::string_view value) {
  auto state = ns_state(id);
  if (!state) return state.status();
  rocksdb::WriteBatch batch;
  batch.Put((*state)->cf, key, value);
  return write_batch(batch, "raw test write");
}

Status RocksStore::delete_raw(NsId id, std::string_view key) {
  auto state = ns_state(id);
  if (!state) return state.status();
  rocksdb::WriteBatch batch;
  batch.Delete((*state)->cf, key);
  return write_batch(batch, "raw test delete");
}

Result<std::map<std::string, std::string>> RocksStore::dump_raw(NsId id) {
  auto state = ns_state(id);
  if (!state) return state.status();
  std::map<std::string, std::string> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), (*state)->cf));
  for (it->SeekToFirst(); it->Valid(); it->Next())
    out.emplace(it->key().ToString(), it->value().ToString());
  if (!it->status().ok()) return map_error(it->status(), "raw test dump");
  return out;
}

namespace testing {

static RocksStore* rocks(Store& store) { return dynamic_cast<RocksStore*>(&store); }

Status put_raw(Store& store, NsId ns, std::string_view key, std::string_view value) {
  auto* r = rocks(store);
  if (r == nullptr) return Error(Errc::not_supported, "not a RocksDB store");
  return r->put_raw(ns, key, value);
}

Result<std::optional<std::string>> get_raw(Store& store, NsId ns, std::string_view key) {
  auto* r = rocks(store);
  if (r == nullptr) return Error(Errc::not_supported, "not a RocksDB store");
  return r->get_raw(ns, key);
}

Status delete_raw(Store& store, NsId ns, std::string_view key) {
  auto* r = rocks(store);
  if (r == nullptr) return Error(Errc::not_supported, "not a RocksDB store");
  return r->delete_raw(ns, key);
}

Result<std::map<std::string, std::string>> dump_raw(Store& store, NsId ns) {
  auto* r = rocks(store);
  if (r == nullptr) return Error(Errc::not_supported, "not a RocksDB store");
  return r->dump_raw(ns);
}

Status simulate_background_error(Store& store, bool fatal) {
  auto* r = rocks(store);
  if (r == nullptr) return Error(Errc::not_supported, "not a RocksDB store");
  r->healer_->on_background_error("compaction (simulated)",
                                  fatal ? rocksdb::Status::Corruption("simulated bad block")
                                        : rocksdb::Status::IOError("simulated transient error"));
  return Status::ok();
}

Status flush_memtables(Store& store) {
  auto* r = rocks(store);
  if (r == nullptr) return Error(Errc::not_supported, "not a RocksDB store");
  std::vector<rocksdb::ColumnFamilyHandle*> all{r->default_cf_};
  {
    std::shared_lock lock(r->map_mu_);
    for (auto& [id, ns] : r->by_id_) all.push_back(ns->cf);
  }
  if (auto s = r->db_->Flush(rocksdb::FlushOptions(), all); !s.ok()) {
    return r->map_error(s, "flushing memtables");
  }
  return Status::ok();
}

}  // namespace testing
}  // namespace gcfs
