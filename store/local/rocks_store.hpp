// RocksDB implementation of Store. Private to store/: only store.hpp (and
// testing.hpp for tests) are seen by other directories.
//
// Lock order: admin_mu_ (namespace create/drop/rename, registry changes) ->
// NsState::mu (mutations of one namespace) -> map_mu_ (the id/name maps);
// compact_mu_ is taken alone. Reads take no lock beyond a brief shared
// map_mu_ to find their namespace. NsState::mu is held across a commit's
// write and a snapshot's export, never across a flush of the whole
// memtable (docs/design.md, "Lock order").
#pragma once

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/rate_limiter.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "store/local/inode_record.hpp"
#include "store/local/keys.hpp"
#include "store/local/rocks_heal.hpp"
#include "store/local/rocks_reclaim.hpp"
#include "store/snapshots.hpp"
#include "store/store.hpp"

namespace gcfs {

using keys::kDentryValueSize;
namespace testing {
Status simulate_background_error(Store& store, bool fatal);
Status flush_memtables(Store& store);
}  // namespace testing

// One open namespace. Handed out as shared_ptr so a concurrent drop is safe:
// the family handle is destroyed when the last user lets go.
struct NsState {
  NsState(rocksdb::DB* db, NsId id, rocksdb::ColumnFamilyHandle* cf) : db(db), id(id), cf(cf) {}
  ~NsState();
  NsState(const NsState&) = delete;
  NsState& operator=(const NsState&) = delete;

  rocksdb::DB* const db;
  const NsId id;
  rocksdb::ColumnFamilyHandle* const cf;
  std::mutex mu;         // held around read-current-state + build batch + write
  bool dropped = false;  // guarded by mu
  // Replaced by a snapshot swap: the family is a snapshot now, kept
  // reachable by id only so that the kernel's cached inodes and open files
  // finish on it. The space policy (uses, LRU, eviction) leaves it alone.
  // Set under mu; read without it by lru_oldest.
  std::atomic<bool> retired{false};
  Ino next_ino = 0;  // guarded by mu; mirrors the `N` key
  // Files whose ctime is older were looked at by a complete settling pass of
  // this family (in memory: a new daemon's first pass looks at everything).
  // Only the settling thread uses it.
  Timespec settled_before{};
};

// Signed changes to the `S` counters, merged in the mutation's batch.
struct Deltas {
  int64_t files = 0;
  int64_t dirs = 0;
  int64_t symlinks = 0;
  int64_t logical = 0;
  int64_t stored = 0;
  int64_t orphans = 0;
  int64_t live = 0;  // key + value bytes of live records (docs/space.md)
  // A record of `key_size` + `value_size` bytes appears (or, negative, goes).
  void put_kv(size_t key_size, size_t value_size) {
    live += static_cast<int64_t>(key_size + value_size);
  }
  void del_kv(size_t key_size, size_t value_size) {
    live -= static_cast<int64_t>(key_size + value_size);
  }
  void add_to(rocksdb::WriteBatch& batch, rocksdb::ColumnFamilyHandle* cf) const;
};

class RocksStore;

// One mutation of a namespace, built under NsState::mu: caches the inode
// records it reads and modifies, collects the batch and the counter deltas,
// and writes it all as one WriteBatch.
class Txn {
 public:
  Txn(RocksStore& store, NsState& ns) : store_(store), ns_(ns) {}
  // The current record (not_found if absent); modify it in place, then mark().
  Result<InodeRecord*> inode(Ino ino);
  void mark(Ino ino);     // write the cached record back
  Status erase(Ino ino);  // delete the inode key
  void put_new(Ino ino, InodeRecord rec);
  // The record of a directory (not_dir if `ino` is something else).
  Result<InodeRecord*> dir(Ino ino);
  // Point read of another key in the namespace (nullopt when absent).
  Result<std::optional<std::string>> get(std::string_view key);
  // Every record whose key starts with `prefix`, in key order.
  Status scan(std::string_view prefix,
              const std::function<void(std::string_view key, std::string_view value)>& fn);
  // The directory entry at `key`: nullopt when absent, corrupt if garbled;
  // dentry() makes absence not_found.
  Result<std::optional<keys::DentryValue>> find_dentry(std::string_view key);
  Result<keys::DentryValue> dentry(std::string_view key);
  rocksdb::WriteBatch& batch() { return batch_; }
  rocksdb::ColumnFamilyHandle* cf() const { return ns_.cf; }
  NsState& ns() { return ns_; }
  Deltas deltas;
  uint64_t data_bytes = 0;  // file data the batch adds, for the space check
  Status write(std::string_view what);

