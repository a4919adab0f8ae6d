// Names and paths for what the integrity check reports or repairs, looked up
// in the check's own view (so they agree with the facts), and only on demand.
#include <fmt/format.h>
#include <sys/stat.h>

#include "store/local/check_rules.hpp"
#include "store/local/keys.hpp"

namespace gcfs {

Result<const std::vector<CheckRules::Named>*> CheckRules::entries_of(Ino parent) {
  if (auto it = listings_.find(parent); it != listings_.end()) return &it->second;
  std::vector<Named> list;
  const std::string from = keys::dentry_prefix(parent);
  Status s = view_.scan(from, keys::prefix_end(from), [&](std::string_view k, std::string_view v) {
    auto d = keys::parse_dentry(k);
    auto dv = keys::parse_dentry_value(v);
    // Garbled records are reported (and deleted) on their own.
    if (d && dv) list.push_back({parent, dv->ino, dv->type & S_IFMT, std::string(k)});
    return true;
  });
  if (!s) return s;
  return &listings_.emplace(parent, std::move(list)).first->second;
}

Result<std::vector<CheckRules::Named>> CheckRules::names(const Item& it, bool good_only) {
  std::vector<Named> out;
  for (size_t i = 0; i < it.refs.size(); ++i) {
    const Ino parent = it.refs[i].parent;
    if (i > 0 && it.refs[i - 1].parent == parent) continue;  // refs are by (child, parent)
    if (good_only && !is_dir(parent)) continue;
    auto list = entries_of(parent);
    if (!list) return list.status();
    for (const Named& n : **list) {
      if (n.child == it.ino) out.push_back(n);
    }
  }
  return out;
}

Result<std::string> CheckRules::path(const Item& it) {
  if (it.good.empty()) return std::string();
  auto ns = names(it, true);
  if (!ns) return ns.status();
  if (ns->empty()) return std::string();
  auto dir = dir_path(ns->front().parent);
  if (!dir) return dir;
  return *dir + "/" + std::string(ns->front().name());
}

Result<std::string> CheckRules::dir_path(Ino dir, int depth) {
  if (dir == kRootIno) return std::string();
  if (auto c = dir_paths_.find(dir); c != dir_paths_.end()) return c->second;
  std::string p = fmt::format("<directory {}>", dir);
  auto d = dirs_.find(dir);
  // Only directories that reach the root have a path (no cycle to follow).
  if (d != dirs_.end() && d->second.reach == DirInfo::Reach::yes && depth < 4096) {
    const Ino up = d->second.kept_parent;
    auto list = entries_of(up);
    if (!list) return list.status();
    for (const Named& n : **list) {
      if (n.child != dir) continue;
      auto above = dir_path(up, depth + 1);
      if (!above) return above;
      p = *above + "/" + std::string(n.name());
      break;
    }
  }
  dir_paths_.emplace(dir, p);
  return p;
}

Result<InodeRecord*> CheckRules::edit(Item& it) {
  if (!it.edit) {
    auto v = view_.get(keys::inode(it.ino));
    if (!v) return v.status();
    if (!v->has_value()) return Error(Errc::corrupt, "inode record vanished from the check's view");
    auto rec = parse_inode(**v, it.ino);
    if (!rec) return rec.status();
    it.edit = std::move(rec).value();
  }
  return &*it.edit;
}

}  // namespace gcfs
