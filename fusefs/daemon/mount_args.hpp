// The command line as mount(8) gives it: `mount -t fuse.gocachefs STORE MNT
// -o OPTS` (and /etc/fstab) run mount.fuse3, which runs
// `gocachefs STORE MNT -o OPTS`. This turns that form into the daemon's own
// options before the command line is parsed:
// - two positionals: the first is the source, the store directory
//   ("gocachefs#DIR" also accepted; "gocachefs" or "none" mean: see store=);
// - `-o` options the daemon owns (store=DIR, namespace=NAME, ...) become
//   --store DIR, --namespace NAME, ...;
// - standard mount options (rw, nodev, nosuid, allow_other, ...) stay -o
//   options for libfuse; fstab-only ones (nofail, _netdev, auto) are dropped;
// - anything else is an error.
#pragma once

#include <string>
#include <vector>

#include "store/result.hpp"

namespace gcfs::fusefs {

// `args` without argv[0]. Returns the rewritten arguments.
Result<std::vector<std::string>> translate_mount_args(const std::vector<std::string>& args);

}  // namespace gcfs::fusefs
