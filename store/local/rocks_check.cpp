// Store::check and Store::repair over RocksDB (issue 10). A check reads the
// namespace's whole family at one snapshot, so what it reports is true of one
// committed state however busy the namespace is (check_scan.cpp,
// check_rules.cpp). Repair re-checks under the namespace's mutation lock and
// builds its fixes in a WriteBatchWithIndex: each further round checks the
// snapshot with the pending fixes on top, until a round finds nothing more
// to fix; then the counters are set to that final state's recount and the
// batch is written at once.
#include <fmt/format.h>
#include <rocksdb/utilities/write_batch_with_index.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "store/local/check_rules.hpp"
#include "store/local/keys.hpp"
#include "store/local/rocks_store.hpp"

namespace gcfs {

namespace {

// Cascades (a directory removed, then its entries, then what they named)
// take a round each; a deeper one is left for the next repair.
constexpr int kMaxRounds = 8;

using MapError = std::function<Error(const rocksdb::Status&, std::string_view)>;

// The namespace at `snap`, with `batch` (if any) on top.
class RocksView final : public CheckView {
 public:
  RocksView(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, const rocksdb::Snapshot* snap,
            rocksdb::WriteBatchWithIndex* batch, MapError map_error)
      : db_(db), cf_(cf), snap_(snap), batch_(batch), map_error_(std::move(map_error)) {}

  Status scan(std::string_view from, std::string_view to, const Visit& visit) override {
    rocksdb::ReadOptions ro = options();
    const std::string end(to);
    rocksdb::Slice upper(end);
    if (!end.empty()) ro.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf_));
    if (batch_ != nullptr) it.reset(batch_->NewIteratorWithBase(cf_, it.release(), &ro));
    if (from.empty()) {
      it->SeekToFirst();
    } else {
      it->Seek(rocksdb::Slice(from.data(), from.size()));
    }
    for (; it->Valid(); it->Next()) {
      const std::string_view k = it->key().ToStringView();
      if (!end.empty() && k >= end) break;  // the batch's side ignores the bound
      if (!visit(k, it->value().ToStringView())) break;
    }
    if (!it->status().ok()) return map_error_(it->status(), "reading a namespace to check it");
    return Status::ok();
  }

  Result<std::optional<std::string>> get(std::string_view key) override {
    std::string v;
    const rocksdb::Slice k(key.data(), key.size());
    auto s = batch_ != nullptr ? batch_->GetFromBatchAndDB(db_, options(), cf_, k, &v)
                               : db_->Get(options(), cf_, k, &v);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return map_error_(s, "reading a namespace to check it");
    return std::optional<std::string>(std::move(v));
  }

 private:
  rocksdb::ReadOptions options() const {
    rocksdb::ReadOptions ro;
    ro.snapshot = snap_;
    ro.fill_cache = false;  // a check reads everything once: keep the cache for the mount
    return ro;
  }

  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* cf_;
  const rocksdb::Snapshot* snap_;
  rocksdb::WriteBatchWithIndex* batch_;
  MapError map_error_;
};

std::string u64le(uint64_t v) {
  std::string s;
  keys::put_u64le(s, v);
  return s;
}

}  // namespace

Result<CheckReport> RocksStore::check(NsId id, const Progress& progress) {
  auto state = ns_state(id);
  if (!state) return state.status();
  SnapshotGuard snap(db_);
  RocksView view(
      db_, (*state)->cf, snap.get(), nullptr,
      [this](const rocksdb::Status& s, std::string_view what) { return map_error(s, what); });
  auto round = check_round(view, ScanOptions{chunk_size_, true, progress});
  if (!round) return round.status();
  CheckReport report{
      round->files, round->bytes_read, round->bytes_checked, std::move(round->problems), {}, false};
  for (CheckProblem& p : report.problems) p.repair.clear();
  return report;
}

Result<CheckReport> RocksStore::repair(NsId id, const Progress& progress) {
  // Most namespaces are clean: find out without blocking their writers.
  auto first = check(id, progress);
  if (!first || first->problems.empty()) return first;
  return mutate(id, [&](Txn&, NsState& ns) -> Result<CheckReport> {
    SnapshotGuard snap(db_);
    rocksdb::WriteBatchWithIndex batch(rocksdb::BytewiseComparator(), 0, /*overwrite_key=*/true);
    RocksView view(
        db_, ns.cf, snap.get(), &batch,
        [this](const rocksdb::Status& s, std::string_view what) { return map_error(s, what); });
    CheckReport report;
    RoundResult last;
    for (int round = 0;; ++round) {
      // Later rounds skip decoding: the batch only deletes data.
      auto r = check_round(
          view, ScanOptions{chunk_size_, round == 0, round == 0 ? progress : Progress()});
      if (!r) return r.status();
      if (round == 0) {
        report.files = r->files;
        report.bytes_read = r->bytes_read;
        report.bytes_checked = r->bytes_checked;
      }
      const bool final_round = r->fixes.empty() || round + 1 == kMaxRounds;
      for (CheckProblem& p : r->problems) {
        // The counters are set last, from the final state; until then the
        // view's counters are the old ones.
        if (p.kind == "counter" && round > 0) continue;
        if (final_round && p.kind != "counter") {
          p.repair.clear();
          report.remaining.push_back(std::move(p));
        } else {
          report.problems.push_back(std::move(p));
        }
      }
      if (final_round) {
        last = std::move(r).value();
        break;
      }
      for (Fix& f : r->fixes) {
        if (f.key == keys::kNextIno && f.value && f.value->size() == 8) {
          // Never behind what this process allocates from.
          const uint64_t next = std::max(keys::get_u64be(f.value->data()), ns.next_ino);
          f.value->clear();
          keys::put_u64be(*f.value, next);
        }
        rocksdb::Status s =
            f.value ? batch.Put(ns.cf, f.key, *f.value) : batch.Delete(ns.cf, f.key);
        if (!s.ok()) return map_error(s, "building the repair batch");
      }
    }
    // Counters that differ from the final state's recount: a Put of the
    // absolute value replaces every merged delta.
    const auto have = counter_fields(last.counters);
    const auto want = counter_fields(last.recount);
    for (size_t i = 0; i < kCounterNames.size(); ++i) {
      const std::string name(kCounterNames[i]);
      const auto& garbled = last.garbled_counters;
      if (*have[i] == *want[i] &&
          std::find(garbled.begin(), garbled.end(), name) == garbled.end()) {
        continue;
      }
      rocksdb::Status s = batch.Put(ns.cf, keys::counter(name), u64le(*want[i]));
      if (!s.ok()) return map_error(s, "building the repair batch");
    }
    if (batch.GetWriteBatch()->Count() == 0) return report;  // repaired meanwhile
    if (auto s = write_batch(*batch.GetWriteBatch(), "repairing a namespace"); !s) return s;
    ns.next_ino = std::max(ns.next_ino, last.max_ino + 1);
    report.wrote = true;
    spdlog::warn("namespace {}: repaired {} problem(s), {} remaining", id, report.problems.size(),
                 report.remaining.size());
    return report;
  });
}

}  // namespace gcfs
