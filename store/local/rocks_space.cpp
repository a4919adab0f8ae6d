// Space: the footprint of each namespace (its family's SST files plus its
// share of the write-ahead log), the estimated occupancy of each SST file,
// and compaction of a namespace's family. docs/space.md explains the figures.
#include <fmt/format.h>
#include <rocksdb/rate_limiter.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "store/local/rocks_store.hpp"

namespace gcfs {

namespace {

// On-disk blocks of a file, as du counts them (a WAL is preallocated, so its
// apparent size says less than its blocks).
uint64_t disk_bytes(const std::filesystem::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return 0;  // vanished under a compaction
  return static_cast<uint64_t>(st.st_blocks) * 512;
}

bool is_wal(const std::string& name) {
  if (!name.ends_with(".log") || name.size() <= 4) return false;
  return std::all_of(name.begin(), name.end() - 4, [](char c) { return c >= '0' && c <= '9'; });
}

struct DirUsage {
  uint64_t all = 0;           // every regular file, on-disk blocks
  uint64_t wal = 0;           // write-ahead log files, on-disk blocks
  uint64_t wal_apparent = 0;  // what the WAL files hold (no preallocation)
};

DirUsage dir_usage(const std::string& dir) {
  DirUsage u;
  std::error_code ec;
  std::filesystem::recursive_directory_iterator it(dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    std::error_code fec;
    if (!it->is_regular_file(fec)) continue;
    const uint64_t n = disk_bytes(it->path());
    u.all += n;
    if (is_wal(it->path().filename().string())) {
      u.wal += n;
      u.wal_apparent += it->file_size(fec);
    }
  }
  return u;
}

uint64_t memtable_bytes(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
  uint64_t v = 0;
  if (!db->GetIntProperty(cf, "rocksdb.cur-size-all-mem-tables", &v)) return 0;
  return v;
}

}  // namespace

Result<SpaceStats> RocksStore::family_space(NsState& ns, bool with_blocks, uint64_t wal_bytes,
                                            uint64_t all_memtables) {
  auto counters = read_counters(ns);
  if (!counters) return counters.status();
  SpaceStats st;
  st.logical_bytes = counters->logical_bytes;
  st.stored_bytes = counters->stored_bytes;
  st.live_bytes = counters->live_bytes;
  st.memtable_bytes = memtable_bytes(db_, ns.cf);
  // The WAL holds what the memtables hold: share what it holds (not its
  // preallocation) by memtable size, at most the namespace's memtable (WAL
  // files kept only for other families' sake are the store's overhead).
  if (all_memtables > 0) {
    st.wal_bytes = std::min(
        st.memtable_bytes,
        static_cast<uint64_t>(static_cast<double>(wal_bytes) * st.memtable_bytes / all_memtables));
  }

  rocksdb::ColumnFamilyMetaData md;
  db_->GetColumnFamilyMetaData(ns.cf, &md);
  st.sst_bytes = md.size + md.blob_file_size;
  st.physical_bytes = st.sst_bytes + st.wal_bytes;

  rocksdb::TablePropertiesCollection props;
  if (auto s = db_->GetPropertiesOfAllTables(ns.cf, &props); !s.ok()) {
    return map_error(s, "reading table properties");
  }
  std::vector<BlockInfo> blocks;
  uint64_t all_put = 0;
  for (const auto& level : md.levels) {
    for (const auto& f : level.files) {
      BlockInfo b;
      b.name = f.relative_filename;
      b.level = level.level;
      b.bytes = f.size;
      b.entries = f.num_entries;
      b.deletions = f.num_deletions;
      b.smallest = f.smallestkey;
      b.largest = f.largestkey;
      auto p = props.find(f.directory + "/" + f.relative_filename);
      if (p != props.end() && p->second) {
        const auto& tp = *p->second;
        const double put_share = tp.num_entries == 0
                                     ? 0.0
                                     : 1.0 - static_cast<double>(tp.num_deletions) / tp.num_entries;
        b.put_bytes = static_cast<uint64_t>(tp.raw_key_size * put_share) + tp.raw_value_size;
      }
      all_put += b.put_bytes;
      blocks.push_back(std::move(b));
    }
  }
  // Which versions in a file are shadowed by newer ones is not known without
  // reading it: the namespace's dead versions are spread over its files in
  // proportion to their record bytes; tombstones count as dead.
  const double scale =
      all_put == 0 ? 1.0 : std::min(1.0, static_cast<double>(st.live_bytes) / all_put);
  for (auto& b : blocks) {
    b.occupancy = b.bytes == 0 ? 1.0 : std::min(1.0, scale * b.put_bytes / b.bytes);
    st.histogram[histogram_bucket(b.occupancy)]++;
  }
  if (with_blocks) st.blocks = std::move(blocks);
  return st;
}

Result<SpaceStats> RocksStore::space(NsId id) {
  auto state = ns_state(id);
  if (!state) return state.status();
  uint64_t all_mem = 0;
  db_->GetAggregatedIntProperty("rocksdb.cur-size-all-mem-tables", &all_mem);
  return family_space(**state, true, dir_usage(opts_.path).wal_apparent, all_mem);
}

Result<StoreSpace> RocksStore::space_all() {
  std::vector<std::pair<std::string, std::shared_ptr<NsState>>> all;
  {
    std::shared_lock lock(map_mu_);
    for (const auto& [name, id] : by_name_) all.emplace_back(name, by_id_.at(id));
  }
  const DirUsage du = dir_usage(opts_.path);
  uint64_t all_mem = 0;
  db_->GetAggregatedIntProperty("rocksdb.cur-size-all-mem-tables", &all_mem);
  StoreSpace out;
  SpaceStats& t = out.total;
  for (auto& [name, ns] : all) {
    auto st = family_space(*ns, false, du.wal_apparent, all_mem);
    if (!st) {
      if (st.code() == Errc::not_found) continue;  // dropped meanwhile
      return st.status();
    }
    t.logical_bytes += st->logical_bytes;
    t.stored_bytes += st->stored_bytes;
    t.live_bytes += st->live_bytes;
    t.sst_bytes += st->sst_bytes;
    t.memtable_bytes += st->memtable_bytes;
    for (size_t i = 0; i < t.histogram.size(); ++i) t.histogram[i] += st->histogram[i];
    out.namespaces.push_back(NsSpace{ns->id, name, std::move(st).value()});
  }
  t.wal_bytes = du.wal;
  t.physical_bytes = du.all;  // what du says of the store directory
  return out;
}

Status RocksStore::check_compaction_room(NsState& ns, const CompactRequest& req) {
  const auto free = free_bytes();
  if (!free) return Status::ok();  // cannot tell: let it try
  auto counters = read_counters(ns);
  if (!counters) return counters.status();
  // The output is at most the live data, and at most the files it rewrites.
  uint64_t output = counters->live_bytes;
  if (!req.ranges.empty()) {
    rocksdb::ColumnFamilyMetaData md;
    db_->GetColumnFamilyMetaData(ns.cf, &md);
    uint64_t overlapping = 0;
    for (const auto& level : md.levels) {
      for (const auto& f : level.files) {
        for (const auto& [first, last] : req.ranges) {
          if (f.largestkey >= first && f.smallestkey <= last) {
            overlapping += f.size;
            break;
          }
        }
      }
    }
    output = std::min(output, overlapping);
  }
  // It starts by flushing memtables, and needs a margin for its WAL and
  // MANIFEST writes: a compaction that meets the full disk half-way stops
  // every write. It may use the writers' reserve meanwhile (it is asked for
  // when that reserve is reached, and gives back more than it takes).
  uint64_t memtables = 0;
  db_->GetAggregatedIntProperty("rocksdb.cur-size-all-mem-tables", &memtables);
  const uint64_t need = output + memtables + kCompactionMargin;
  if (need > *free) {
    return Error(Errc::no_space,
                 fmt::format("compacting namespace {} needs {} bytes free (output up to {}, "
                             "memtables {}, margin {}) and the store's disk has {}",
                             ns.id, need, output, memtables, kCompactionMargin, *free));
  }
  return Status::ok();
}

Status RocksStore::flush_memtables() {
  if (auto s = check_writable(); !s) return s;
  std::vector<rocksdb::ColumnFamilyHandle*> families{default_cf_};
  std::vector<std::shared_ptr<NsState>> all;  // keeps the handles alive meanwhile
  {
    std::shared_lock lock(map_mu_);
    for (const auto& [id, ns] : by_id_) {
      all.push_back(ns);
      families.push_back(ns->cf);
    }
  }
  rocksdb::FlushOptions fo;
  fo.allow_write_stall = true;  // an idle store: nothing to stall
  if (auto s = db_->Flush(fo, families); !s.ok()) return map_error(s, "flushing the memtables");
  return Status::ok();
}

Status RocksStore::compact(NsId id, const CompactRequest& req) {
  auto state = ns_state(id);
  if (!state) return state.status();
  NsState& ns = **state;
  if (auto s = check_writable(); !s) return s;
  // One manual compaction at a time: the rate limit is the store's.
  std::lock_guard lock(compact_mu_);
  if (auto s = check_compaction_room(ns, req); !s) return s;
  if (rate_limiter_) {
    rate_limiter_->SetBytesPerSecond(req.low_priority ? opts_.background_compaction_rate
                                                      : kUnthrottledRate);
  }
  // The registry family's memtable would otherwise pin the WAL the
  // namespace's flush frees.
  if (auto s = db_->Flush(rocksdb::FlushOptions(), default_cf_); !s.ok()) {
    spdlog::warn("store {}: flushing the registry: {}", opts_.path, s.ToString());
  }
  rocksdb::CompactRangeOptions o;
  // Readers, writers, flushes and automatic compactions carry on meanwhile.
  o.exclusive_manual_compaction = false;
  // Rewrite the last level too: that is where deleted data ends up.
  o.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  o.max_subcompactions = req.low_priority ? 1 : 2;
  o.canceled = req.cancel;
  rocksdb::Status s;
  if (req.ranges.empty()) {
    s = db_->CompactRange(o, ns.cf, nullptr, nullptr);
  } else {
    for (const auto& [first, last] : req.ranges) {
      rocksdb::Slice b(first), e(last);
      s = db_->CompactRange(o, ns.cf, &b, &e);
      if (!s.ok()) break;
    }
  }
  if (rate_limiter_) rate_limiter_->SetBytesPerSecond(kUnthrottledRate);
  if (s.IsIncomplete() && req.cancel != nullptr && req.cancel->load()) return Status::ok();
  if (!s.ok()) return map_error(s, fmt::format("compacting namespace {}", id));
  return Status::ok();
}

}  // namespace gcfs
