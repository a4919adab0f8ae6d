// Operations on the virtual root of a multi-namespace mount, where every
// directory is a namespace.
#pragma once

#include <fuse_lowlevel.h>

#include "fusefs/filesystem.hpp"

namespace gcfs::fusefs::root {

void lookup(fuse_req_t req, Filesystem& fs, const char* name);
void mkdir(fuse_req_t req, Filesystem& fs, const char* name, mode_t mode);
void rmdir(fuse_req_t req, Filesystem& fs, const char* name);
void rename(fuse_req_t req, Filesystem& fs, const char* name, const char* newname,
            unsigned int flags);
// Lists namespaces; offsets are namespace id + 2 (stable: ids never move).
void readdir(fuse_req_t req, Filesystem& fs, size_t size, off_t off, bool plus);

}  // namespace gcfs::fusefs::root
