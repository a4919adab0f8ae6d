// verify: reads every byte of every file of a namespace through Store::read
// (each chunk's checksum, owner and length are checked there), then checks
// the inline counters against a full recount.
#include <fmt/format.h>
#include <sys/stat.h>

#include <vector>

#include "tools/control/control.hpp"

namespace gcfs::control {

namespace {

struct Walk {
  Context& ctx;
  NsId ns;
  uint64_t total = 0;  // logical bytes expected, for progress
  uint64_t done = 0;
  uint64_t files = 0;
  json damaged = json::array();
  std::vector<char> buf = std::vector<char>(1 << 20);

  void damage(const std::string& path, const std::string& why) {
    damaged.push_back({{"path", path}, {"error", why}});
  }

  void file(const std::string& path, Ino ino) {
    auto a = ctx.store.getattr(ns, ino);
    if (!a) return damage(path, a.error().message());
    ++files;
    for (uint64_t off = 0; off < a->size;) {
      auto n = ctx.store.read(ns, ino, off, std::span<char>(buf.data(), buf.size()));
      if (!n) return damage(path, n.error().message());
      if (*n == 0) return damage(path, fmt::format("short read at {} of {}", off, a->size));
      off += *n;
      done += *n;
      if (ctx.progress) ctx.progress(done, total);
    }
  }

  void dir(const std::string& path, Ino ino, int depth) {
    if (depth > 64) return damage(path, "directory tree too deep (a cycle?)");
    std::vector<DirEntry> entries;
    auto s = ctx.store.readdir(ns, ino, 0, [&](const DirEntry& e) {
      entries.push_back(e);
      return true;
    });
    if (!s) return damage(path, s.error().message());
    for (const auto& e : entries) {
      const std::string p = path + "/" + e.name;
      if (S_ISDIR(e.mode)) {
        dir(p, e.ino, depth + 1);
      } else if (S_ISREG(e.mode)) {
        file(p, e.ino);
      } else if (auto l = ctx.store.readlink(ns, e.ino); !l) {
        damage(p, l.error().message());
      }
    }
  }
};

}  // namespace

json cmd_verify(Context& ctx, const json& req) {
  const std::string want = req.value("ns", "");
  auto list = ctx.store.list_namespaces();
  if (!list) return fail(list.error());
  json out = json::array();
  uint64_t damage = 0;
  for (const auto& ns : *list) {
    if (!want.empty() && ns.name != want) continue;
    Walk w{ctx, ns.id};
    auto st = ctx.store.stats(ns.id);
    if (st) w.total = st->logical_bytes;
    w.dir("", kRootIno, 0);
    auto rc = ctx.store.recount(ns.id);
    json j = {{"name", ns.name}, {"files", w.files}, {"bytes_read", w.done}};
    if (!st || !rc) {
      w.damage("", !st ? st.error().message() : rc.error().message());
    } else if (!(*st == *rc)) {
      w.damage("", fmt::format("counters ({} files, {} bytes) differ from a recount ({} files, "
                               "{} bytes)",
                               st->files, st->logical_bytes, rc->files, rc->logical_bytes));
    }
    damage += w.damaged.size();
    j["damaged"] = w.damaged;
    out.push_back(j);
  }
  if (!want.empty() && out.empty()) return fail(fmt::format("no namespace {}", want));
  json reply = ok({{"namespaces", out}, {"damage", damage}});
  if (damage > 0) {
    reply["ok"] = false;
    reply["exit"] = kDamage;
    reply["error"] = fmt::format("{} damaged item(s) found", damage);
  }
  return reply;
}

}  // namespace gcfs::control
