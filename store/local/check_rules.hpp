// Pass two of the integrity check: cross-checks the facts of check_scan.cpp
// inode by inode (entries, records, link counts and the names of hard-linked
// inodes, orphan markers, chunks and maps, the LRU index), then the counters
// and the inode counter, and says for each problem how repair fixes it. Names and paths are looked
// up in the same view only for what is reported, so a clean namespace costs no lookups.
//
// Repair decisions (docs/gocachectl.md): records that make no sense are
// deleted; a file whose data fails verification, or whose chunks and chunk
// map disagree, is removed whole (a cache entry that cannot be read back
// exactly is worth nothing; the go command rebuilds it); an inode with no name
// becomes an orphan, freed like any orphan; a directory with no name or on a
// cycle is removed and its entries follow in the next round of the same
// repair.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/local/check_scan.hpp"
#include "store/local/inode_record.hpp"

namespace gcfs {

struct RoundResult {
  std::vector<CheckProblem> problems;  // each with the repair its fixes make
  std::vector<Fix> fixes;              // the `S` counters excepted (repair sets them last)
  NsStats counters;
  NsStats recount;
  uint64_t files = 0;
  uint64_t bytes_read = 0;
  uint64_t bytes_checked = 0;
  Ino max_ino = 0;  // highest inode with a record
  std::vector<std::string> garbled_counters;
};

// One full check of `view`: the scan, then the rules.
Result<RoundResult> check_round(CheckView& view, const ScanOptions& options);

class CheckRules {
 public:
  CheckRules(CheckView& view, ScanFacts& facts, uint32_t chunk_size)
      : view_(view), f_(facts), chunk_size_(chunk_size) {}
  Result<RoundResult> run();

 private:
  // Everything the facts say about one inode number.
  struct Item {
    Ino ino = 0;
    const InodeFact* rec = nullptr;        // null: no readable record
    const std::string* bad_rec = nullptr;  // why the record is unreadable
    const std::string* bad_data = nullptr;
    std::span<const RefFact> refs;  // every entry naming it
    std::vector<RefFact> good;      // those in an existing directory
    std::span<const ChunkFact> chunks;
    const MapFact* map = nullptr;
    bool orphan = false;
    const UseFact* use = nullptr;
    std::span<const UseFact> lrus;
    std::span<const LinkFact> links;
    std::optional<InodeRecord> edit;  // the record as repair rewrites it
    bool removed = false;             // repair deletes the record
  };
  // A `D` record: where it is and what it says.
  struct Named {
    Ino parent = 0;
    Ino child = 0;
    uint32_t type = 0;
    std::string key;
    std::string_view name() const { return std::string_view(key).substr(17); }
  };
  struct DirInfo {
    const InodeFact* rec = nullptr;
    Ino kept_parent = 0;  // the directory whose entry it keeps; 0: none
    uint32_t subdirs = 0;
    enum class Reach { unknown, visiting, yes, below_damage, cycle } reach = Reach::unknown;
  };

  // check_rules.cpp
  Status inode(Item& it);
  Status missing(Item& it);
  void xattrs();
  void counters();
  void inode_counter();
  // check_files.cpp
  Status file(Item& it);
  Status content(Item& it, bool* removed);
  std::optional<std::string> chunk_mismatch(const Item& it) const;
  Status remove_file(Item& it, std::string_view kind, std::string_view why);
  // check_dirs.cpp
  void index_dirs();
  void find_cycles();
  Status dir(Item& it);
  Status dir_names(Item& it, DirInfo& info);
  Status replace_root(Item& it);
  static std::string type_name(uint32_t type);
  // check_lru.cpp
  Status lru(Item& it, bool indexed, bool quietly);
  // check_links.cpp: the `K` records name exactly the entries of an inode
  // with `nlink` >= 2, and there are none below.
  Status link_index(const Item& it, uint32_t nlink);
  // check_names.cpp
  Result<const std::vector<Named>*> entries_of(Ino parent);
  Result<std::vector<Named>> names(const Item& it, bool good_only);
  Result<std::string> path(const Item& it);
  Result<std::string> dir_path(Ino dir, int depth = 0);
  Result<InodeRecord*> edit(Item& it);

  bool is_dir(Ino ino) const { return dirs_.contains(ino); }
  void add(std::string_view kind, Ino ino, std::string path, std::string reason,
           std::string repair);
  void put(std::string key, std::string value) { out_.fixes.push_back({std::move(key), value}); }
  void del(std::string key) { out_.fixes.push_back({std::move(key), std::nullopt}); }
  Status del_names(const Item& it, bool good_only);
  void del_data(const Item& it);   // chunks and chunk map
  void del_index(const Item& it);  // `U` and `L` records

  CheckView& view_;
  ScanFacts& f_;
  const uint32_t chunk_size_;
  RoundResult out_;
  std::unordered_map<Ino, DirInfo> dirs_;
  InodeFact root_fact_;       // stands in for a root that is not a readable directory
  bool root_done_ = false;    // the root's inode number was checked
  std::vector<Ino> removed_;  // inodes this round deletes, ascending
  std::unordered_map<Ino, std::vector<Named>> listings_;  // `D` records by parent, as looked up
  std::unordered_map<Ino, std::string> dir_paths_;
};

}  // namespace gcfs
