#include "tools/gocachectl/push_cmd.hpp"

#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>

#include "store/remote/client.hpp"
#include "tools/gocachectl/client.hpp"

namespace gcfs::ctl {

namespace {

using control::json;

// A line now and then, not a line per report: the daemon reports every
// 250 ms, a log wants far fewer.
class ProgressLines {
 public:
  void operator()(const json& counts) {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::seconds(1)) return;
    last_ = now;
    std::fprintf(stderr, "pushed %llu/%llu entries, %.1f MB\n",
                 static_cast<unsigned long long>(counts.value("done", uint64_t{0})),
                 static_cast<unsigned long long>(counts.value("entries", uint64_t{0})),
                 static_cast<double>(counts.value("bytes", uint64_t{0})) / 1e6);
  }

 private:
  // The first line after a second: a short push prints only its summary.
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

}  // namespace

CLI::App* add_push_command(CLI::App& remote, PushCli& cli, json& req) {
  auto* push = remote.add_subcommand(
      "push",
      "Upload a namespace's Go cache entries to the remote (seed it from a warm machine): the "
      "daemon pushes to its --remote; with no daemon running, give --remote");
  push->add_option("--ns", cli.ns, "Namespace (the Go version, as in gocachectl stats)")
      ->required();
  push->add_option("--remote", cli.urls,
                   "No daemon running: open the store here and push to redis://host[:port][/db] "
                   "(repeatable: shards) or redis-cluster://host:port[,host:port...]");
  push->add_option("--remote-auth-file", cli.auth_file,
                   "With --remote: file with the remote's password, or its user then password");
  push->add_flag("--force", cli.force, "Upload every pair, also those the remote already has");
  push->callback([&] { req = {{"cmd", "remote.push"}, {"ns", cli.ns}, {"force", cli.force}}; });
  return push;
}

json run_push(const std::string& store, const json& req, const PushCli& cli) {
  ProgressLines lines;
  auto on_counts = [&](const json& counts) { lines(counts); };
  if (cli.urls.empty()) {
    if (!cli.auth_file.empty())
      return control::fail("--remote-auth-file needs --remote", control::kUsage);
    return run_request(store, req, on_counts);
  }
  if (daemon_listening(store)) {
    return control::fail(
        fmt::format("a gocachefs daemon serves {}: it pushes to its own --remote (run the command "
                    "without --remote)",
                    store),
        control::kUsage);
  }
  // Stdout carries the summary (or the JSON); the client's and the store's
  // log lines would only repeat it, less clearly: errors only, on stderr.
  auto log = spdlog::stderr_logger_mt("gocachectl");
  log->set_level(spdlog::level::err);
  spdlog::set_default_logger(log);
  remote::RemoteOptions options;
  options.urls = cli.urls;
  options.auth_file = cli.auth_file;
  auto client = remote::RemoteClient::create(options);  // a bad URL or auth file: one line
  if (!client) return control::fail(client.error(), control::kUsage);
  return run_direct(store, req, client->get(), on_counts);
}

}  // namespace gcfs::ctl
