#include "tools/gocachectl/output.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <ctime>

#include "store/admin/json_text.hpp"

namespace gcfs::ctl {

using control::json;

std::string human_bytes(uint64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", n) : fmt::format("{:.1f} {}", v, units[u]);
}

namespace {

std::string when(const json& t) {
  if (!t.is_number()) return "unknown";
  std::time_t s = t.get<int64_t>();
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", std::localtime(&s));
  return buf;
}

uint64_t u(const json& j, const char* k) { return j.value(k, uint64_t{0}); }

void print_stats(const json& r) {
  for (const auto& ns : r["namespaces"]) {
    fmt::print("namespace {}\n", ns.value("name", ""));
    fmt::print("  files               {}\n", u(ns, "files"));
    fmt::print("  logical bytes       {}\n", human_bytes(u(ns, "logical_bytes")));
    fmt::print("  stored bytes        {}\n", human_bytes(u(ns, "stored_bytes")));
    fmt::print("  compression ratio   {:.2f}\n", ns.value("compression_ratio", 0.0));
    fmt::print("  hits / misses       {} / {}\n", u(ns, "hits"), u(ns, "misses"));
    if (u(ns, "remote_hits") > 0) {
      fmt::print("  hits local / remote {} / {}\n", u(ns, "local_hits"), u(ns, "remote_hits"));
    }
    fmt::print("  last use            {}\n", when(ns.value("last_use", json())));
  }
  const json& st = r["store"];
  fmt::print("store {}: {} on disk (all namespaces and snapshots), {} free{}\n",
             st.value("path", ""), human_bytes(u(st, "physical_bytes")),
             human_bytes(u(st, "disk_free_bytes")),
             st.value("daemon", false) ? "" : " (no daemon running: hits/misses unknown)");
}

void print_remote(const json& r) {
  fmt::print("remote {} ({}, uploads {})\n", r.value("topology", ""), r.value("mode", ""),
             r.value("upload", ""));
  for (const auto& e : r["endpoints"]) {
    fmt::print("  {:<28} breaker {:<9} failures {}  opened {} times{}\n", e.value("address", ""),
               e.value("breaker", ""), u(e, "consecutive_failures"), u(e, "times_opened"),
               e.value("breaker", "") == "open"
                   ? fmt::format(", next probe in {} ms", u(e, "retry_in_ms"))
                   : "");
  }
  const json& q = r["queue"];
  fmt::print("  upload queue        {} of {} ({} jobs), dropped {} (full) {} (unmount)\n",
             human_bytes(u(q, "bytes")), human_bytes(u(q, "capacity_bytes")), u(q, "jobs"),
             u(q, "dropped_full"), u(q, "dropped_closed"));
  const json& f = r["fetch"];
  fmt::print("  fetches             {} hits, {} misses, {} errors, {} remembered misses\n",
             u(f, "hits"), u(f, "misses"), u(f, "errors"), u(f, "remembered"));
  const json& up = r["upload_counts"];
  fmt::print("  uploads             {} done, {} failed, {} uploaded\n", u(up, "done"),
             u(up, "failed"), human_bytes(u(up, "bytes")));
  if (r.value("upload", "") == "evict") {
    fmt::print("  evictions           {} uploaded first, {} skipped, {} failed\n", u(up, "demoted"),
               u(up, "demote_skipped"), u(up, "demote_failed"));
  }
  for (const auto& [kind, n] : r["errors"].items()) {
    fmt::print("  errors {:<13} {}\n", kind, n.get<uint64_t>());
  }
}

// One line, with bytes in MB as the progress lines have them.
void print_push(const json& r) {
  const uint64_t skipped = u(r, "skipped"), not_tried = u(r, "not_tried");
  fmt::print(
      "{}: pushed {} of {} entries, {:.1f} MB in {:.1f} s; {} already there, {} skipped{}, "
      "{} errors{}\n",
      r.value("ns", ""), u(r, "pushed"), u(r, "entries"), static_cast<double>(u(r, "bytes")) / 1e6,
      r.value("seconds", 0.0), u(r, "already"), skipped,
      skipped == 0
          ? ""
          : fmt::format(" ({} output missing, {} too big, {} invalid)", u(r, "skipped_missing"),
                        u(r, "skipped_too_big"), u(r, "skipped_invalid")),
      u(r, "errors"), not_tried == 0 ? "" : fmt::format(", {} not tried", not_tried));
}

void print_archive(const json& r) {
  fmt::print(
      "  namespace {} (Go {}), {} files, {} logical, {} stored, {} entries in {} parts, "
      "archive {}\n",
      r.value("ns", ""), r.value("go_version", "") == "" ? "?" : r.value("go_version", ""),
      u(r, "files"), human_bytes(u(r, "logical_bytes")), human_bytes(u(r, "stored_bytes")),
      u(r, "entries"), u(r, "parts"), human_bytes(u(r, "archive_bytes")));
  if (!r.value("base_id", "").empty()) {
    fmt::print("  a delta of content {}; content {}\n", r.value("base_id", ""),
               r.value("content_id", ""));
  } else if (u(r, "deltas") > 0) {
    fmt::print("  a full archive and {} delta{}; content {}\n", u(r, "deltas"),
               u(r, "deltas") == 1 ? "" : "s", r.value("content_id", ""));
  } else if (!r.value("content_id", "").empty()) {
    fmt::print("  content {}\n", r.value("content_id", ""));
  }
}

// What a verify item is: its path, else its kind and inode.
std::string item(const json& d) {
  const std::string path = d.value("path", "");
  if (!path.empty()) return path;
  const uint64_t ino = u(d, "ino");
  return ino ? fmt::format("{} (inode {})", d.value("kind", ""), ino) : d.value("kind", "");
}

void print_verify(const json& r) {
  for (const auto& ns : r["namespaces"]) {
    if (ns.contains("error")) {
      fmt::print("namespace {}: not checked: {}\n", ns.value("name", ""), ns.value("error", ""));
      continue;
    }
    const bool repair = ns.contains("repaired");
    fmt::print("namespace {}: {} files, {} read, {}{} damaged\n", ns.value("name", ""),
               u(ns, "files"), human_bytes(u(ns, "bytes_read")),
               repair ? fmt::format("{} repaired, ", ns["repaired"].size()) : "",
               ns["damaged"].size());
    if (repair) {
      for (const auto& d : ns["repaired"]) {
        fmt::print("  REPAIRED {}: {}: {}\n", item(d), d.value("error", ""), d.value("repair", ""));
      }
    }
    for (const auto& d : ns["damaged"]) {
      fmt::print("  DAMAGED {}: {}\n", item(d), d.value("error", ""));
    }
  }
}

}  // namespace

void print_human(const std::string& cmd, const json& r) {
  // Something the command could not finish but that does not undo it.
  if (r.is_object() && r.contains("warning")) {
    std::fprintf(stderr, "gocachectl: warning: %s\n", r.value("warning", "").c_str());
  }
  if (cmd == "stats") return print_stats(r);
  if (cmd == "remote.status") return print_remote(r);
  if (cmd == "remote.push") return print_push(r);
  if (cmd == "env") return (void)fmt::print("export GOCACHE={}\n", r.value("GOCACHE", ""));
  if (cmd == "ns.list") {
    for (const auto& ns : r["namespaces"]) fmt::print("{}\n", ns.value("name", ""));
  } else if (cmd == "ns.create") {
    fmt::print("namespace {} created\n", r.value("name", ""));
  } else if (cmd == "ns.drop") {
    fmt::print("namespace {} dropped\n", r.value("name", ""));
  } else if (cmd == "ns.rename") {
    fmt::print("namespace renamed to {}\n", r.value("name", ""));
  } else if (cmd == "snapshot.create") {
    fmt::print("snapshot {} of namespace {}: {} files, {}\n", r.value("name", ""),
               r.value("source_ns", ""), u(r, "files"), human_bytes(u(r, "logical_bytes")));
  } else if (cmd == "snapshot.list") {
    fmt::print("{:<32} {:<20} {:>8} {:>12}  {}\n", "NAME", "NAMESPACE", "FILES", "LOGICAL",
               "CREATED");
    for (const auto& s : r["snapshots"]) {
      fmt::print("{:<32} {:<20} {:>8} {:>12}  {}\n", s.value("name", ""), s.value("source_ns", ""),
                 u(s, "files"), human_bytes(u(s, "logical_bytes")),
                 when(s.value("created", json())));
    }
  } else if (cmd == "snapshot.delete") {
    fmt::print("snapshot {} deleted\n", r.value("name", ""));
  } else if (cmd == "snapshot.export") {
    fmt::print("exported to {}\n", r.value("file", ""));
    print_archive(r);
  } else if (cmd == "snapshot.import") {
    fmt::print("imported as {}\n", r.contains("namespace") ? "namespace " + r.value("namespace", "")
                                                           : "snapshot " + r.value("snapshot", ""));
    print_archive(r);
  } else if (cmd == "snapshot.swap" || cmd == "snapshot.restore") {
    fmt::print("namespace {} now holds {}", r.value("ns", ""),
               cmd == "snapshot.swap" ? "snapshot " + r.value("snapshot", "") : "the archive");
    const std::string deleted = r.value("old_content_deleted", "");
    if (deleted == "later") {
      fmt::print("; its previous content ({}) is deleted once no build can reach it",
                 r.value("old_content", ""));
    } else if (deleted == "now") {
      fmt::print("; its previous content was deleted");
    } else if (r["old_content"].is_string()) {
      fmt::print("; its previous content is snapshot {}", r.value("old_content", ""));
    }
    fmt::print("\n");
    if (r.contains("archive") && r["archive"].is_object()) print_archive(r["archive"]);
  } else if (cmd == "verify") {
    print_verify(r);
  } else if (cmd == "evict" || cmd == "trim") {
    fmt::print("evicted {} files ({})\n", u(r, "files"), human_bytes(u(r, "bytes")));
    if (u(r, "kept_bytes") > 0) {
      fmt::print(
          "kept {} in entries open or used within the daemon's --protect-recent window "
          "(--include-recent evicts the recent ones too)\n",
          human_bytes(u(r, "kept_bytes")));
    }
  } else {
    fmt::print("{}\n", control::to_text(r, 2));
  }
}

}  // namespace gcfs::ctl
