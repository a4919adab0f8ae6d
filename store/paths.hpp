// Where things live by default. Shared by the daemon and gocachectl.
#pragma once

#include <string>

namespace gcfs {

// /var/lib/gocachefs for root; otherwise $XDG_DATA_HOME/gocachefs, falling
// back to ~/.local/share/gocachefs.
std::string default_store_dir();

}  // namespace gcfs
