#include "tools/gocachectl/cacheprog_cmd.hpp"

#include <cstdio>

#include "policy/cli/checks.hpp"
#include "policy/rules/parse.hpp"
#include "store/store.hpp"

namespace gcfs::ctl {

CLI::App* add_cacheprog_command(CLI::App& app, CacheprogCli& cli) {
  auto* c = app.add_subcommand(
      "cacheprog",
      "Serve the go command's GOCACHEPROG protocol on stdin/stdout from the store (through its "
      "daemon when one runs): GOCACHEPROG=\"gocachectl cacheprog\"");
  c->add_option("--ns", cli.options.ns,
                "Namespace (default: $GOVERSION, which the go command sets for its helper, else "
                "the namespace of the go in PATH, as gocachectl env names it)");
  c->add_option("--idle", cli.idle_s,
                "Seconds without a request after which the store (or the daemon connection) is "
                "let go until the next one; 0: never")
      ->capture_default_str()
      ->check(cli::number_in(0, 3600));
  c->add_option("--lock-wait", cli.lock_wait_s,
                "Seconds a request waits for a store another process holds")
      ->capture_default_str()
      ->check(cli::number_in(0, 3600));
  c->add_option("--outputs", cli.options.outputs.dir,
                "Directory of output files handed to the go command when no mount shows them "
                "(default: $XDG_CACHE_HOME/gocachefs/outputs or ~/.cache/gocachefs/outputs)");
  c->add_option("--outputs-max", cli.outputs_max,
                "Size past which unused output files are removed (e.g. 1G)")
      ->capture_default_str()
      ->check(cli::size());
  c->add_option("--keep-used", cli.keep_used,
                "Output files used within this time are never removed (e.g. 1h)")
      ->capture_default_str()
      ->check(cli::duration());
  return c;
}

int run_cacheprog_command(CacheprogCli& cli, const std::string& store) {
  auto max = policy::parse_size(cli.outputs_max);
  auto keep = policy::parse_duration_seconds(cli.keep_used);
  if (!max || !keep) {
    std::fprintf(stderr,
                 "gocachectl: error: --outputs-max takes a size (1G), --keep-used a "
                 "duration (1h)\n");
    return 2;
  }
  if (!cli.options.ns.empty() && !valid_namespace_name(cli.options.ns)) {
    std::fprintf(stderr, "gocachectl: error: --ns: invalid namespace name\n");
    return 2;
  }
  cli.options.store_dir = store;
  cli.options.idle = std::chrono::milliseconds(static_cast<int64_t>(cli.idle_s * 1000));
  cli.options.lock_wait = std::chrono::milliseconds(static_cast<int64_t>(cli.lock_wait_s * 1000));
  cli.options.outputs.max_bytes = *max;
  cli.options.outputs.keep_used = std::chrono::seconds(*keep);
  return cacheprog::run_cacheprog(cli.options);
}

}  // namespace gcfs::ctl
