// The names of hard-linked inodes in the integrity check (rocks_links.cpp
// writes them): an inode with two or more links has one `K` record per entry
// naming it, and any other inode has none. Names are looked up only for an
// inode that has some, so a namespace without hard links costs nothing here.
#include <fmt/format.h>

#include <algorithm>

#include "store/local/check_rules.hpp"
#include "store/local/keys.hpp"

namespace gcfs {

Status CheckRules::link_index(const Item& it, uint32_t nlink) {
  if (nlink < 2 && it.links.empty()) return Status::ok();
  std::vector<Named> have;
  if (nlink >= 2) {
    auto ns = names(it, true);
    if (!ns) return ns.status();
    have = std::move(ns).value();
  }
  for (const LinkFact& l : it.links) {
    const bool named = std::any_of(have.begin(), have.end(), [&](const Named& n) {
      return n.parent == l.parent && n.name() == l.name();
    });
    if (named) continue;
    auto dir = dir_path(l.parent);
    if (!dir) return dir.status();
    add("link", it.ino, *dir + "/" + std::string(l.name()),
        nlink >= 2 ? std::string("link name record of an entry that does not name the inode")
                   : fmt::format("link name record of an inode with {} link(s)", nlink),
        "record deleted");
    del(l.key);
  }
  for (const Named& n : have) {
    const bool indexed = std::any_of(it.links.begin(), it.links.end(), [&](const LinkFact& l) {
      return n.parent == l.parent && n.name() == l.name();
    });
    if (indexed) continue;
    auto dir = dir_path(n.parent);
    if (!dir) return dir.status();
    add("link", it.ino, *dir + "/" + std::string(n.name()),
        "a name of a hard-linked inode missing from the link names", "record added");
    put(keys::link_name(it.ino, n.parent, n.name()), "");
  }
  return Status::ok();
}

}  // namespace gcfs
