#include "fusefs/node_table.hpp"

namespace gcfs::fusefs {

Node* NodeTable::ref(fuse_ino_t fino, NodeId id) {
  std::lock_guard lock(mu_);
  auto& slot = nodes_[fino];
  if (!slot) slot = std::make_unique<Node>(fino, id);
  ++slot->nlookup;
  slot->recent = true;
  return slot.get();
}

Node* NodeTable::open(fuse_ino_t fino, NodeId id) {
  std::lock_guard lock(mu_);
  auto& slot = nodes_[fino];
  if (!slot) slot = std::make_unique<Node>(fino, id);
  ++slot->opens;
  slot->recent = true;
  return slot.get();
}

void NodeTable::erase_if_unused(fuse_ino_t fino, const Node& n) {
  if (n.nlookup == 0 && n.opens == 0) nodes_.erase(fino);
}

bool NodeTable::forget(fuse_ino_t fino, uint64_t n, NodeId* id_out) {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(fino);
  if (it == nodes_.end()) return false;
  Node& node = *it->second;
  node.nlookup = n >= node.nlookup ? 0 : node.nlookup - n;
  bool purge = unreferenced_orphan(node);
  *id_out = node.id;
  erase_if_unused(fino, node);
  return purge;
}

bool NodeTable::close(Node* node, NodeId* id_out) {
  std::lock_guard lock(mu_);
  if (node->opens > 0) --node->opens;
  bool purge = unreferenced_orphan(*node);
  *id_out = node->id;
  erase_if_unused(node->fino, *node);
  return purge;
}

bool NodeTable::mark_orphan(fuse_ino_t fino) {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(fino);
  if (it == nodes_.end()) return false;
  it->second->orphan = true;
  return true;
}

bool NodeTable::is_open(fuse_ino_t fino) {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(fino);
  return it != nodes_.end() && it->second->opens > 0;
}

Node* NodeTable::find(fuse_ino_t fino) {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(fino);
  return it == nodes_.end() ? nullptr : it->second.get();
}

std::optional<uint64_t> NodeTable::pending_size(fuse_ino_t fino) {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(fino);
  if (it == nodes_.end()) return std::nullopt;
  int64_t size = it->second->dirty_size.load(std::memory_order_acquire);
  if (size < 0) return std::nullopt;
  return static_cast<uint64_t>(size);
}

std::vector<fuse_ino_t> NodeTable::prune_candidates(size_t max) {
  std::vector<fuse_ino_t> out;
  std::lock_guard lock(mu_);
  for (auto& [fino, node] : nodes_) {
    if (out.size() >= max) break;
    if (fino == FUSE_ROOT_ID || node->opens > 0 ||
        node->has_pending.load(std::memory_order_acquire)) {
      continue;
    }
    if (node->recent) {
      node->recent = false;
      continue;
    }
    out.push_back(fino);
  }
  return out;
}

void NodeTable::for_each(const std::function<void(Node&)>& f) {
  std::lock_guard lock(mu_);
  for (auto& [fino, node] : nodes_) f(*node);
}

size_t NodeTable::size() {
  std::lock_guard lock(mu_);
  return nodes_.size();
}

}  // namespace gcfs::fusefs
