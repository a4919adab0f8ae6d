// gocachefs: mount a RocksDB-backed Go build cache. The work is in daemon.cpp.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "fusefs/daemon.hpp"
#include "store/paths.hpp"

int main(int argc, char** argv) {
  gcfs::fusefs::DaemonOptions o;
  CLI::App app{"gocachefs: a FUSE filesystem for GOCACHE, backed by RocksDB"};
  app.set_version_flag("--version", std::string("gocachefs ") + GOCACHEFS_VERSION);
  app.add_option("MOUNTPOINT", o.mountpoint, "Empty directory to mount on")->required();
  app.add_option("--store", o.store_dir, "RocksDB store directory")
      ->default_str(gcfs::default_store_dir());
  app.add_option("--namespace", o.ns,
                 "Mount this namespace as the root (GOCACHE=MOUNTPOINT); default: every "
                 "directory at the root is a namespace");
  app.add_flag("-f,--foreground", o.foreground, "Stay in the foreground");
  app.add_option("-o", o.fuse_options, "FUSE mount options (repeatable)")->allow_extra_args(false);
  app.add_option("--log-level", o.log_level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
      ->capture_default_str();
  app.add_option("--log-file", o.log_file,
                 "Log file (default: stderr in the foreground, STORE/gocachefs.log otherwise)");
  app.add_option("--cache-timeout", o.cache_timeout,
                 "Seconds the kernel may cache entries and attributes")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "gocachefs: error: %s (see gocachefs --help)\n", e.what());
    return 2;
  }
  return gcfs::fusefs::run_daemon(std::move(o));
}
