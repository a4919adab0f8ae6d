// The storage interface: namespaces of inodes, directory entries and file
// data. Implemented over RocksDB in rocks_store.cpp; callers (fusefs, tools,
// tests, benches) see only this header and never a RocksDB type.
//
// Concurrency: every method is safe to call from many threads. Mutations of
// one namespace are serialized inside the store; reads never block on them
// and always see a consistent state (one committed version of each file).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/check.hpp"
#include "store/engine_stats.hpp"
#include "store/options.hpp"
#include "store/progress.hpp"
#include "store/result.hpp"
#include "store/snapshots.hpp"
#include "store/space.hpp"
#include "store/types.hpp"

namespace gcfs {

class PendingWrite;

// A regular file create_files() makes with its content.
struct NewFile {
  Ino parent = 0;
  std::string name;
  uint32_t mode = 0644;   // permission bits
  std::string_view data;  // the whole content
};

// Longest name of a directory entry.
constexpr size_t kMaxNameLen = 255;
// Most names (hard links) one inode may have: ext4's limit.
constexpr uint32_t kMaxLinks = 65000;

// Extended attributes (ext4's limits: a name of up to 255 bytes, a value of
// up to one 4 KiB block), and at most 64 KiB of names and values per inode.
constexpr size_t kMaxXattrNameLen = 255;
constexpr size_t kMaxXattrValueLen = 4096;
constexpr size_t kMaxXattrBytesPerInode = 64 * 1024;
// XATTR_CREATE, XATTR_REPLACE; both: the one that applies (as ext4).
struct XattrMode {
  bool create = false;
  bool replace = false;
};
// An attribute name the store keeps: 1-255 bytes, no NUL, in the user.,
// trusted. or security. namespace (system.* would be POSIX ACLs: refused).
bool valid_xattr_name(std::string_view name);

// Namespace names: 1-64 printable ASCII characters, no '/', not "." or "..".
bool valid_namespace_name(std::string_view name);

class Store {
 public:
  virtual ~Store() = default;

  // ---- namespaces -------------------------------------------------------
  virtual Result<std::vector<NsInfo>> list_namespaces() = 0;
  virtual Result<NsInfo> find_namespace(std::string_view name) = 0;
  // Creates the namespace and its root directory (mode is permission bits).
  virtual Result<NsInfo> create_namespace(std::string_view name, uint32_t mode,
                                          Credentials owner) = 0;
  // Instant regardless of size. Operations already running on it finish or
  // fail with not_found; later ones fail with not_found.
  virtual Status drop_namespace(std::string_view name) = 0;
  virtual Status rename_namespace(std::string_view from, std::string_view to) = 0;

  // Inline counters: O(1).
  virtual Result<NsStats> stats(NsId ns) = 0;
  // Full scan of the namespace: what the inline counters must equal.
  virtual Result<NsStats> recount(NsId ns) = 0;
  virtual StoreUsage usage() = 0;
  // RocksDB health properties and self-healing state: cheap (in-memory
  // properties and metadata), for metrics and health checks at scrape time.
  virtual EngineStats engine_stats() = 0;

