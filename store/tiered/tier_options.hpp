// Options of the remote tier as the daemon runs it. Plain struct; every
// field says its default.
#pragma once

#include <cstdint>

#include "store/remote/options.hpp"

namespace gcfs::tiered {

struct TierOptions {
  // The Redis client's options (URLs, mode, credentials, timeouts).
  // Default: RemoteOptions's defaults (no URL: no tier).
  remote::RemoteOptions remote;

  // Upload every new entry once it is committed locally (--remote-upload
  // commit). Never in read-only mode.
  // Default: true.
  bool upload = true;

  // Upload an entry when the space policy evicts it, before it is dropped
  // locally (--remote-upload evict): the remote holds what the local store
  // gave up. Never in read-only mode.
  // Default: false.
  bool demote = false;

  // Seconds the kernel may cache the absence of a Go entry name (`-a`,
  // `-d`) while a remote is configured: long enough that the lookups of one
  // go command's run reach the daemon once, short enough that an entry a
  // peer uploads (or that a fetch creates) is seen by the next run.
  // Default: 1 s.
  double negative_timeout_s = 1.0;

  // How long a remote miss (or failure) of an entry is remembered: a build
  // asks the remote once per entry, later lookups of the same name are
  // answered from memory.
  // Default: 60 s.
  uint32_t miss_ttl_ms = 60'000;

  // Most misses remembered (oldest forgotten first): ~150 bytes each.
  // Default: 32768.
  uint32_t miss_capacity = 32768;

  // Committed entries waiting to be read from the store and queued for
  // upload; beyond, they are dropped and counted.
  // Default: 8192.
  uint32_t feed_capacity = 8192;

  // At unmount, how long the uploads still queued may take.
  // Default: 10000 ms.
  uint32_t drain_ms = 10'000;
};

}  // namespace gcfs::tiered