 private:
  enum class Mark { clean, put, erase };
  struct Entry {
    InodeRecord rec;
    Mark mark = Mark::clean;
    size_t old_value_size = 0;  // serialized size of the stored record; 0 = none
  };
  RocksStore& store_;
  NsState& ns_;
  std::map<Ino, Entry> cache_;
  rocksdb::WriteBatch batch_;
};

// The content a commit or truncate installs: new size, the committed bytes
// still valid, and the dirty chunks already encoded ("" = hole).
struct ContentChange {
  uint64_t size = 0;
  uint64_t base_valid = 0;
  std::map<uint64_t, std::string> encoded;
};

class RocksStore final : public Store {
 public:
  static Result<std::unique_ptr<RocksStore>> open(const StoreOptions& options);
  ~RocksStore() override;

  Result<std::vector<NsInfo>> list_namespaces() override;
  Result<NsInfo> find_namespace(std::string_view name) override;
  Result<NsInfo> create_namespace(std::string_view name, uint32_t mode, Credentials owner) override;
  Status drop_namespace(std::string_view name) override;
  Status rename_namespace(std::string_view from, std::string_view to) override;
  Result<NsStats> stats(NsId ns) override;
  Result<NsStats> recount(NsId ns) override;
  StoreUsage usage() override;
  EngineStats engine_stats() override;  // rocks_engine_stats.cpp

  Result<Attr> getattr(NsId ns, Ino ino) override;
  Result<Attr> lookup(NsId ns, Ino parent, std::string_view name) override;
  Result<Attr> mknode(NsId ns, Ino parent, std::string_view name, uint32_t mode, Credentials owner,
                      Timespec now, std::string_view target, uint64_t rdev) override;
  Result<std::string> readlink(NsId ns, Ino ino) override;
  Result<std::string> getxattr(NsId ns, Ino ino, std::string_view name) override;
  Result<std::vector<std::string>> listxattr(NsId ns, Ino ino) override;
  Status setxattr(NsId ns, Ino ino, std::string_view name, std::string_view value, XattrMode mode,
                  Timespec now) override;
  Status removexattr(NsId ns, Ino ino, std::string_view name, Timespec now) override;
  Result<Ino> unlink(NsId ns, Ino parent, std::string_view name, Timespec now) override;
  Result<Attr> link(NsId ns, Ino ino, Ino new_parent, std::string_view new_name,
                    Timespec now) override;
  Status rmdir(NsId ns, Ino parent, std::string_view name, Timespec now) override;
  Result<std::optional<Ino>> rename(NsId ns, Ino parent, std::string_view name, Ino new_parent,
                                    std::string_view new_name, unsigned flags,
                                    Timespec now) override;
  Result<Attr> setattr(NsId ns, Ino ino, const SetAttr& sa) override;
  Status purge(NsId ns, Ino ino) override;
  Status readdir(NsId ns, Ino dir, uint64_t from_cookie,
                 const std::function<bool(const DirEntry&)>& emit) override;

  Result<size_t> read(NsId ns, Ino ino, uint64_t off, std::span<char> out) override;
  Result<std::unique_ptr<PendingWrite>> begin_write(NsId ns, Ino ino) override;
  Result<Attr> commit(PendingWrite& pw, Timespec now) override;
  Status sync() override;
  Status flush_memtables() override;  // rocks_space.cpp
  Result<std::vector<Attr>> create_files(NsId ns, std::span<const NewFile> files, Credentials owner,
                                         Timespec now) override;  // rocks_create.cpp
  uint32_t chunk_size() const override { return chunk_size_; }