  // ---- metadata ---------------------------------------------------------
  virtual Result<Attr> getattr(NsId ns, Ino ino) = 0;
  virtual Result<Attr> lookup(NsId ns, Ino parent, std::string_view name) = 0;
  // Creates a regular file, directory, symlink, fifo, socket or device (by
  // the S_IFMT bits of `mode`); `target` is the symlink target, `rdev` a
  // device's number (0 for every other type). exists if the name is taken.
  // Who may make a device is the caller's rule (fusefs checks CAP_MKNOD).
  virtual Result<Attr> mknode(NsId ns, Ino parent, std::string_view name, uint32_t mode,
                              Credentials owner, Timespec now, std::string_view target = {},
                              uint64_t rdev = 0) = 0;
  virtual Result<std::string> readlink(NsId ns, Ino ino) = 0;
  // Removes a non-directory entry (is_dir for a directory) and returns its
  // inode. When that was its last name the inode becomes an orphan: its data
  // stays readable until purge(), which the caller runs once nothing refers
  // to it any more (purge() of an inode with names left does nothing).
  virtual Result<Ino> unlink(NsId ns, Ino parent, std::string_view name, Timespec now) = 0;
  // Adds the name (new_parent, new_name) to the non-directory `ino` (a hard
  // link): permission for a directory, exists if the name is taken,
  // not_found for an inode with no name left, too_many_links at kMaxLinks.
  // Returns the inode's attributes (nlink and ctime updated).
  virtual Result<Attr> link(NsId ns, Ino ino, Ino new_parent, std::string_view new_name,
                            Timespec now) = 0;
  // Removes an empty directory (not_empty, not_dir otherwise).
  virtual Status rmdir(NsId ns, Ino parent, std::string_view name, Timespec now) = 0;
  // flags: 0, RENAME_NOREPLACE or RENAME_EXCHANGE (both names must exist and
  // swap inodes; nothing is replaced). A replaced non-directory loses that
  // name and, when it was its last, becomes an orphan and is returned; a
  // replaced directory must be empty and is removed.
  virtual Result<std::optional<Ino>> rename(NsId ns, Ino parent, std::string_view name,
                                            Ino new_parent, std::string_view new_name,
                                            unsigned flags, Timespec now) = 0;
  // Applies the set fields of `sa`. A size change truncates or extends the
  // file (extension reads as zeros) atomically.
  virtual Result<Attr> setattr(NsId ns, Ino ino, const SetAttr& sa) = 0;
  // Frees an orphan's inode and data. No-op (ok) for an inode that still has
  // a name or does not exist.
  virtual Status purge(NsId ns, Ino ino) = 0;
  // Calls `emit` for each entry whose cookie is >= `from_cookie`, in cookie
  // order, until it returns false. "." and ".." are not included.
  virtual Status readdir(NsId ns, Ino dir, uint64_t from_cookie,
                         const std::function<bool(const DirEntry&)>& emit) = 0;

  // ---- extended attributes -------------------------------------------------
  // Names are stored as given (the caller checks namespaces such as user.*).
  // The value of `name` (no_attr if the inode has no such attribute).
  virtual Result<std::string> getxattr(NsId ns, Ino ino, std::string_view name) = 0;
  // Every attribute name of the inode, in byte order.
  virtual Result<std::vector<std::string>> listxattr(NsId ns, Ino ino) = 0;
  // Sets `name` in one batch with the inode's ctime: exists (create mode)
  // or no_attr (replace mode) when the name is / is not there;
  // attr_too_big over the name or value limit; no_space past the inode's
  // 64 KiB of attributes.
  virtual Status setxattr(NsId ns, Ino ino, std::string_view name, std::string_view value,
                          XattrMode mode, Timespec now) = 0;
  virtual Status removexattr(NsId ns, Ino ino, std::string_view name, Timespec now) = 0;

  // ---- data -------------------------------------------------------------
  // Reads committed data of a regular file: up to out.size() bytes at `off`;
  // returns the count (short at end of file). Every byte is verified against
  // its checksum and its owning inode; corrupt otherwise.
  virtual Result<size_t> read(NsId ns, Ino ino, uint64_t off, std::span<char> out) = 0;
  // Starts buffering changes to a regular file (see PendingWrite).
  virtual Result<std::unique_ptr<PendingWrite>> begin_write(NsId ns, Ino ino) = 0;
  // Makes the pending content the file's content in one atomic batch, with
  // the accounting, and sets mtime/ctime to `now`. Afterwards `pw` is clean
  // and based on the new content.
  virtual Result<Attr> commit(PendingWrite& pw, Timespec now) = 0;
  // Makes everything committed so far survive a machine crash.
  virtual Status sync() = 0;
  // Writes every namespace's (and the registry's) memtable to files, so the
  // write-ahead log they keep alive is deleted: an idle store then holds
  // nothing in memory or in log files beyond what it needs.
  virtual Status flush_memtables() = 0;
  // Creates regular files with their whole content in one atomic batch (a
  // Go entry fetched from the second tier: its -a and the -d it names, so
  // that neither is ever seen without the other). A name already taken
  // keeps its file, whose attributes are returned instead (a local writer
  // got there first). Returns each file's attributes, in order.
  virtual Result<std::vector<Attr>> create_files(NsId ns, std::span<const NewFile> files,
                                                 Credentials owner, Timespec now) = 0;

