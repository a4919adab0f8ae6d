#include "fusefs/node_table.hpp"

#include <chrono>
#include <thread>

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
  ++open_by_ns_[slot->id.ns];
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
  if (node->opens > 0) {
    --node->opens;
    if (auto it = open_by_ns_.find(node->id.ns); it != open_by_ns_.end() && --it->second == 0) {
      open_by_ns_.erase(it);
    }
  }
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

bool NodeTable::orphan_unless_referenced(fuse_ino_t fino) {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(fino);
  if (it == nodes_.end()) return true;  // only referenced nodes are kept
  it->second->orphan = true;
  return false;
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
  // One round of a clock hand over the hash buckets, taken a slice at a time
  // so that lookups wait for one slice at most; the next call goes on where
  // this one stopped instead of rescanning the table's start.
  size_t round = 0;    // buckets passed in this call
  size_t buckets = 0;  // the table's bucket count when this call started
  bool done = false;
  for (bool first = true; !done; first = false) {
    // std::mutex does not hand over: without a pause the sweep would take
    // the lock back before a woken lookup runs.
    if (!first) std::this_thread::sleep_for(std::chrono::microseconds(50));
    std::lock_guard lock(mu_);
    if (first) {
      buckets = nodes_.bucket_count();
      hand_ %= buckets;
    } else if (nodes_.bucket_count() != buckets) {
      break;  // rehashed meanwhile: the hand would offer nodes again
    }
    size_t work = 0;
    while (work < kPruneSlice) {
      if (out.size() >= max || round >= buckets) {
        done = true;
        break;
      }
      const size_t b = hand_++ % buckets;
      ++round;
      ++work;
      for (auto it = nodes_.begin(b); it != nodes_.end(b) && out.size() < max; ++it, ++work) {
        Node& node = *it->second;
        if (it->first == FUSE_ROOT_ID || node.opens > 0 ||
            node.has_pending.load(std::memory_order_acquire)) {
          continue;
        }
        if (node.recent) {
          node.recent = false;
          continue;
        }
        out.push_back(it->first);
      }
    }
  }
  return out;
}

void NodeTable::for_each_pending(const std::function<void(Node&)>& f,
                                 const std::function<void(NodeId)>& purge) {
  std::vector<Node*> pinned;
  {
    std::lock_guard lock(mu_);
    for (auto& [fino, node] : nodes_) {
      if (!node->has_pending.load(std::memory_order_acquire)) continue;
      ++node->opens;  // keeps it in the table while f runs
      ++open_by_ns_[node->id.ns];
      pinned.push_back(node.get());
    }
  }
  for (Node* node : pinned) f(*node);
  for (Node* node : pinned) {
    NodeId id;
    if (close(node, &id) && purge) purge(id);
  }
}

size_t NodeTable::open_in(NsId ns) {
  std::lock_guard lock(mu_);
  auto it = open_by_ns_.find(ns);
  return it == open_by_ns_.end() ? 0 : it->second;
}

size_t NodeTable::size() {
  std::lock_guard lock(mu_);
  return nodes_.size();
}

}  // namespace gcfs::fusefs
