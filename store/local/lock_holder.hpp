// Who holds a store's lock, and whether it is a gocachefs that is going away.
//
// The lock is RocksDB's LOCK file, an fcntl (POSIX) lock held from open to
// close. `fusermount3 -u` returns while the old daemon still flushes and
// closes the store, and a SIGKILLed daemon holds the lock until its last
// thread has exited: a daemon started right then finds the lock taken. It may
// wait for such a holder, but must refuse one that serves (another mount,
// gocachectl offline) at once.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "store/store.hpp"

namespace gcfs {

// store_lock_holder(), who holds the lock: store/store.hpp.

// A holder that will release the lock by itself soon: a gocachefs that marked
// itself going away, or one that is exiting (SIGKILL, crash).
bool going_away(const LockHolder& holder);

}  // namespace gcfs
