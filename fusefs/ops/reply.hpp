// What a FUSE operation returns: the value the dispatcher replies with
// (dispatch.hpp), and the guards of what a reply hands to the kernel.
//
// A kernel reference (the lookup count of an entry reply, readdirplus
// included) or an open handle exists in the daemon as soon as the operation
// takes it, and in the kernel only once the reply reached it. The guard holds
// it meanwhile: the dispatcher commits it when the reply succeeds; otherwise
// (the reply failed, an error is replied instead, an exception unwinds) the
// guard gives it back: NodeTable::forget, purging an orphan that nothing
// references any more, or the handle's release.
#pragma once

#include <fuse_lowlevel.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "fusefs/filesystem.hpp"

namespace gcfs::fusefs {

// One kernel reference of `fino`, given back unless committed.
class EntryRef {
 public:
  EntryRef() = default;
  EntryRef(Filesystem& fs, fuse_ino_t fino) : fs_(&fs), fino_(fino) {}
  EntryRef(EntryRef&& o) noexcept : fs_(std::exchange(o.fs_, nullptr)), fino_(o.fino_) {}
  EntryRef& operator=(EntryRef&& o) noexcept {
    if (this != &o) {
      give_back();
      fs_ = std::exchange(o.fs_, nullptr);
      fino_ = o.fino_;
    }
    return *this;
  }
  ~EntryRef() { give_back(); }

  // The kernel has the reference now.
  void commit() noexcept { fs_ = nullptr; }
  bool held() const { return fs_ != nullptr; }

 private:
  void give_back() noexcept;
  Filesystem* fs_ = nullptr;
  fuse_ino_t fino_ = 0;
};

// An open handle, closed (Filesystem::close_handle) unless committed.
class HandleRef {
 public:
  HandleRef() = default;
  HandleRef(Filesystem& fs, FileHandle h) : fs_(&fs), h_(h) {}
  HandleRef(HandleRef&& o) noexcept : fs_(std::exchange(o.fs_, nullptr)), h_(o.h_) {}
  HandleRef& operator=(HandleRef&&) = delete;
  ~HandleRef() { give_back(); }

  void commit() noexcept { fs_ = nullptr; }
  FileHandle handle() const { return h_; }

 private:
  void give_back() noexcept;
  Filesystem* fs_ = nullptr;
  FileHandle h_{nullptr, false};
};

// lookup, mknod, mkdir, symlink. e.ino == 0: a negative entry (no reference).
struct EntryOut {
  fuse_entry_param e{};
  EntryRef ref;
};

// The entry of (ns, attr) with its reference taken; `action` marks the node
// as a Go action entry (its opens count as hits).
EntryOut make_entry(Filesystem& fs, NsId ns, const Attr& attr, bool action = false,
                    bool fetched = false);
// A miss the kernel may cache for the entry timeout; with a second tier, a
// Go entry's name only for the tier's short negative timeout (a peer may
// upload it, a fetch may create it).
EntryOut negative_entry(Filesystem& fs, std::string_view name = {});

struct CreateOut {
  EntryOut entry;
  fuse_file_info* fi = nullptr;  // the request's, filled in
  HandleRef handle;
};

struct OpenOut {
  fuse_file_info* fi = nullptr;  // the request's, filled in
  HandleRef handle;              // none for a directory
};

struct AttrOut {
  struct stat st;
  double timeout = 0;
};
AttrOut make_attr(Filesystem& fs, NsId ns, const Attr& attr);

// Points into the operation's thread-local buffer: valid until the thread's
// next read, so past the reply.
struct ReadOut {
  const char* data = nullptr;
  size_t size = 0;
};

// readdir and readdirplus: the reply buffer, and for readdirplus the
// reference of every entry in it but "." and "..".
struct DirOut {
  std::string buf;
  size_t used = 0;
  std::vector<EntryRef> refs;
};

struct StatfsOut {
  struct statvfs st;
};

// getxattr: the value; listxattr: the names, NUL-terminated each. With the
// size the caller's buffer has (0: it asks for the size only; too small:
// ERANGE).
struct XattrOut {
  std::string bytes;
  size_t asked = 0;
};

// forget and forget_multi: no reply but fuse_reply_none.
struct NoReply {};

}  // namespace gcfs::fusefs
