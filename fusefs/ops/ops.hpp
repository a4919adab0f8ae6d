// The FUSE operations, one family per file (entry.cpp, file.cpp, dir.cpp,
// root.cpp, statfs.cpp). Each does its work and RETURNS what to reply; none
// calls fuse_reply_*. The dispatcher (dispatch.hpp) replies once, after the
// operation returned (so every lock it took is released), and the operations
// table (table.cpp) wires them up in one place.
#pragma once

#include <fuse_lowlevel.h>

#include <string>

#include "fusefs/filesystem.hpp"
#include "fusefs/ops/reply.hpp"

namespace gcfs::fusefs {

// What an operation knows of its request.
struct Request {
  Filesystem& fs;
  fuse_req_t req = nullptr;  // null when a test calls an operation directly
  // The caller's uid and gid (root's in a test).
  Credentials creds() const;
};

namespace ops {

Result<EntryOut> lookup(const Request& rq, fuse_ino_t parent, const char* name);
NoReply forget(const Request& rq, fuse_ino_t ino, uint64_t nlookup);
NoReply forget_multi(const Request& rq, size_t count, fuse_forget_data* forgets);
Result<AttrOut> getattr(const Request& rq, fuse_ino_t ino, fuse_file_info* fi);
Result<AttrOut> setattr(const Request& rq, fuse_ino_t ino, struct stat* attr, int to_set,
                        fuse_file_info* fi);
Result<std::string> readlink(const Request& rq, fuse_ino_t ino);
Result<EntryOut> mknod(const Request& rq, fuse_ino_t parent, const char* name, mode_t mode,
                       dev_t rdev);
Result<EntryOut> mkdir(const Request& rq, fuse_ino_t parent, const char* name, mode_t mode);
Result<EntryOut> symlink(const Request& rq, const char* link, fuse_ino_t parent, const char* name);
Status unlink(const Request& rq, fuse_ino_t parent, const char* name);
Status rmdir(const Request& rq, fuse_ino_t parent, const char* name);
Status rename(const Request& rq, fuse_ino_t parent, const char* name, fuse_ino_t newparent,
              const char* newname, unsigned int flags);
Result<EntryOut> link(const Request& rq, fuse_ino_t ino, fuse_ino_t newparent, const char* newname);
Result<CreateOut> create(const Request& rq, fuse_ino_t parent, const char* name, mode_t mode,
                         fuse_file_info* fi);
Result<OpenOut> open(const Request& rq, fuse_ino_t ino, fuse_file_info* fi);
Result<ReadOut> read(const Request& rq, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi);
Result<size_t> write(const Request& rq, fuse_ino_t ino, const char* buf, size_t size, off_t off,
                     fuse_file_info* fi);
Status flush(const Request& rq, fuse_ino_t ino, fuse_file_info* fi);
Status release(const Request& rq, fuse_ino_t ino, fuse_file_info* fi);
Status fsync(const Request& rq, fuse_ino_t ino, int datasync, fuse_file_info* fi);
Status fallocate(const Request& rq, fuse_ino_t ino, int mode, off_t off, off_t length,
                 fuse_file_info* fi);
Result<XattrOut> getxattr(const Request& rq, fuse_ino_t ino, const char* name, size_t size);
Result<XattrOut> listxattr(const Request& rq, fuse_ino_t ino, size_t size);
Status setxattr(const Request& rq, fuse_ino_t ino, const char* name, const char* value, size_t size,
                int flags);
Status removexattr(const Request& rq, fuse_ino_t ino, const char* name);
Result<OpenOut> opendir(const Request& rq, fuse_ino_t ino, fuse_file_info* fi);
Result<DirOut> readdir(const Request& rq, fuse_ino_t ino, size_t size, off_t off,
                       fuse_file_info* fi);
Result<DirOut> readdirplus(const Request& rq, fuse_ino_t ino, size_t size, off_t off,
                           fuse_file_info* fi);
Status releasedir(const Request& rq, fuse_ino_t ino, fuse_file_info* fi);
Result<StatfsOut> statfs(const Request& rq, fuse_ino_t ino);

// Session callbacks (no request, no reply).
void init(void* userdata, fuse_conn_info* conn);
void destroy(void* userdata);

}  // namespace ops

}  // namespace gcfs::fusefs
