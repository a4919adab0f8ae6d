// One connection of the control socket: the peer's credentials, then one
// request per line until the client closes, a limit is crossed or the daemon
// stops. Nothing of a connection outlives it (the caller closes the fd).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "fusefs/daemon/control_slots.hpp"
#include "fusefs/filesystem.hpp"
#include "store/admin/control.hpp"

namespace gcfs::fusefs {

// Requests are ~200 bytes; a path is at most 4 KiB.
constexpr size_t kMaxRequestBytes = 64 * 1024;
// To send a complete request line, counted from the connection (or the
// previous reply): a client that sends nothing frees its slot after this.
constexpr std::chrono::seconds kRequestDeadline{5};
// SO_SNDTIMEO for replies and progress lines: a client that stops reading
// does not hold a worker forever.
constexpr std::chrono::seconds kReplyTimeout{10};

struct SessionEnv {
  Filesystem& fs;
  control::DaemonHooks* hooks;
  const std::string& store_dir;
  uint32_t owner_uid;  // of the store directory: allowed, with root and us
  ControlSlots& slots;
  const std::atomic<bool>& stopping;
  remote::RemoteClient* remote;  // the remote tier's client (remote push); null: none
};

// Serves the connection on fd; never throws.
void serve_connection(int fd, const SessionEnv& env) noexcept;

}  // namespace gcfs::fusefs
