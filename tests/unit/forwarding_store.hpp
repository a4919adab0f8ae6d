// A Store that forwards every call to another one: derive from it and
// override a call to interpose (inject a concurrent change, a failure)
// exactly where the code under test makes that call.
#pragma once

#include "store/store.hpp"

namespace gcfs::test {

class ForwardingStore : public Store {
 public:
  explicit ForwardingStore(Store& inner) : s_(inner) {}

  Result<std::vector<NsInfo>> list_namespaces() override { return s_.list_namespaces(); }
  Result<NsInfo> find_namespace(std::string_view name) override { return s_.find_namespace(name); }
  Result<NsInfo> create_namespace(std::string_view name, uint32_t mode,
                                  Credentials owner) override {
    return s_.create_namespace(name, mode, owner);
  }
  Status drop_namespace(std::string_view name) override { return s_.drop_namespace(name); }
  Status rename_namespace(std::string_view from, std::string_view to) override {
    return s_.rename_namespace(from, to);
  }
  Result<NsStats> stats(NsId ns) override { return s_.stats(ns); }
  Result<NsStats> recount(NsId ns) override { return s_.recount(ns); }
  StoreUsage usage() override { return s_.usage(); }
  EngineStats engine_stats() override { return s_.engine_stats(); }
  Result<Attr> getattr(NsId ns, Ino ino) override { return s_.getattr(ns, ino); }
  Result<Attr> lookup(NsId ns, Ino parent, std::string_view name) override {
    return s_.lookup(ns, parent, name);
  }
  Result<Attr> mknode(NsId ns, Ino parent, std::string_view name, uint32_t mode, Credentials owner,
                      Timespec now, std::string_view target, uint64_t rdev) override {
    return s_.mknode(ns, parent, name, mode, owner, now, target, rdev);
  }
  Result<std::string> readlink(NsId ns, Ino ino) override { return s_.readlink(ns, ino); }
  Result<std::string> getxattr(NsId ns, Ino ino, std::string_view name) override {
    return s_.getxattr(ns, ino, name);
  }
  Result<std::vector<std::string>> listxattr(NsId ns, Ino ino) override {
    return s_.listxattr(ns, ino);
  }
  Status setxattr(NsId ns, Ino ino, std::string_view name, std::string_view value, XattrMode mode,
                  Timespec now) override {
    return s_.setxattr(ns, ino, name, value, mode, now);
  }
  Status removexattr(NsId ns, Ino ino, std::string_view name, Timespec now) override {
    return s_.removexattr(ns, ino, name, now);
  }
  Result<Ino> unlink(NsId ns, Ino parent, std::string_view name, Timespec now) override {
    return s_.unlink(ns, parent, name, now);
  }
  Result<Attr> link(NsId ns, Ino ino, Ino new_parent, std::string_view new_name,
                    Timespec now) override {
    return s_.link(ns, ino, new_parent, new_name, now);
  }
  Status rmdir(NsId ns, Ino parent, std::string_view name, Timespec now) override {
    return s_.rmdir(ns, parent, name, now);
  }
  Result<std::optional<Ino>> rename(NsId ns, Ino parent, std::string_view name, Ino new_parent,
                                    std::string_view new_name, unsigned flags,
                                    Timespec now) override {
    return s_.rename(ns, parent, name, new_parent, new_name, flags, now);
  }
  Result<Attr> setattr(NsId ns, Ino ino, const SetAttr& sa) override {
    return s_.setattr(ns, ino, sa);
  }
  Status purge(NsId ns, Ino ino) override { return s_.purge(ns, ino); }
  Status readdir(NsId ns, Ino dir, uint64_t from_cookie,
                 const std::function<bool(const DirEntry&)>& emit) override {
    return s_.readdir(ns, dir, from_cookie, emit);
  }
  Result<size_t> read(NsId ns, Ino ino, uint64_t off, std::span<char> out) override {
    return s_.read(ns, ino, off, out);
  }
  Result<std::unique_ptr<PendingWrite>> begin_write(NsId ns, Ino ino) override {
    return s_.begin_write(ns, ino);
  }
  Result<Attr> commit(PendingWrite& pw, Timespec now) override { return s_.commit(pw, now); }
  Status sync() override { return s_.sync(); }
  Status flush_memtables() override { return s_.flush_memtables(); }
  Result<std::vector<Attr>> create_files(NsId ns, std::span<const NewFile> files, Credentials owner,
                                         Timespec now) override {
    return s_.create_files(ns, files, owner, now);
  }
  uint32_t chunk_size() const override { return s_.chunk_size(); }
  Result<SpaceStats> space(NsId ns) override { return s_.space(ns); }
  Result<StoreSpace> space_all() override { return s_.space_all(); }
  Result<SettleResult> settle(NsId ns, const SettleRequest& request) override {
    return s_.settle(ns, request);
  }
  uint64_t write_sequence() override { return s_.write_sequence(); }
  Status compact(NsId ns, const CompactRequest& request) override {
    return s_.compact(ns, request);
  }
  Status record_uses(NsId ns, std::span<const FileUse> uses) override {
    return s_.record_uses(ns, uses);
  }
  Result<std::vector<LruEntry>> lru_oldest(NsId ns, size_t max) override {
    return s_.lru_oldest(ns, max);
  }
  Result<int64_t> last_use_ns(NsId ns, Ino ino) override { return s_.last_use_ns(ns, ino); }
  Result<Ino> parent_of(NsId ns, Ino dir) override { return s_.parent_of(ns, dir); }
  Result<UnlinkIf> unlink_if_unused(NsId ns, Ino parent, std::string_view name, Ino ino,
                                    int64_t used_before_ns, Timespec now,
                                    std::vector<EntryName>* other_names) override {
    return s_.unlink_if_unused(ns, parent, name, ino, used_before_ns, now, other_names);
  }
  Result<CheckReport> check(NsId ns, const Progress& progress) override {
    return s_.check(ns, progress);
  }
  Result<CheckReport> repair(NsId ns, const Progress& progress) override {
    return s_.repair(ns, progress);
  }
  Result<SnapshotInfo> create_snapshot(std::string_view name, std::string_view ns) override {
    return s_.create_snapshot(name, ns);
  }
  Result<std::vector<SnapshotInfo>> list_snapshots() override { return s_.list_snapshots(); }
  Result<SnapshotInfo> find_snapshot(std::string_view name) override {
    return s_.find_snapshot(name);
  }
  Status delete_snapshot(std::string_view name) override { return s_.delete_snapshot(name); }
  Result<SwapResult> swap_snapshot(std::string_view snap, std::string_view ns) override {
    return s_.swap_snapshot(snap, ns);
  }
  Result<ArchiveSummary> export_snapshot(std::string_view name, const std::string& path,
                                         const Progress& progress,
                                         const DeltaBase& since) override {
    return s_.export_snapshot(name, path, progress, since);
  }
  Result<ArchiveSummary> import_archives(const std::vector<std::string>& paths,
                                         std::string_view as_name, bool as_namespace,
                                         const Progress& progress) override {
    return s_.import_archives(paths, as_name, as_namespace, progress);
  }

 protected:
  Store& s_;
};

}  // namespace gcfs::test
