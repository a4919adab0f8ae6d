// gcfs-damage: damages a stopped daemon's store with raw record edits, for
// the tests of `gocachectl verify --repair` (tests/mount/test_gocachectl.py).
//   gcfs-damage STORE NS drop-inode PATH     the file's record goes: its entry dangles
//   gcfs-damage STORE NS drop-entry PATH     its entry goes: the file is named nowhere
//   gcfs-damage STORE NS corrupt-chunk PATH  a byte of its first chunk flips
//   gcfs-damage STORE NS drop-use PATH       it leaves half of the LRU index
//   gcfs-damage STORE NS stray-chunk         a chunk of no inode appears
//   gcfs-damage STORE NS counter NAME VALUE  an `S` counter is set
#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <vector>

#include "store/codec/chunk.hpp"
#include "store/local/keys.hpp"
#include "store/store.hpp"
#include "store/testing/testing.hpp"

namespace {

using namespace gcfs;

int die(const std::string& why) {
  std::fprintf(stderr, "gcfs-damage: %s\n", why.c_str());
  return 1;
}

// The directory entry key and inode of a path below the namespace root.
Result<std::pair<std::string, Ino>> resolve(Store& store, NsId ns, const std::string& path) {
  Ino dir = kRootIno;
  std::string key;
  Ino ino = kRootIno;
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    const std::string name = path.substr(start, end - start);
    auto a = store.lookup(ns, dir, name);
    if (!a) return a.status();
    key = keys::dentry(dir, keys::dentry_cookie(name), name);
    ino = a->ino;
    dir = ino;
    start = end + 1;
  }
  return std::make_pair(key, ino);
}

Status run(Store& store, NsId ns, const std::vector<std::string>& args) {
  const std::string& verb = args[0];
  if (verb == "stray-chunk") {
    return testing::put_raw(store, ns, keys::chunk(999999, 0), encode_chunk(999999, 0, "stray"));
  }
  if (verb == "counter" && args.size() == 3) {
    std::string v;
    keys::put_u64le(v, std::stoull(args[2]));
    return testing::put_raw(store, ns, keys::counter(args[1]), v);
  }
  if (args.size() != 2) return Error(Errc::invalid, "usage: see the comment in damage_store.cpp");
  auto target = resolve(store, ns, args[1]);
  if (!target) return target.status();
  const auto& [dentry, ino] = *target;
  if (verb == "drop-inode") return testing::delete_raw(store, ns, keys::inode(ino));
  if (verb == "drop-entry") return testing::delete_raw(store, ns, dentry);
  if (verb == "drop-use") return testing::delete_raw(store, ns, keys::use(ino));
  if (verb == "corrupt-chunk") {
    auto v = testing::get_raw(store, ns, keys::chunk(ino, 0));
    if (!v) return v.status();
    if (!v->has_value()) return Error(Errc::invalid, "not a chunked file");
    std::string c = **v;
    c.back() = static_cast<char>(c.back() ^ 0x20);
    return testing::put_raw(store, ns, keys::chunk(ino, 0), c);
  }
  return Error(Errc::invalid, "unknown verb " + verb);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) return die("usage: gcfs-damage STORE NS VERB [ARGS]");
  StoreOptions so;
  so.path = argv[1];
  so.create_if_missing = false;
  auto store = open_rocks_store(so);
  if (!store) return die(store.error().message());
  auto ns = (*store)->find_namespace(argv[2]);
  if (!ns) return die(ns.error().message());
  Status s = run(**store, ns->id, std::vector<std::string>(argv + 3, argv + argc));
  if (!s) return die(s.error().message());
  return 0;
}
