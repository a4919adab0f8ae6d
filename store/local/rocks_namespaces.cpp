// Namespaces: one column family each (`ns.<id>`), registered in the default
// family. Ids come from a counter and are never reused; a drop is
// DropColumnFamily plus registry deletes, instant whatever the size.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <ctime>

#include "store/local/keys.hpp"
#include "store/local/rocks_store.hpp"

namespace gcfs {

namespace {

Timespec wall_clock() {
  struct timespec ts {};
  clock_gettime(CLOCK_REALTIME, &ts);
  return Timespec{ts.tv_sec, static_cast<uint32_t>(ts.tv_nsec)};
}

std::string u32be(uint32_t v) {
  std::string s;
  keys::put_u32be(s, v);
  return s;
}

std::string u64be(uint64_t v) {
  std::string s;
  keys::put_u64be(s, v);
  return s;
}

}  // namespace

Result<std::vector<NsInfo>> RocksStore::list_namespaces() {
  std::shared_lock lock(map_mu_);
  std::vector<NsInfo> out;
  out.reserve(by_name_.size());
  for (const auto& [name, id] : by_name_) out.push_back(NsInfo{id, name});
  std::sort(out.begin(), out.end(), [](const NsInfo& a, const NsInfo& b) { return a.id < b.id; });
  return out;
}

Result<NsInfo> RocksStore::find_namespace(std::string_view name) {
  std::shared_lock lock(map_mu_);
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return Error(Errc::not_found, fmt::format("no namespace {}", name));
  return NsInfo{it->second, it->first};
}

Result<NsInfo> RocksStore::create_namespace(std::string_view name, uint32_t mode,
                                            Credentials owner) {
  if (!valid_namespace_name(name)) {
    return Error(Errc::invalid, fmt::format("invalid namespace name '{}'", name));
  }
  if (auto s = check_writable(); !s) return s;
  std::lock_guard admin(admin_mu_);
  if (find_namespace(name)) return Error(Errc::exists, fmt::format("namespace {} exists", name));
  if (next_ns_ > kMaxNsId) return Error(Errc::no_space, "namespace ids exhausted");
  const NsId id = next_ns_;

  rocksdb::ColumnFamilyHandle* cf = nullptr;
  auto s = db_->CreateColumnFamily(family_options(), keys::family_name(id), &cf);
  if (!s.ok()) return map_error(s, fmt::format("creating namespace {}", name));
  auto state = std::make_shared<NsState>(db_, id, cf);

  // Registry, root directory, inode counter and accounting in one batch.
  rocksdb::WriteBatch batch;
  batch.Put(default_cf_, keys::ns_by_name(name), u32be(id));
  batch.Put(default_cf_, keys::ns_by_id(id), name);
  batch.Put(default_cf_, keys::kNextNs, u64be(id + 1));
  InodeRecord root;
  root.mode = S_IFDIR | (mode & 07777);
  root.nlink = 2;
  root.uid = owner.uid;
  root.gid = owner.gid;
  root.atime = root.mtime = root.ctime = wall_clock();
  root.parent = kRootIno;
  const std::string root_value = serialize_inode(root);
  batch.Put(cf, keys::inode(kRootIno), root_value);
  batch.Put(cf, keys::kNextIno, u64be(kRootIno + 1));
  Deltas d;
  d.dirs = 1;
  d.put_kv(keys::inode(kRootIno).size(), root_value.size());
  d.add_to(batch, cf);
  if (auto w = write_batch(batch, "registering a namespace"); !w) {
    if (auto d2 = db_->DropColumnFamily(cf); !d2.ok()) {
      spdlog::warn("dropping half-created namespace {}: {}", name, d2.ToString());
    }
    return w;
  }
  next_ns_ = id + 1;
  state->next_ino = kRootIno + 1;
  std::unique_lock lock(map_mu_);
  by_id_.emplace(id, std::move(state));
  by_name_.emplace(std::string(name), id);
  return NsInfo{id, std::string(name)};
}

Status RocksStore::drop_namespace(std::string_view name) {
  if (auto s = check_writable(); !s) return s;
  std::lock_guard admin(admin_mu_);
  auto info = find_namespace(name);
  if (!info) return info.status();
  auto state = ns_state(info->id);
  if (!state) return state.status();
  NsState& ns = **state;
  // Let running mutations finish; later ones see `dropped`.
  std::lock_guard ns_lock(ns.mu);
  rocksdb::WriteBatch batch;
  batch.Delete(default_cf_, keys::ns_by_name(name));
  batch.Delete(default_cf_, keys::ns_by_id(info->id));
  if (auto w = write_batch(batch, "unregistering a namespace"); !w) return w;
  // Unregistered first: a crash before the drop leaves a family that the
  // next open drops as unregistered.
  auto s = db_->DropColumnFamily(ns.cf);
  if (!s.ok()) spdlog::warn("dropping namespace {}: {}", name, s.ToString());
  ns.dropped = true;
  std::unique_lock lock(map_mu_);
  by_name_.erase(by_name_.find(name));
  by_id_.erase(info->id);  // the handle goes when the last user lets go
  return Status::ok();
}

Status RocksStore::rename_namespace(std::string_view from, std::string_view to) {
  if (!valid_namespace_name(to)) {
    return Error(Errc::invalid, fmt::format("invalid namespace name '{}'", to));
  }
  if (auto s = check_writable(); !s) return s;
  std::lock_guard admin(admin_mu_);
  auto info = find_namespace(from);
  if (!info) return info.status();
  if (from == to) return Status::ok();
  if (find_namespace(to)) return Error(Errc::exists, fmt::format("namespace {} exists", to));
  rocksdb::WriteBatch batch;
  batch.Delete(default_cf_, keys::ns_by_name(from));
  batch.Put(default_cf_, keys::ns_by_name(to), u32be(info->id));
  batch.Put(default_cf_, keys::ns_by_id(info->id), to);
  if (auto w = write_batch(batch, "renaming a namespace"); !w) return w;
  std::unique_lock lock(map_mu_);
  by_name_.erase(by_name_.find(from));
  by_name_.emplace(std::string(to), info->id);
  return Status::ok();
}

}  // namespace gcfs
