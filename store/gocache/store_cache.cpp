#include "store/gocache/store_cache.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <chrono>

#include "store/gocache/layout.hpp"
#include "store/gocache/sha256.hpp"
#include "store/pending_write.hpp"

namespace gcfs::gocache {

namespace {

constexpr size_t kPiece = size_t{1} << 20;

Timespec now() {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  return {ns / 1000000000, static_cast<uint32_t>(ns % 1000000000)};
}

int64_t to_ns(Timespec t) { return t.sec * 1000000000 + t.nsec; }

// not_found becomes "absent" (nullopt); other errors stay errors.
Result<std::optional<Attr>> find(Store& store, NsId ns, Ino parent, std::string_view name) {
  auto a = store.lookup(ns, parent, name);
  if (a) return std::optional<Attr>(*a);
  if (a.code() == Errc::not_found) return std::optional<Attr>();
  return a.status();
}

Result<Credentials> root_owner(Store& store, NsId ns) {
  auto root = store.getattr(ns, kRootIno);
  if (!root) return root.status();
  return Credentials{root->uid, root->gid};
}

}  // namespace

Result<NsInfo> cache_namespace(Store& store, std::string_view name, bool create,
                               Credentials owner) {
  auto ns = store.find_namespace(name);
  if (ns || ns.code() != Errc::not_found || !create) return ns;
  auto made = store.create_namespace(name, 0755, owner);
  if (made || made.code() != Errc::exists) return made;
  return store.find_namespace(name);  // created meanwhile by someone else
}

Result<std::optional<CacheHit>> StoreCache::get(NsId ns, const GoHash& action) {
  using Miss = std::optional<CacheHit>;
  CacheHit hit;
  auto adir = find(store_, ns, kRootIno, subdir_of(action));
  if (!adir) return adir.status();
  if (!*adir || !S_ISDIR((*adir)->mode)) return Miss();
  const std::string aname = action_name(action);
  auto afile = find(store_, ns, (*adir)->ino, aname);
  if (!afile) return afile.status();
  if (!*afile || !S_ISREG((*afile)->mode)) return Miss();
  // As the go command: read one byte more than an entry to see a longer file.
  char buf[kActionEntrySize + 1];
  auto n = store_.read(ns, (*afile)->ino, 0, std::span<char>(buf, sizeof(buf)));
  if (!n) return n.code() == Errc::not_found ? Result<Miss>(Miss()) : Result<Miss>(n.status());
  auto entry = parse_action_entry(std::string_view(buf, *n), action);
  if (!entry) return Miss();
  auto odir = find(store_, ns, kRootIno, subdir_of(entry->output));
  if (!odir) return odir.status();
  if (!*odir || !S_ISDIR((*odir)->mode)) return Miss();
  auto ofile = find(store_, ns, (*odir)->ino, output_name(entry->output));
  if (!ofile) return ofile.status();
  // GetFile's check: the output must be there at the recorded size.
  if (!*ofile || !S_ISREG((*ofile)->mode) || (*ofile)->size != entry->size) return Miss();
  hit.entry = *entry;
  hit.action_dir = (*adir)->ino;
  hit.action_ino = (*afile)->ino;
  hit.output_dir = (*odir)->ino;
  hit.output_ino = (*ofile)->ino;
  return Miss(hit);
}

Result<Ino> StoreCache::ensure_dir(NsId ns, const std::string& name, Credentials owner,
                                   PutResult& r) {
  auto d = find(store_, ns, kRootIno, name);
  if (!d) return d.status();
  if (*d) {
    if (!S_ISDIR((*d)->mode)) return Error(Errc::not_dir, name + " is not a directory");
    return (*d)->ino;
  }
  auto made = store_.mknode(ns, kRootIno, name, S_IFDIR | 0755, owner, now());
  if (made) {
    r.changed.push_back({kRootIno, name, made->ino, true});
    return made->ino;
  }
  if (made.code() != Errc::exists) return made.status();
  auto again = store_.lookup(ns, kRootIno, name);  // made meanwhile by another writer
  if (!again) return again.status();
  return again->ino;
}

Result<Attr> StoreCache::create_file(NsId ns, Ino dir, const std::string& name, Credentials owner,
                                     bool* created) {
  *created = false;
  auto f = find(store_, ns, dir, name);
  if (!f) return f.status();
  if (*f) {
    if (!S_ISREG((*f)->mode)) return Error(Errc::is_dir, name + " is not a regular file");
    return **f;
  }
  auto made = store_.mknode(ns, dir, name, S_IFREG | 0644, owner, now());
  if (made) {
    *created = true;
    return made;
  }
  if (made.code() != Errc::exists) return made.status();
  return store_.lookup(ns, dir, name);
}

Status StoreCache::write_output(NsId ns, Ino dir, const GoHash& output, uint64_t size,
                                BodyReader& body, const BodyTee& tee, Credentials owner,
                                PutResult& r) {
  const std::string name = output_name(output);
  bool created = false;
  auto file = create_file(ns, dir, name, owner, &created);
  if (!file) return file.status();
  r.output_dir = dir;
  r.output_ino = file->ino;
  // Already there at this size: outputs are named by their content, so only
  // the body's check is left to do (as the go command skips the write).
  const bool keep = !created && file->size == size;
  std::unique_ptr<PendingWrite> pw;
  if (!keep) {
    auto w = store_.begin_write(ns, file->ino);
    if (!w) return w.status();
    pw = std::move(*w);
    if (auto s = pw->truncate(0); !s) return s;
  }
  Sha256 sha;
  std::string piece(kPiece, '\0');
  uint64_t off = 0;
  bool partial = false;  // some of it committed already
  Status s = Status::ok();
  while (s && off < size) {
    auto n = body.read(std::span<char>(piece.data(), std::min<uint64_t>(kPiece, size - off)));
    if (!n) {
      s = n.status();
      break;
    }
    if (*n == 0) {
      s = Error(Errc::invalid, fmt::format("the body of output {} ends after {} of {} bytes",
                                           to_hex(output), off, size));
      break;
    }
    const std::string_view bytes(piece.data(), *n);
    sha.update(bytes);
    if (tee) s = tee(bytes);
    if (s && pw) s = pw->write(off, bytes);
    if (s && pw && pw->buffered_bytes() >= kCommitPiece) {
      auto c = store_.commit(*pw, now());
      if (!c) s = c.status();
      partial = partial || c.is_ok();
    }
    off += *n;
  }
  if (s && sha.digest() != output) {
    s = Error(Errc::invalid,
              fmt::format("the body of output {} does not hash to its ID", to_hex(output)));
  }
  if (!s) {
    if (partial) {  // never leave a prefix of other bytes under this name
      SetAttr sa;
      sa.size = 0;
      sa.now = now();
      (void)store_.setattr(ns, file->ino, sa);  // best effort: `s` is the error to report
    }
    return s;
  }
  if (pw) {
    auto c = store_.commit(*pw, now());
    if (!c) return c.status();
    r.changed.push_back({dir, name, file->ino, created});
  }
  return Status::ok();
}

Result<Ino> StoreCache::write_small(NsId ns, Ino dir, const std::string& name,
                                    std::string_view bytes, Credentials owner, PutResult& r) {
  bool created = false;
  auto file = create_file(ns, dir, name, owner, &created);
  if (!file) return file.status();
  auto pw = store_.begin_write(ns, file->ino);
  if (!pw) return pw.status();
  if (auto s = (*pw)->truncate(0); !s) return s;
  if (auto s = (*pw)->write(0, bytes); !s) return s;
  auto c = store_.commit(**pw, now());
  if (!c) return c.status();
  r.changed.push_back({dir, name, file->ino, created});
  return file->ino;
}

Result<PutResult> StoreCache::put(NsId ns, const GoHash& action, const GoHash& output,
                                  uint64_t size, BodyReader& body, const BodyTee& tee) {
  PutResult r;
  auto owner = root_owner(store_, ns);
  if (!owner) return owner.status();
  auto odir = ensure_dir(ns, subdir_of(output), *owner, r);
  if (!odir) return odir.status();
  if (auto s = write_output(ns, *odir, output, size, body, tee, *owner, r); !s) return s;
  auto adir = ensure_dir(ns, subdir_of(action), *owner, r);
  if (!adir) return adir.status();
  const ActionEntry entry{action, output, size, to_ns(now())};
  auto a = write_small(ns, *adir, action_name(action), format_action_entry(entry), *owner, r);
  if (!a) return a.status();
  r.action_dir = *adir;
  r.action_ino = *a;
  return r;
}

}  // namespace gcfs::gocache
