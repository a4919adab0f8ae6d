#include "fusefs/activity.hpp"

#include <ctime>

namespace gcfs::fusefs {

namespace {
void touch(NsActivity& a) { a.last_use_sec.store(std::time(nullptr), std::memory_order_relaxed); }
}  // namespace

void Activity::hit(NsId ns) {
  NsActivity& a = of(ns);
  a.hits.fetch_add(1, std::memory_order_relaxed);
  touch(a);
}

void Activity::miss(NsId ns) {
  NsActivity& a = of(ns);
  a.misses.fetch_add(1, std::memory_order_relaxed);
  touch(a);
}

void Activity::remote_hit(NsId ns) { of(ns).remote_hits.fetch_add(1, std::memory_order_relaxed); }

bool is_action_name(std::string_view name) {
  return name.size() == 66 && name[65] == 'a' && is_entry_name(name);
}

bool is_entry_name(std::string_view name) {
  if (name.size() != 66 || name[64] != '-' || (name[65] != 'a' && name[65] != 'd')) return false;
  for (size_t i = 0; i < 64; ++i) {
    char c = name[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace gcfs::fusefs
