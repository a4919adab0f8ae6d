// create_files: several regular files made with their whole content in one
// batch. The second tier's fetch uses it so that a Go entry (-a) and the
// output it names (-d) appear together or not at all.
#include <fmt/format.h>
#include <sys/stat.h>

#include <cstring>

#include "store/codec/chunk.hpp"
#include "store/local/keys.hpp"
#include "store/local/rocks_store.hpp"

namespace gcfs {

namespace {

bool all_zero(std::string_view s) {
  return s.empty() || (s[0] == 0 && std::memcmp(s.data(), s.data() + 1, s.size() - 1) == 0);
}

// The content as a commit would install it, compressed before the lock is
// taken; the chunks get their inode number once it is allocated.
ContentChange encode_whole(std::string_view data, uint32_t chunk_size) {
  ContentChange cc;
  cc.size = data.size();
  for (uint64_t idx = 0; idx * chunk_size < data.size(); ++idx) {
    const std::string_view raw = data.substr(idx * chunk_size, chunk_size);
    cc.encoded.emplace(idx, all_zero(raw) ? std::string() : encode_chunk(0, idx, raw));
  }
  return cc;
}

}  // namespace

Result<std::vector<Attr>> RocksStore::create_files(NsId id, std::span<const NewFile> files,
                                                   Credentials owner, Timespec now) {
  std::vector<ContentChange> contents;
  contents.reserve(files.size());
  for (const NewFile& f : files) {
    if (auto s = check_entry_name(f.name); !s) return s;
    if (f.data.size() > opts_.max_file_size) {
      return Error(Errc::too_big,
                   fmt::format("{} bytes is over the file size limit", f.data.size()));
    }
    contents.push_back(encode_whole(f.data, chunk_size_));
  }
  return mutate(id, [&](Txn& t, NsState& ns) -> Result<std::vector<Attr>> {
    std::vector<Attr> out;
    Ino next = ns.next_ino;
    for (size_t i = 0; i < files.size(); ++i) {
      const NewFile& f = files[i];
      auto dir = t.dir(f.parent);
      if (!dir) return dir.status();
      const std::string dkey = keys::dentry(f.parent, keys::dentry_cookie(f.name), f.name);
      auto existing = t.find_dentry(dkey);
      if (!existing) return existing.status();
      if (existing->has_value()) {
        auto rec = t.inode((*existing)->ino);
        if (!rec) return rec.status();
        out.push_back((*rec)->to_attr((*existing)->ino));
        continue;
      }
      const Ino ino = next++;
      if (ino > kMaxIno) return Error(Errc::no_space, "inode numbers exhausted");
      ContentChange& cc = contents[i];
      for (auto& [idx, value] : cc.encoded) set_chunk_ino(value, ino);
      InodeRecord rec;
      rec.mode = S_IFREG | (f.mode & 07777);
      rec.nlink = 1;
      rec.uid = owner.uid;
      rec.gid = owner.gid;
      rec.atime = rec.mtime = rec.ctime = now;
      if (auto s = apply_content(t, ino, rec, cc); !s) return s;
      t.deltas.files += 1;
      lru_insert(t, ino, f.parent, f.name, now.sec * 1'000'000'000 + now.nsec);
      (*dir)->mtime = (*dir)->ctime = now;
      t.mark(f.parent);
      out.push_back(rec.to_attr(ino));
      t.put_new(ino, std::move(rec));
      t.batch().Put(ns.cf, dkey, keys::dentry_value(ino, S_IFREG));
      t.deltas.put_kv(dkey.size(), kDentryValueSize);
    }
    if (next != ns.next_ino) {
      std::string v;
      keys::put_u64be(v, next);
      t.batch().Put(ns.cf, keys::kNextIno, v);
    }
    if (auto s = t.write("creating fetched files"); !s) return s;
    ns.next_ino = next;
    return out;
  });
}

}  // namespace gcfs