  virtual uint32_t chunk_size() const = 0;

  // ---- space (store/space.hpp, docs/space.md) ----------------------------
  // Footprint of one namespace, with its blocks (SST files).
  virtual Result<SpaceStats> space(NsId ns) = 0;
  // Every namespace (without blocks) and the total.
  virtual Result<StoreSpace> space_all() = 0;
  // Rewrites the live data of the namespace's blocks (or of some key ranges
  // of them) and frees the rest. Readers and writers carry on meanwhile.
  virtual Status compact(NsId ns, const CompactRequest& request) = 0;
  // Recompresses the namespace's settled file data (SettleRequest). The old
  // values stay on disk until a compaction drops them; reads are unchanged.
  virtual Result<SettleResult> settle(NsId ns, const SettleRequest& request) = 0;
  // Grows with every write to the store (any namespace): the same value
  // twice means nothing was written in between.
  virtual uint64_t write_sequence() = 0;
  // Persists uses of files into the least-recently-used index, in one batch.
  virtual Status record_uses(NsId ns, std::span<const FileUse> uses) = 0;
  // The `max` least recently used regular files, oldest first.
  virtual Result<std::vector<LruEntry>> lru_oldest(NsId ns, size_t max) = 0;
  // Last use of a file (not_found if it is not indexed).
  virtual Result<int64_t> last_use_ns(NsId ns, Ino ino) = 0;
  // The parent directory of a directory.
  virtual Result<Ino> parent_of(NsId ns, Ino dir) = 0;
  // Eviction's unlink, checked and done in one mutation: removes the entry
  // (parent, name) only if it still names `ino` and the file's last use in
  // the LRU index is before `used_before_ns` (changed / used otherwise, and
  // nothing is written). Every other name of the inode (hard links) goes in
  // the same batch, added to `other_names` when given, so the inode becomes
  // an orphan, as with unlink() of its last name. A namespace a snapshot swap
  // replaced is a snapshot now: not_found, as for record_uses() and
  // lru_oldest().
  virtual Result<UnlinkIf> unlink_if_unused(NsId ns, Ino parent, std::string_view name, Ino ino,
                                            int64_t used_before_ns, Timespec now,
                                            std::vector<EntryName>* other_names = nullptr) = 0;

  // ---- integrity (store/check.hpp, docs/gocachectl.md) -------------------
  // Reads every record of the namespace in one consistent view and checks
  // them against each other: entries, inodes, link counts, orphans, chunks
  // and chunk maps (every byte decoded and verified), the LRU index and the
  // counters. Safe while the namespace is in use. Damage is reported; only
  // a failure to read is an Error.
  virtual Result<CheckReport> check(NsId ns, const Progress& progress = {}) = 0;
  // Checks; if anything is damaged, checks again under the namespace's
  // mutation lock and fixes what it can in one atomic batch. A clean
  // namespace is not written at all.
  virtual Result<CheckReport> repair(NsId ns, const Progress& progress = {}) = 0;

