// `gocachectl cacheprog`: the command line of the GOCACHEPROG helper
// (tools/cacheprog/server.hpp).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "tools/cacheprog/server.hpp"

namespace gcfs::ctl {

struct CacheprogCli {
  cacheprog::ProgOptions options;
  double idle_s = 1.0;
  double lock_wait_s = 10.0;
  std::string outputs_max = "1G";
  std::string keep_used = "1h";
};

CLI::App* add_cacheprog_command(CLI::App& app, CacheprogCli& cli);
// Runs the helper on `store`; the exit status.
int run_cacheprog_command(CacheprogCli& cli, const std::string& store);

}  // namespace gcfs::ctl
