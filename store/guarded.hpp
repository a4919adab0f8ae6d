// Thread boundaries. An exception escaping a thread's function, or unwinding
// into libfuse from a FUSE callback, calls std::terminate and takes the mount
// down with every build using it. Each boundary runs its body through
// guarded(): the exception is logged and the thread carries on.
#pragma once

#include <exception>
#include <string_view>

namespace gcfs {

// Logs "WHAT: unexpected error: WHY" (never throws).
void log_escaped(std::string_view what, const char* why) noexcept;

// Installs a std::terminate handler that logs what escaped before the
// abort, for whatever a boundary still misses.
void log_terminate();

// Runs body(); false (after logging) if it threw.
template <class F>
bool guarded(std::string_view what, F&& body) noexcept {
  try {
    body();
    return true;
  } catch (const std::exception& e) {
    log_escaped(what, e.what());
  } catch (...) {
    log_escaped(what, "unknown exception");
  }
  return false;
}

}  // namespace gcfs
