// The one place where store errors become errno values.
#pragma once

#include "store/result.hpp"

namespace gcfs::fusefs {

// Maps a store error to the errno a FUSE reply carries. Errors that mean the
// store itself is damaged or failing (corrupt, io) are logged here, once per
// occurrence, so no caller can swallow them.
int to_errno(const Error& e);
int to_errno(Errc code);

}  // namespace gcfs::fusefs
