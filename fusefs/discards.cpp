#include "fusefs/discards.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace gcfs::fusefs {

namespace {
// How often pending items are looked at: a discard is late by at most this.
constexpr std::chrono::seconds kRound{5};
}  // namespace

Discards::Discards(Store& store, NodeTable& nodes, std::chrono::milliseconds after)
    : store_(store),
      nodes_(nodes),
      after_(after),
      loop_("restore discards", std::min<std::chrono::milliseconds>(kRound, after),
            [this] { sweep(false); }) {}

Discards::~Discards() { loop_.stop(); }

void Discards::add(std::string name, NsId id) {
  std::lock_guard lock(mu_);
  items_.push_back({std::move(name), id, Clock::now() + after_});
}

void Discards::start() { loop_.start(false); }

void Discards::stop() {
  loop_.stop();
  sweep(true);
}

size_t Discards::pending() {
  std::lock_guard lock(mu_);
  return items_.size();
}

void Discards::sweep(bool final_round) {
  std::vector<Item> due;
  {
    std::lock_guard lock(mu_);
    const auto now = Clock::now();
    auto keep = std::partition(items_.begin(), items_.end(),
                               [&](const Item& i) { return !final_round && i.due > now; });
    due.assign(std::make_move_iterator(keep), std::make_move_iterator(items_.end()));
    items_.erase(keep, items_.end());
  }
  std::vector<Item> later;
  for (Item& item : due) {
    if (!final_round && nodes_.open_in(item.id) > 0) {
      later.push_back(item);  // a build still reads the old content
      continue;
    }
    if (!discard(item)) later.push_back(item);
  }
  if (!later.empty() && !final_round) {
    std::lock_guard lock(mu_);
    items_.insert(items_.end(), later.begin(), later.end());
  }
}

bool Discards::discard(Item& item) {
  // Only the family the swap replaced: the user may have deleted it already.
  auto snap = store_.find_snapshot(item.name);
  Status s = Status::ok();
  if (!snap) {
    if (snap.code() == Errc::not_found) return true;
    s = snap.status();
  } else if (snap->id != item.id) {
    return true;
  } else {
    s = store_.delete_snapshot(item.name);
  }
  if (s) {
    spdlog::info("restore: deleted the replaced content, snapshot {}", item.name);
    return true;
  }
  // Kept for the next round (a full disk or a degraded store passes); said
  // once, not every round.
  if (!item.warned) {
    spdlog::warn(
        "restore: cannot delete the replaced content {} yet: {} (retrying; `gocachectl "
        "snapshot delete {}` does it too)",
        item.name, s.error().message(), item.name);
    item.warned = true;
  }
  return false;
}

}  // namespace gcfs::fusefs
