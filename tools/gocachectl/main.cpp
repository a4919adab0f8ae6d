// gocachectl: maintenance of a gocachefs store (namespaces, snapshots,
// archives, statistics). Parses the command line into one request; the work
// is in store/admin (shared with the daemon's control socket).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <filesystem>

#include "policy/cli/checks.hpp"
#include "store/admin/json_text.hpp"
#include "store/paths.hpp"
#include "tools/gocachectl/cacheprog_cmd.hpp"
#include "tools/gocachectl/client.hpp"
#include "tools/gocachectl/env.hpp"
#include "tools/gocachectl/health_cmd.hpp"
#include "tools/gocachectl/output.hpp"
#include "tools/gocachectl/push_cmd.hpp"

namespace {

constexpr const char* kExitCodes =
    "Exit codes: 0 ok, 1 operation failed, 2 usage error, 3 not available (e.g. compact without "
    "a running daemon), 4 damage found by verify (or left by verify --repair). health: 0 OK, "
    "1 WARNING, 2 CRITICAL, 3 UNKNOWN.";

std::string absolute(const std::string& p) {
  std::error_code ec;
  return std::filesystem::absolute(p, ec).lexically_normal().string();
}

// Names and paths go into JSON, which carries only UTF-8: anything else is a
// usage error here, not an exception (or a mangled name) later. --store and
// --mount stay local (replies show them with U+FFFD) and may be any path.
void require_utf8(CLI::App* app) {
  static const CLI::Validator utf8(
      [](std::string& v) {
        return gcfs::control::valid_utf8(v)
                   ? std::string()
                   : std::string("not valid UTF-8 (names and paths must be UTF-8)");
      },
      "");
  for (CLI::Option* opt : app->get_options()) {
    const std::string name = opt->get_name();
    if (opt->get_type_size_max() > 0 && name != "--store" && name != "--mount") opt->check(utf8);
  }
  for (CLI::App* sub : app->get_subcommands([](CLI::App*) { return true; })) require_utf8(sub);
}

int error(const std::string& message, int exit_code) {
  std::fprintf(stderr, "gocachectl: error: %s\n", gcfs::control::printable(message).c_str());
  return exit_code;
}

int run(int argc, char** argv) {
  using gcfs::control::json;
  CLI::App app{"gocachectl: namespaces, snapshots, archives and statistics of a gocachefs store"};
  app.footer(kExitCodes);
  app.set_version_flag("--version", std::string("gocachectl ") + GOCACHEFS_VERSION);
  app.require_subcommand(1);
  std::string store = gcfs::default_store_dir();
  bool as_json = false;
  app.add_option("--store", store, "Store directory")->capture_default_str();
  app.add_flag("--json", as_json, "Print the reply as JSON (for scripts)");
  json req;
  std::string a, b, c;

  auto* stats = app.add_subcommand("stats", "Files, bytes, compression, hits and misses");
  stats->add_option("--ns", a, "Only this namespace");
  stats->callback([&] { req = {{"cmd", "stats"}, {"ns", a}}; });

  auto* ns = app.add_subcommand("ns", "Namespaces")->require_subcommand(1);
  ns->add_subcommand("list", "List namespaces")->callback([&] { req = {{"cmd", "ns.list"}}; });
  auto* ns_create = ns->add_subcommand("create", "Create a namespace");
  ns_create->add_option("NAME", a)->required();
  ns_create->callback([&] { req = {{"cmd", "ns.create"}, {"name", a}}; });
  auto* ns_drop = ns->add_subcommand("drop", "Drop a namespace and all its files (instant)");
  ns_drop->add_option("NAME", a)->required();
  ns_drop->callback([&] { req = {{"cmd", "ns.drop"}, {"name", a}}; });
  auto* ns_rename = ns->add_subcommand("rename", "Rename a namespace");
  ns_rename->add_option("OLD", a)->required();
  ns_rename->add_option("NEW", b)->required();
  ns_rename->callback([&] { req = {{"cmd", "ns.rename"}, {"name", a}, {"to", b}}; });

  auto* snap = app.add_subcommand("snapshot", "Snapshots and archives")->require_subcommand(1);
  auto* s_create = snap->add_subcommand("create", "Capture a namespace (instant)");
  s_create->add_option("NAME", a)->required();
  s_create->add_option("--ns", b, "Namespace (default: the only one)");
  s_create->callback([&] { req = {{"cmd", "snapshot.create"}, {"name", a}, {"ns", b}}; });
  snap->add_subcommand("list", "List snapshots")->callback([&] {
    req = {{"cmd", "snapshot.list"}};
  });
  auto* s_delete = snap->add_subcommand("delete", "Delete a snapshot");
  s_delete->add_option("NAME", a)->required();
  s_delete->callback([&] { req = {{"cmd", "snapshot.delete"}, {"name", a}}; });
  auto* s_export = snap->add_subcommand("export", "Write a snapshot to one archive file");
  s_export->add_option("NAME", a)->required();
  s_export->add_option("-o,--output", b, "Archive file")->required();
  std::string since_archive;
  auto* since = s_export->add_option(
      "--since", c,
      "Write a delta: only what changed since this snapshot (restore it after that snapshot's "
      "archive)");
  s_export
      ->add_option("--since-archive", since_archive,
                   "Write a delta against this archive file (restore it after that file)")
      ->check(CLI::ExistingFile)
      ->excludes(since);
  s_export->callback([&] {
    req = {{"cmd", "snapshot.export"}, {"name", a}, {"file", absolute(b)}};
    if (!c.empty()) req["since"] = c;
    if (!since_archive.empty()) req["since_archive"] = absolute(since_archive);
  });
  std::vector<std::string> deltas;
  auto with_deltas = [&] {
    json list = json::array();
    for (const auto& d : deltas) list.push_back(absolute(d));
    if (!list.empty()) req["deltas"] = list;
  };
  auto* s_import = snap->add_subcommand("import", "Verify an archive, then add it");
  s_import->add_option("FILE", b)->required()->check(CLI::ExistingFile);
  s_import->add_option("DELTA", deltas, "Deltas to apply after FILE, in order")
      ->check(CLI::ExistingFile);
  s_import->add_option("--as", c, "Import as this new namespace instead of a snapshot");
  s_import->add_option("--name", a, "Snapshot name (default: the file name without extension)");
  s_import->callback([&] {
    if (a.empty()) a = std::filesystem::path(b).stem().string();
    req = {{"cmd", "snapshot.import"}, {"name", a}, {"as", c}, {"file", absolute(b)}};
    with_deltas();
  });
  auto* s_swap = snap->add_subcommand("swap", "Atomically replace a namespace's content");
  s_swap->add_option("NAME", a)->required();
  s_swap->add_option("--ns", b, "Namespace (default: the only one)");
  s_swap->callback([&] { req = {{"cmd", "snapshot.swap"}, {"name", a}, {"ns", b}}; });
  auto* s_restore = snap->add_subcommand("restore", "Import an archive and swap it in");
  s_restore->add_option("FILE", c)->required()->check(CLI::ExistingFile);
  s_restore->add_option("DELTA", deltas, "Deltas to apply after FILE, in order")
      ->check(CLI::ExistingFile);
  s_restore->add_option("--ns", b, "Namespace (default: the only one)");
  bool keep_old = false;
  s_restore->add_flag("--keep-old", keep_old,
                      "Keep the replaced content as snapshot auto-NS-TIME (default: deleted once "
                      "no build can reach it)");
  s_restore->callback([&] {
    req = {{"cmd", "snapshot.restore"}, {"file", absolute(c)}, {"ns", b}};
    if (keep_old) req["keep_old"] = true;
    with_deltas();
  });

  auto* verify = app.add_subcommand(
      "verify", "Check every record and every checksum at one snapshot (safe on a live mount)");
  verify->add_option("--ns", a, "Only this namespace");
  bool repair = false;
  verify->add_flag("--repair", repair,
                   "Fix what can be fixed, in one atomic batch per namespace; exit 0 when "
                   "nothing damaged remains");
  verify->callback([&] { req = {{"cmd", "verify"}, {"ns", a}, {"repair", repair}}; });
  std::string go = "go";
  auto* env = app.add_subcommand("env", "Print the GOCACHE line for the go in PATH");
  env->add_option("--go", go, "This go command instead of the one in PATH");
  env->callback([&] { req = {{"cmd", "env"}}; });
  gcfs::ctl::CacheprogCli cacheprog;
  gcfs::ctl::add_cacheprog_command(app, cacheprog)->callback([&] { req = {{"cmd", "cacheprog"}}; });
  app.add_subcommand("compact", "Reclaim fragmented space now")->callback([&] {
    req = {{"cmd", "compact"}};
  });
  auto* evict = app.add_subcommand("evict", "Evict least recently used files down to a size");
  evict->add_option("--to", a, "Target size")->required()->check(gcfs::cli::size());
  bool include_recent = false;
  const char* recent_help =
      "Also evict entries used within --protect-recent (open ones always stay)";
  evict->add_flag("--include-recent", include_recent, recent_help);
  evict->callback([&] { req = {{"cmd", "evict"}, {"to", a}, {"include_recent", include_recent}}; });
  std::string metrics = "127.0.0.1:9868";
  auto* health = app.add_subcommand(
      "health", "Tiered health checks; exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN");
  health->add_option("--mount", b, "Mountpoint (default: the running daemon's)");
  health->add_option("--metrics", metrics, "The daemon's --metrics-listen address")
      ->capture_default_str();
  health->callback([&] { req = {{"cmd", "health"}}; });
  auto* trim = app.add_subcommand("trim", "Remove files unused for a duration");
  trim->add_option("--unused-for", a, "Duration")->required()->check(gcfs::cli::duration());
  trim->add_flag("--include-recent", include_recent, recent_help);
  trim->callback([&] {
    req = {{"cmd", "trim"}, {"unused_for", a}, {"include_recent", include_recent}};
  });

  auto* remote =
      app.add_subcommand("remote", "The shared second tier (--remote)")->require_subcommand(1);
  remote->add_subcommand("status", "Endpoints, breakers, upload queue and counters")->callback([&] {
    req = {{"cmd", "remote.status"}};
  });
  gcfs::ctl::PushCli push;
  gcfs::ctl::add_push_command(*remote, push, req);

  require_utf8(&app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return error(std::string(e.what()) + " (see gocachectl --help)", gcfs::control::kUsage);
  }
  store = absolute(store);
  const std::string cmd = req.value("cmd", "");
  if (cmd == "health") return gcfs::ctl::run_health(store, b, metrics, as_json);
  if (cmd == "cacheprog") return gcfs::ctl::run_cacheprog_command(cacheprog, store);
  json reply = cmd == "env"           ? gcfs::ctl::env_reply(store, go)
               : cmd == "remote.push" ? gcfs::ctl::run_push(store, req, push)
                                      : gcfs::ctl::run_request(store, req);
  const int exit_code = reply.value("exit", reply.value("ok", false) ? 0 : 1);
  if (as_json) {
    std::printf("%s\n", gcfs::control::to_text(reply, 2).c_str());
  } else {
    if (reply.contains("result")) gcfs::ctl::print_human(cmd, reply["result"]);
    if (!reply.value("ok", false)) error(reply.value("error", "failed"), exit_code);
  }
  return exit_code;
}

}  // namespace

// Anything that escapes is one line and exit status 1, never an abort.
int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    return error(e.what(), gcfs::control::kFailed);
  } catch (...) {
    return error("unknown exception", gcfs::control::kFailed);
  }
}