  // rocks_space.cpp
  Result<SpaceStats> space(NsId ns) override;
  Result<StoreSpace> space_all() override;
  Status compact(NsId ns, const CompactRequest& request) override;
  // rocks_settle.cpp
  Result<SettleResult> settle(NsId ns, const SettleRequest& request) override;
  uint64_t write_sequence() override;
  // rocks_lru.cpp
  Status record_uses(NsId ns, std::span<const FileUse> uses) override;
  Result<std::vector<LruEntry>> lru_oldest(NsId ns, size_t max) override;
  Result<int64_t> last_use_ns(NsId ns, Ino ino) override;
  Result<Ino> parent_of(NsId ns, Ino dir) override;
  Result<UnlinkIf> unlink_if_unused(NsId ns, Ino parent, std::string_view name, Ino ino,
                                    int64_t used_before_ns, Timespec now,
                                    std::vector<EntryName>* other_names) override;
  // rocks_check.cpp
  Result<CheckReport> check(NsId ns, const Progress& progress) override;
  Result<CheckReport> repair(NsId ns, const Progress& progress) override;

  // Test hooks (store/testing.hpp): raw access to a namespace's family.
  Status put_raw(NsId ns, std::string_view key, std::string_view value);
  Result<std::optional<std::string>> get_raw(NsId ns, std::string_view key);
  Status delete_raw(NsId ns, std::string_view key);
  Result<std::map<std::string, std::string>> dump_raw(NsId ns);

  // Snapshots and archives (store/snapshots.hpp): rocks_snapshots.cpp,
  // rocks_swap.cpp, rocks_archive.cpp (with store/archive/).
  Result<SnapshotInfo> create_snapshot(std::string_view name, std::string_view ns) override;
  Result<std::vector<SnapshotInfo>> list_snapshots() override;
  Result<SnapshotInfo> find_snapshot(std::string_view name) override;
  Status delete_snapshot(std::string_view name) override;
  Result<SwapResult> swap_snapshot(std::string_view snap, std::string_view ns) override;
  Result<ArchiveSummary> export_snapshot(std::string_view name, const std::string& path,
                                         const Progress& progress, const DeltaBase& since) override;
  Result<ArchiveSummary> import_archives(const std::vector<std::string>& paths,
                                         std::string_view as_name, bool as_namespace,
                                         const Progress& progress) override;

 private:
  friend class Txn;
  friend Status testing::simulate_background_error(Store& store, bool fatal);
  friend Status testing::flush_memtables(Store& store);
  explicit RocksStore(const StoreOptions& options);

  // rocks_open.cpp
  Status open_db();
  Status load_format();
  Status load_namespaces();
  Status purge_leftover_orphans();
  Status backfill_live_bytes();  // rocks_backfill.cpp
  rocksdb::ColumnFamilyOptions family_options();

  // rocks_util.cpp
  Result<std::shared_ptr<NsState>> ns_state(NsId ns);
  // Takes the namespace's mutation lock; not_found if it was dropped.
  Result<std::unique_lock<std::mutex>> lock_ns(NsState& ns);
  // Every mutation: runs body(txn, ns) with the namespace's mutation lock
  // held (docs/design.md, Atomicity); the body builds and commits the Txn.
  template <class Body>
  auto mutate(NsId id, Body&& body)
      -> decltype(body(std::declval<Txn&>(), std::declval<NsState&>())) {
    auto state = ns_state(id);
    if (!state) return state.status();
    NsState& ns = **state;
    auto lock = lock_ns(ns);
    if (!lock) return lock.status();
    Txn t(*this, ns);
    return body(t, ns);
  }
  Status check_writable() const;
  Status check_space(uint64_t bytes) const;
  // Errc::no_space when the disk has no room for a compaction's output.
  static constexpr uint64_t kCompactionMargin = uint64_t{4} << 20;
  Status check_compaction_room(NsState& ns, const CompactRequest& req);
  // Free bytes on the store's disk for an unprivileged writer; nullopt when unknown.
  std::optional<uint64_t> free_bytes() const;
  Status write_batch(rocksdb::WriteBatch& batch, std::string_view what);
  Error map_error(const rocksdb::Status& s, std::string_view what) const;
  Result<InodeRecord> read_inode(NsState& ns, const rocksdb::Snapshot* snap, Ino ino);

