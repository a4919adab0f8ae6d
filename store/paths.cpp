#include "store/paths.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

namespace gcfs {

std::string default_store_dir() {
  if (geteuid() == 0) return "/var/lib/gocachefs";
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg == '/') {
    return std::string(xdg) + "/gocachefs";
  }
  const char* home = std::getenv("HOME");
  if (!home || !*home) {
    const passwd* pw = getpwuid(geteuid());
    home = pw ? pw->pw_dir : "/tmp";
  }
  return std::string(home) + "/.local/share/gocachefs";
}

}  // namespace gcfs
