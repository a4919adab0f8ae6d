// The second tier as the filesystem sees it: entries a local miss may find
// elsewhere, and entries committed locally that others may want. The FUSE
// layer calls it through this interface only, so it links neither the
// remote client nor its libraries; store/tiered/ implements it over the
// Store interface and the Redis client (docs/remote.md).
//
// Every call is bounded and never fails a request: a failure is a miss.
#pragma once

#include <optional>
#include <string_view>

#include "store/types.hpp"

namespace gcfs {

class SecondTier {
 public:
  virtual ~SecondTier() = default;

  // A lookup of Go action entry `name` (`<64 hex>-a`) in directory `parent`
  // of namespace `ns` missed locally. Asks the second tier; on a verified
  // hit the entry and the output it names are committed locally (one
  // batch) and the entry's attributes returned. nullopt: a miss, whatever
  // the reason (not there, damaged, unreachable, not a cache directory).
  virtual std::optional<Attr> fetch(NsId ns, Ino parent, std::string_view name) = 0;

  // A write of a file looked up or created as an action entry was just
  // committed locally. Returns at once (the upload, if any, happens later).
  virtual void committed(NsId ns, Ino ino) = 0;

  // The space policy is about to evict `name` (an entry of directory XX of
  // the namespace's root), inode `ino`. In evict mode, uploads it first,
  // waiting for the remote (bounded by its upload timeouts): called from the
  // space worker or a control request, never from a FUSE request. A failed
  // upload does not stop the eviction (the size limit wins); it is counted.
  virtual void evicting(NsId ns, Ino ino, std::string_view name) = 0;

  // Seconds the kernel may cache the absence of a Go cache entry name
  // (`-a`, `-d`): a peer may upload it, or fetch() may create it, soon.
  virtual double negative_timeout() const = 0;
};

}  // namespace gcfs
