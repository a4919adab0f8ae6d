// `gocachectl remote push --ns NS`: the running daemon uploads a namespace's
// Go cache entries to its remote; with --remote URL (no daemon running),
// gocachectl opens the store and a client itself and does the same.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "store/admin/control.hpp"

namespace gcfs::ctl {

struct PushCli {
  std::string ns;
  std::vector<std::string> urls;
  std::string auth_file;
  bool force = false;
};

// Adds `push` under `gocachectl remote`; its callback sets `req`.
CLI::App* add_push_command(CLI::App& remote, PushCli& cli, control::json& req);
// The reply; progress lines ("pushed 812/1744 entries, 61.2 MB") go to
// stderr about once a second meanwhile.
control::json run_push(const std::string& store, const control::json& req, const PushCli& cli);

}  // namespace gcfs::ctl
