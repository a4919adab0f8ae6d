// Stores written before the live-bytes counter existed have no `S` key for
// it: a full recount at open sets it once, so the counter is exact from then
// on (later batches only add deltas to it).
#include <spdlog/spdlog.h>

#include "store/local/keys.hpp"
#include "store/local/rocks_store.hpp"

namespace gcfs {

Status RocksStore::backfill_live_bytes() {
  if (opts_.read_only) return Status::ok();
  for (auto& [id, ns] : by_id_) {
    std::string v;
    auto s = db_->Get(rocksdb::ReadOptions(), ns->cf, keys::counter("live_bytes"), &v);
    if (s.ok()) continue;
    if (!s.IsNotFound()) return map_error(s, "reading the live-bytes counter");
    auto rc = recount(id);
    if (!rc) return rc.status();
    Deltas d;
    d.live = static_cast<int64_t>(rc->live_bytes);
    rocksdb::WriteBatch batch;
    d.add_to(batch, ns->cf);
    if (auto w = write_batch(batch, "setting the live-bytes counter"); !w) return w;
    spdlog::info("namespace {}: live bytes counted: {}", id, rc->live_bytes);
  }
  return Status::ok();
}

}  // namespace gcfs
