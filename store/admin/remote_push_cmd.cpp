// remote.push: a namespace's Go cache entries uploaded to the remote
// (store/tiered/push.hpp), with the daemon's remote or with the one
// gocachectl made from its --remote when no daemon runs.
#include <fmt/format.h>

#include "store/admin/control.hpp"
#include "store/remote/client.hpp"
#include "store/tiered/push.hpp"

namespace gcfs::control {

namespace {

json counts_json(const tiered::PushCounts& c) {
  return {{"entries", c.entries}, {"done", c.done},         {"pushed", c.pushed},
          {"already", c.already}, {"skipped", c.skipped()}, {"errors", c.errors},
          {"bytes", c.bytes}};
}

json summary_json(const std::string& ns, const tiered::PushSummary& s) {
  const tiered::PushCounts& c = s.counts;
  json j = counts_json(c);
  j["ns"] = ns;
  j["skipped_missing"] = c.skipped_missing;
  j["skipped_too_big"] = c.skipped_too_big;
  j["skipped_invalid"] = c.skipped_invalid;
  j["not_tried"] = c.entries - c.done;
  j["seconds"] = s.seconds;
  j["stopped"] = s.stopped.empty() ? json(nullptr) : json(s.stopped);
  j["first_error"] = s.first_error.empty() ? json(nullptr) : json(s.first_error);
  return j;
}

// The one-line error of a push that did not upload everything it tried.
std::string failure(const tiered::PushSummary& s) {
  const tiered::PushCounts& c = s.counts;
  const std::string first =
      s.first_error.empty() ? "" : fmt::format(" (first error: {})", s.first_error);
  if (!s.stopped.empty()) {
    return fmt::format("{}{}; {} of {} entries dealt with, {} not tried", s.stopped, first, c.done,
                       c.entries, c.entries - c.done);
  }
  if (c.errors > 0) return fmt::format("{} of {} uploads failed{}", c.errors, c.entries, first);
  return {};
}

}  // namespace

json cmd_remote_push(Context& ctx, const json& req) {
  if (ctx.remote == nullptr) {
    if (ctx.hooks) {
      return fail("no remote tier: the daemon runs without --remote (start it with --remote URL)",
                  kNotAvailable);
    }
    return fail(fmt::format("no gocachefs daemon is running on {}: give --remote URL to push "
                            "with the store opened here",
                            ctx.store_dir),
                kNotAvailable);
  }
  if (ctx.remote->options().mode == remote::Mode::read_only) {
    return fail(
        "the daemon's remote is read-only (--remote-mode read-only): push from a daemon or a "
        "gocachectl --remote that may write to it",
        kNotAvailable);
  }
  const std::string ns = req.value("ns", "");
  tiered::PushOptions options;
  options.skip_existing = !req.value("force", false);
  tiered::PushProgress progress;
  if (ctx.report) {
    progress = [&](const tiered::PushCounts& c) {
      return ctx.report(c.done, c.entries, counts_json(c));
    };
  }
  auto sum = tiered::push_namespace(ctx.store, *ctx.remote, ns, options, progress);
  if (!sum) return fail(sum.error());
  json reply = ok(summary_json(ns, *sum));
  if (const std::string why = failure(*sum); !why.empty()) {
    reply["ok"] = false;
    reply["exit"] = kFailed;
    reply["error"] = why;
  }
  return reply;
}

}  // namespace gcfs::control
