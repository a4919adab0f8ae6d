// `gocachectl cacheprog`: a GOCACHEPROG helper (cmd/go/internal/cache/
// prog.go) on a gocachefs store. Speaks the protocol on stdin/stdout: the
// capability line first, then one answer per request (get, put, close), in
// order. Requests that fail (the store unreadable, a refused put) get an
// "Err" answer and the go command carries on without that entry; input that
// breaks the protocol (not JSON, an unknown command, a body that is not
// what its request says) ends the helper with a message on stderr and exit
// status 2, since nothing after it can be trusted.
#pragma once

#include <chrono>
#include <string>

#include "tools/cacheprog/materializer.hpp"

namespace gcfs::cacheprog {

struct ProgOptions {
  // Default: none (required).
  std::string store_dir;
  // Namespace; "" takes it from $GOVERSION (which the go command sets for
  // its helper), else from `go env GOVERSION` of the go in PATH.
  // Default: "".
  std::string ns;
  // After this long without a request, the store (or the daemon
  // connection) is let go until the next one (router.hpp).
  // Default: 1 s.
  std::chrono::milliseconds idle{1000};
  // How long a request waits for a store another process holds.
  // Default: 10 s.
  std::chrono::milliseconds lock_wait{10000};
  MaterializeOptions outputs;
};

// Serves stdin/stdout until "close" or the end of input; the exit status.
int run_cacheprog(ProgOptions options);

}  // namespace gcfs::cacheprog