  // rocks_rename.cpp: rename(RENAME_EXCHANGE), the two entries swap inodes.
  Status exchange(NsId ns, Ino parent, std::string_view name, Ino new_parent,
                  std::string_view new_name, Timespec now);

  // rocks_files.cpp
  ContentChange encode_pending(const PendingWrite& pw) const;
  Status apply_content(Txn& t, Ino ino, InodeRecord& rec, const ContentChange& cc);
  Result<std::vector<uint32_t>> load_map(Txn& t, Ino ino);
  static std::string encode_map(const std::vector<uint32_t>& map);  // the `M` value
  Result<std::string> current_chunk0(Txn& t, Ino ino, const InodeRecord& rec);
  // Fills `dst` (the file's bytes from `off`, within its size) from chunks.
  Status read_chunks(NsState& ns, const rocksdb::Snapshot* snap, Ino ino, uint64_t off,
                     std::span<char> dst);

  // rocks_settle.cpp: one file's settled values, written if it is unchanged.
  struct SettledValue {
    uint64_t idx = 0;  // chunk index (0 for inline data)
    std::string old_value, new_value;
  };
  // Settles one file; `seq` follows the pass's own writes, `stop` is set when
  // another writer came or the request was cancelled.
  Status settle_file(NsState& ns, const rocksdb::Snapshot* snap, Ino ino, const SettleRequest& req,
                     uint64_t& seq, bool& stop, SettleResult& r);
  // True when some SST file of the family has another hard link (a snapshot).
  bool shares_files(NsState& ns);
  Status write_settled(NsState& ns, Ino ino, bool inline_data, std::vector<SettledValue>& values,
                       uint64_t& seq, bool& stop, SettleResult& r);

  // rocks_accounting.cpp
  Result<NsStats> read_counters(NsState& ns);

  // rocks_snapshots.cpp
  struct SnapEntry {
    SnapshotInfo info;
    std::shared_ptr<NsState> state;
  };
  bool adopt_snapshot_family(rocksdb::ColumnFamilyHandle* h);              // open_db: `snap.<id>`
  Status load_snapshot_registry();                                         // before load_namespaces
  bool adopt_relabelled_family(NsId id, std::shared_ptr<NsState>& state);  // load_namespaces
  Status finish_snapshots();                                               // after it
  // Hard-links family `from` into a new family `to_name`: export (a flush of
  // what the memtable holds, then hard links), then import. With `ns_mu`,
  // only the export runs under it, after a first flush without it: the
  // capture is one committed state, and writers wait for the small part.
  Result<rocksdb::ColumnFamilyHandle*> clone_family(rocksdb::ColumnFamilyHandle* from,
                                                    const std::string& to_name,
                                                    std::mutex* ns_mu = nullptr);
  // A new id, persisted (never reused even if what it was for fails).
  Result<NsId> reserve_id();
  Result<std::shared_ptr<NsState>> snapshot_state(std::string_view name, SnapshotInfo* info);
  void purge_orphans_quietly(NsId id);
  // rocks_space.cpp
  Result<SpaceStats> family_space(NsState& ns, bool with_blocks, uint64_t wal_bytes,
                                  uint64_t all_memtables);

