// The Go build cache over a Store namespace, in the layout the FUSE front end
// shows the go command (layout.hpp): get and put of the cacheprog protocol.
// Used by gocachectl cacheprog on a store it opened, and by the daemon's
// cache.get / cache.put control requests; either way the files are the same
// ones `go build` with GOCACHE on the mount reads and writes.
//
// New directories and files belong to the owner of the namespace's root
// (who created the namespace), so the go command on the mount can write
// beside them. Thread-safe as the Store is.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "store/gocache/action_entry.hpp"
#include "store/gocache/body.hpp"
#include "store/store.hpp"

namespace gcfs::gocache {

struct CacheHit {
  ActionEntry entry;
  Ino action_dir = 0, action_ino = 0;  // XX directory and the -a file
  Ino output_dir = 0, output_ino = 0;  // XX directory and the -d file
};

// A name a put created, or a file whose content it replaced: what a mount
// showing the namespace must stop caching.
struct Changed {
  Ino parent = 0;
  std::string name;
  Ino ino = 0;
  bool created = false;
};

struct PutResult {
  Ino output_dir = 0, output_ino = 0;
  Ino action_dir = 0, action_ino = 0;
  std::vector<Changed> changed;
};

// Outputs larger than this are committed in pieces as they arrive (memory
// stays bounded; a reader meanwhile sees a shorter file: a miss to Go).
constexpr uint64_t kCommitPiece = uint64_t{64} << 20;

class StoreCache {
 public:
  explicit StoreCache(Store& store) : store_(store) {}

  // The entry for `action` if it is valid and its output is there at the
  // recorded size; nullopt for a miss.
  Result<std::optional<CacheHit>> get(NsId ns, const GoHash& action);

  // Reads exactly `size` bytes from `body` (passing each piece to `tee`),
  // checks that they hash to `output`, then stores the output (unless it is
  // already there at that size) and the action entry, each committed
  // atomically, output first as the go command does. invalid for a body
  // that is short, long or does not hash to `output`: nothing is stored
  // then (an output file created for it stays empty).
  Result<PutResult> put(NsId ns, const GoHash& action, const GoHash& output, uint64_t size,
                        BodyReader& body, const BodyTee& tee = {});

 private:
  Result<Ino> ensure_dir(NsId ns, const std::string& name, Credentials owner, PutResult& r);
  Status write_output(NsId ns, Ino dir, const GoHash& output, uint64_t size, BodyReader& body,
                      const BodyTee& tee, Credentials owner, PutResult& r);
  Result<Ino> write_small(NsId ns, Ino dir, const std::string& name, std::string_view bytes,
                          Credentials owner, PutResult& r);
  Result<Attr> create_file(NsId ns, Ino dir, const std::string& name, Credentials owner,
                           bool* created);

  Store& store_;
};

// Namespace `name`; created (root owned by `owner`, mode 0755) when missing
// and `create`, else not_found.
Result<NsInfo> cache_namespace(Store& store, std::string_view name, bool create, Credentials owner);

}  // namespace gcfs::gocache