  // ---- snapshots and archives (store/snapshots.hpp, docs/design.md) -------
  // Captures namespace `ns` as snapshot `name` (namespace name rules): one
  // committed state; writers of `ns` wait only for the atomic part.
  virtual Result<SnapshotInfo> create_snapshot(std::string_view name, std::string_view ns) = 0;
  virtual Result<std::vector<SnapshotInfo>> list_snapshots() = 0;
  virtual Result<SnapshotInfo> find_snapshot(std::string_view name) = 0;
  virtual Status delete_snapshot(std::string_view name) = 0;
  // Replaces the content of namespace `ns` with a copy of snapshot `snap` in
  // one atomic registry batch. Operations already addressed to the old id
  // (the kernel's cached inodes, open files) finish on the old family, which
  // stays reachable by id and is kept as snapshot `auto-<ns>-<unix time>`.
  virtual Result<SwapResult> swap_snapshot(std::string_view snap, std::string_view ns) = 0;
  // Streams snapshot `name` to `path` (written as path.tmp, renamed at the
  // end). With `since` (another snapshot, or an archive file): a delta, only
  // the records that differ from the base's and the deletions of those the
  // snapshot lacks.
  virtual Result<ArchiveSummary> export_snapshot(std::string_view name, const std::string& path,
                                                 const Progress& progress = {},
                                                 const DeltaBase& since = {}) = 0;
  // Verifies a full archive and the deltas that follow it (paths[1..], each
  // a delta of the content before it), then writes the content they compose
  // into a new family registered as snapshot `as_name` (as_namespace: as
  // namespace `as_name` instead). A bad archive or chain is refused with a
  // one-line reason and nothing changes.
  virtual Result<ArchiveSummary> import_archives(const std::vector<std::string>& paths,
                                                 std::string_view as_name, bool as_namespace,
                                                 const Progress& progress = {}) = 0;
  Result<ArchiveSummary> import_archive(const std::string& path, std::string_view as_name,
                                        bool as_namespace, const Progress& progress = {}) {
    return import_archives({path}, as_name, as_namespace, progress);
  }
};

// ---- opening ------------------------------------------------------------

// Opens (or creates) a RocksDB store. Errors: busy when another process holds
// the store's lock, io / permission for an unusable directory, corrupt for a
// damaged store.
Result<std::unique_ptr<Store>> open_rocks_store(const StoreOptions& options);

// The store's lock may still be held by a gocachefs that is going away:
// `fusermount3 -u` returns while the old daemon still flushes and closes the
// store, and a SIGKILLed daemon holds the lock until its last thread has
// exited (store_lock_holder() below finds out who holds it).

// The name (comm) a gocachefs daemon gives its main thread once its session
// has ended: from then on it only commits, flushes and closes the store.
inline constexpr const char* kGoingAwayName = "gocachefs-stop";
// A serving (or starting) daemon's name.
inline constexpr const char* kDaemonName = "gocachefs";

struct LockHolder {
  pid_t pid = 0;         // 0: in another pid namespace (nothing more is known)
  std::string comm;      // the holder's name, /proc/PID/comm
  bool exiting = false;  // killed or exiting: its threads are being torn down
};

// The current holder of the store's lock (this process included); nullopt
// if nobody holds it or there is no LOCK file. Read from /proc/locks, without
// opening the store (gocachectl cacheprog waits on it).
std::optional<LockHolder> store_lock_holder(const std::string& store_dir);

// Renames the calling (main) thread kGoingAwayName.
void mark_going_away();

struct LockWait {
  // Longest wait for a holder that is going away. Default: 30 s.
  std::chrono::milliseconds max_wait{30000};
  // Filled when the open had to wait: for whom and how long.
  std::optional<LockHolder> waited_for;
  std::chrono::milliseconds waited{0};
};

// open_rocks_store, retried while the lock's holder is going away, for up to
// wait.max_wait: a remount right after an unmount or a crash waits for it, a
// store in use elsewhere is refused at once. Errc::busy when the holder
// serves, or did not let go in time.
Result<std::unique_ptr<Store>> open_store_waiting(const StoreOptions& options, LockWait& wait);

}  // namespace gcfs
