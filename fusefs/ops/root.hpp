// Operations on the virtual root of a multi-namespace mount, where every
// directory is a namespace.
#pragma once

#include <fuse_lowlevel.h>

#include "fusefs/ops/ops.hpp"

namespace gcfs::fusefs::root {

Result<EntryOut> lookup(Filesystem& fs, const char* name);
Result<EntryOut> mkdir(const Request& rq, const char* name, mode_t mode);
Status rmdir(Filesystem& fs, const char* name);
Status rename(Filesystem& fs, const char* name, const char* newname, unsigned int flags);
// Lists namespaces; offsets are namespace id + 2 (stable: ids never move).
Result<DirOut> readdir(const Request& rq, size_t size, off_t off, bool plus);

}  // namespace gcfs::fusefs::root