  StoreOptions opts_;
  uint32_t chunk_size_ = 0;
  uint32_t inline_max_ = 0;
  rocksdb::DB* db_ = nullptr;
  rocksdb::ColumnFamilyHandle* default_cf_ = nullptr;
  std::shared_ptr<rocksdb::Cache> block_cache_;
  std::shared_ptr<rocksdb::MergeOperator> merge_op_;
  std::unique_ptr<SpaceReclaimer> reclaimer_;  // started once the DB is open
  // Throttles background compactions (rocks_space.cpp); unthrottled otherwise.
  static constexpr int64_t kUnthrottledRate = int64_t{64} << 30;
  std::shared_ptr<rocksdb::RateLimiter> rate_limiter_;
  std::mutex compact_mu_;  // one manual compaction at a time
  // Retries after transient background errors; read-only mode (rocks_heal.hpp).
  // Outlives db_: the destructor closes the database before members go.
  std::unique_ptr<Healer> healer_;

  // Serializes namespace create/drop/rename and registry changes; never held
  // across a family's flush or clone (those run before it is taken).
  std::mutex admin_mu_;
  NsId next_ns_ = 1;  // guarded by admin_mu_

  std::shared_mutex map_mu_;
  std::map<NsId, std::shared_ptr<NsState>> by_id_;    // guarded by map_mu_
  std::map<std::string, NsId, std::less<>> by_name_;  // guarded by map_mu_
  // Snapshots by name. A swapped-out namespace stays in by_id_ too, so
  // operations still addressed to its id finish on it.
  std::map<std::string, SnapEntry, std::less<>> snaps_;     // guarded by map_mu_
  std::map<NsId, std::shared_ptr<NsState>> snap_families_;  // only while opening
  std::map<NsId, SnapshotInfo> snap_registry_;              // only while opening
};

// RAII snapshot so a multi-key read sees one committed version.
class SnapshotGuard {
 public:
  explicit SnapshotGuard(rocksdb::DB* db) : db_(db), snap_(db->GetSnapshot()) {}
  ~SnapshotGuard() { db_->ReleaseSnapshot(snap_); }
  SnapshotGuard(const SnapshotGuard&) = delete;
  SnapshotGuard& operator=(const SnapshotGuard&) = delete;
  const rocksdb::Snapshot* get() const { return snap_; }

 private:
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snap_;
};

// Name checks shared by the directory operations.
Status check_entry_name(std::string_view name);
// Whether directory `dir` has any entry (read in the current state).
Result<bool> dir_has_entries(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, Ino dir);
// Drops one link of a non-directory; at zero links it becomes an orphan
// (`O` key, counted in orphans instead of files/symlinks) and leaves the
// least-recently-used index.
Status drop_link(Txn& t, Ino ino, InodeRecord& rec, Timespec now);

// rocks_links.cpp: the `K` names of an inode with two or more links.
// Every name the index lists for `ino` (none below two links).
Result<std::vector<EntryName>> link_names(Txn& t, Ino ino);
// Before drop_link() of the name `gone`: its record goes (at two links, the
// other's too), and the LRU index moves to a name that stays.
Status forget_name(Txn& t, Ino ino, const InodeRecord& rec, const EntryName& gone);
// A rename of one of the inode's names: its record and the LRU index's name follow.
Status move_name(Txn& t, Ino ino, const InodeRecord& rec, const EntryName& from,
                 const EntryName& to);
// The LRU index's name of `ino` becomes `to` if it was `from` (nothing when
// `to` is null).
Status lru_follow_name(Txn& t, Ino ino, const EntryName& from, const EntryName* to);

// rocks_lru.cpp: the least-recently-used index (`L` + time + ino -> parent +
// name; `U` + ino -> time), kept in the mutation's batch.
void lru_insert(Txn& t, Ino ino, Ino parent, std::string_view name, int64_t time_ns);
Status lru_remove(Txn& t, Ino ino);
// The recorded last use of `ino` (nullopt: not indexed).
Result<std::optional<int64_t>> lru_last_use(Txn& t, Ino ino);

}  // namespace gcfs
