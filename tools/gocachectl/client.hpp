// How gocachectl reaches the store: the running daemon's control socket, or
// the store opened directly when no daemon runs.
#pragma once

#include <functional>
#include <string>

#include "store/admin/control.hpp"

namespace gcfs::ctl {

// Receives the counts a remote.push reports as it goes.
using CountsLine = std::function<void(const control::json& counts)>;

// Sends `req` and returns the reply (an error reply when neither way works).
control::json run_request(const std::string& store_dir, const control::json& req,
                          const CountsLine& on_counts = {});

// Runs `req` here, on the store opened by this process (no daemon may hold
// it), with `remote` as remote.push's remote.
control::json run_direct(const std::string& store_dir, const control::json& req,
                         remote::RemoteClient* remote, const CountsLine& on_counts);

// Whether a daemon answers on the store's control socket.
bool daemon_listening(const std::string& store_dir);

}  // namespace gcfs::ctl
