// Swapping a snapshot into a live namespace. The snapshot is cloned (hard
// links) into a new namespace family with a new id; one registry batch then
// points the name at the new id and re-labels the old family as snapshot
// `auto-<ns>-<unix time>`. The old family stays reachable by id, so
// operations the kernel still addresses to it (cached inodes, open files)
// finish there instead of failing; new lookups by name reach the new id.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <ctime>

#include "store/local/keys.hpp"
#include "store/local/rocks_store.hpp"
#include "store/local/snapshot_record.hpp"

namespace gcfs {

namespace {
std::string u32be(uint32_t v) {
  std::string s;
  keys::put_u32be(s, v);
  return s;
}
}  // namespace

Result<SwapResult> RocksStore::swap_snapshot(std::string_view snap_name, std::string_view ns_name) {
  GCFS_TRY(check_writable());
  SnapshotInfo snap_info;
  GCFS_TRY_ASSIGN(auto snap, snapshot_state(snap_name, &snap_info));
  GCFS_TRY_ASSIGN(NsInfo live, find_namespace(ns_name));
  GCFS_TRY(ns_state(live.id).status());
  GCFS_TRY_ASSIGN(const NsId new_id, reserve_id());

  // The clone, without the store's admin lock: a snapshot takes no writes,
  // so nothing needs holding still.
  GCFS_TRY_ASSIGN(rocksdb::ColumnFamilyHandle * cf,
                  clone_family(snap->cf, keys::family_name(new_id)));
  auto fresh = std::make_shared<NsState>(db_, new_id, cf);
  auto drop_fresh = [&] {
    if (auto d = db_->DropColumnFamily(cf); !d.ok()) spdlog::warn("{}", d.ToString());
  };
  std::string n;
  auto g = db_->Get(rocksdb::ReadOptions(), cf, keys::kNextIno, &n);
  if (!g.ok() || n.size() != 8) {
    drop_fresh();
    return Error(Errc::corrupt, fmt::format("snapshot {} has no inode counter", snap_name));
  }
  fresh->next_ino = keys::get_u64be(n.data());

  std::lock_guard admin(admin_mu_);
  // The namespace may have been dropped, renamed or swapped meanwhile.
  auto now_live = find_namespace(ns_name);
  auto old_state = ns_state(live.id);
  if (!now_live || now_live->id != live.id || !old_state) {
    drop_fresh();
    return Error(Errc::busy, fmt::format("namespace {} changed during the swap", ns_name));
  }

  // The old content's name: auto-<ns>-<time>, shortened to fit the name rules.
  const int64_t now = std::time(nullptr);
  SnapshotInfo old_info;
  old_info.id = live.id;
  old_info.created = now;
  old_info.source_ns = ns_name;
  if (looks_like_go_version(ns_name)) old_info.go_version = ns_name;
  std::string base = fmt::format("auto-{}-{}", ns_name.substr(0, 40), now);
  old_info.name = base;
  for (int i = 2; snapshot_state(old_info.name, nullptr); ++i) {
    old_info.name = fmt::format("{}-{}", base, i);
  }

  NsState& old_ns = **old_state;
  // Mutations of the old family in progress complete before the batch.
  std::lock_guard ns_lock(old_ns.mu);
  rocksdb::WriteBatch batch;
  batch.Put(default_cf_, keys::ns_by_name(ns_name), u32be(new_id));
  batch.Put(default_cf_, keys::ns_by_id(new_id), ns_name);
  batch.Delete(default_cf_, keys::ns_by_id(live.id));
  batch.Put(default_cf_, snapshot_key(old_info.name), encode_snapshot_record(old_info));
  if (auto w = write_batch(batch, "swapping a snapshot in"); !w) {
    drop_fresh();
    return w;
  }
  old_ns.retired = true;  // a snapshot now: no uses, no eviction
  {
    std::unique_lock lock(map_mu_);
    by_name_.find(ns_name)->second = new_id;
    by_id_.emplace(new_id, fresh);
    snaps_.emplace(old_info.name, SnapEntry{old_info, *old_state});
  }
  // Orphans captured with the snapshot belong to no open file of this process.
  purge_orphans_quietly(new_id);
  spdlog::info("snapshot {} swapped into namespace {} (id {} -> {}); old content kept as {}",
               snap_name, ns_name, live.id, new_id, old_info.name);
  return SwapResult{live.id, new_id, old_info.name};
}

}  // namespace gcfs
