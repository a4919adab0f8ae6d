// The object API over a Backend: see client.hpp.
#include "store/remote/client.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <xxhash.h>

#include "store/codec/chunk.hpp"
#include "store/remote/go_entry.hpp"
#include "store/remote/manifest.hpp"
#include "store/remote/object_key.hpp"
#include "store/remote/value_codec.hpp"

namespace gcfs::remote {

namespace {

// Manifests list 4 bytes per piece: 1 MiB covers any object we accept.
constexpr uint64_t kMaxManifest = 1 << 20;

Failure reply_failure(const Reply& r, std::string_view key) {
  if (r.failure) return *r.failure;
  if (r.is_error()) return Failure{classify_error_reply(r.str), fmt::format("{}: {}", key, r.str)};
  return Failure{Fault::protocol, fmt::format("{}: unexpected reply type", key)};
}

Status check_args(std::string_view ns, std::string_view name) {
  if (auto s = check_namespace(ns); !s) return s;
  if (auto n = parse_entry_name(name); !n) return n.error();
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<RemoteClient>> RemoteClient::create(const RemoteOptions& options) {
  auto c = resolve_config(options);
  if (!c) return c.error();
  return std::make_unique<RemoteClient>(std::move(c.value()));
}

RemoteClient::RemoteClient(Config config)
    : config_(std::move(config)), backend_(make_backend(config_, stats_)) {}

RemoteClient::~RemoteClient() = default;

Deadline RemoteClient::read_deadline() const {
  return Clock::now() + std::chrono::milliseconds(config_.options.command_timeout_ms);
}

Deadline RemoteClient::write_deadline() const {
  return Clock::now() + std::chrono::milliseconds(config_.options.upload_timeout_ms);
}

void RemoteClient::count(const Failure& f, std::string_view what) {
  stats_.count_error(f.kind);
  // Neither a remote that is down nor one full of damaged values may flood
  // the log: the breaker logs its state changes, the caller (the daemon's
  // tier) the first failure of each kind; every one is counted.
  spdlog::debug("remote {}: {}: {}", what, fault_name(f.kind), f.message);
}

// ---- reading ------------------------------------------------------------------

Outcome<RemoteClient::Fetched> RemoteClient::fetch(std::string_view ns, std::string_view name) {
  const std::string key = object_key(ns, name);
  std::vector<Command> cmds{Command{{"GET", key}}};
  Reply r = std::move(backend_->run(cmds, read_deadline(), nullptr).at(0));
  if (!r.failure && r.type == Reply::Type::nil) return Fetched{};
  if (r.failure || r.type != Reply::Type::string) return reply_failure(r, key);
  auto type = peek_type(r.str);
  if (!type) return Failure{Fault::corrupt, fmt::format("{}: {}", key, type.failure().message)};
  switch (type.value()) {
    case ValueType::object: {
      auto v = decode_value(r.str, ValueType::object, key, config_.options.max_object_size);
      if (!v) return v.failure();
      return Fetched{std::move(v.value()), false};
    }
    case ValueType::manifest:
      return fetch_pieces(key, r.str);
    case ValueType::piece:
      break;
  }
  return Failure{Fault::corrupt, fmt::format("{}: a piece stored as an object", key)};
}

Outcome<RemoteClient::Fetched> RemoteClient::fetch_pieces(const std::string& key,
                                                          std::string_view manifest_value) {
  auto payload = decode_value(manifest_value, ValueType::manifest, key, kMaxManifest);
  if (!payload) return payload.failure();
  auto m = decode_manifest(payload.value(), config_.options.max_object_size);
  if (!m) return Failure{m.failure().kind, fmt::format("{}: {}", key, m.failure().message)};
  const auto& lens = m->piece_lens;
  std::string out;
  out.reserve(m->total);
  size_t end = 0;
  for (size_t first = 0; first < lens.size(); first = end) {
    // A window of pieces up to pipeline_bytes (the writer's piece size may
    // differ from ours), at least one.
    std::vector<Command> cmds;
    uint64_t bytes = 0;
    for (end = first;
         end < lens.size() && (end == first || bytes + lens[end] <= config_.options.pipeline_bytes);
         ++end) {
      bytes += lens[end];
      cmds.push_back(Command{{"GET", piece_key(key, m->xxh3, static_cast<uint32_t>(end))}});
    }
    auto replies = backend_->run(cmds, read_deadline(), nullptr);
    for (size_t i = first; i < end; ++i) {
      const Reply& r = replies[i - first];
      const std::string& pkey = cmds[i - first].args[1];
      if (!r.failure && r.type == Reply::Type::nil) {
        spdlog::debug("remote {}: piece {} missing (a miss)", key, i);
        return Fetched{std::nullopt, true};
      }
      if (r.failure || r.type != Reply::Type::string) return reply_failure(r, pkey);
      auto piece = decode_value(r.str, ValueType::piece, pkey, lens[i]);
      if (!piece) return piece.failure();
      if (piece->size() != lens[i]) {
        return Failure{Fault::corrupt,
                       fmt::format("{}: piece length differs from the manifest", pkey)};
      }
      out.append(piece.value());
    }
  }
  if (out.size() != m->total || XXH3_64bits(out.data(), out.size()) != m->xxh3) {
    return Failure{Fault::corrupt, fmt::format("{}: pieces do not make the object", key)};
  }
  return Fetched{std::move(out), false};
}

Result<std::optional<std::string>> RemoteClient::get(std::string_view ns, std::string_view name) {
  if (auto s = check_args(ns, name); !s) return s.error();
  const auto start = Clock::now();
  auto f = fetch(ns, name);
  stats_.observe_get(Clock::now() - start);
  if (!f) {
    count(f.failure(), "get");
    return f.failure().to_error();
  }
  if (!f->value) {
    stats_.misses.fetch_add(1);
    if (f->missing_piece) stats_.missing_pieces.fetch_add(1);
    return std::optional<std::string>();
  }
  stats_.hits.fetch_add(1);
  stats_.bytes_down.fetch_add(f->value->size());
  return std::move(f->value);
}

Result<std::optional<EntryPair>> RemoteClient::get_pair(std::string_view ns,
                                                        std::string_view action_name) {
  if (auto s = check_args(ns, action_name); !s) return s.error();
  auto name = parse_entry_name(action_name);
  if (name->kind != EntryKind::action) {
    return Error(Errc::invalid, fmt::format("'{}' is not an action entry name", action_name));
  }
  const auto start = Clock::now();
  auto fail = [&](const Failure& f) {
    stats_.observe_get(Clock::now() - start);
    count(f, "get_pair");
    return f.to_error();
  };
  auto miss = [&](bool missing_piece) {
    stats_.observe_get(Clock::now() - start);
    stats_.misses.fetch_add(1);
    if (missing_piece) stats_.missing_pieces.fetch_add(1);
    return std::optional<EntryPair>();
  };

  auto a = fetch(ns, action_name);
  if (!a) return fail(a.failure());
  if (!a->value) return miss(a->missing_piece);
  auto entry = parse_action_entry(*a->value);
  if (!entry)
    return fail({Fault::corrupt, fmt::format("{}: {}", action_name, entry.error().message())});
  if (entry->action_hex != name->hex) {
    return fail({Fault::corrupt, fmt::format("{}: the entry names another action", action_name)});
  }
  if (entry->size > config_.options.max_object_size) {
    return fail({Fault::too_big, fmt::format("{}: output of {} bytes", action_name, entry->size)});
  }
  std::string out_name = entry_name(entry->output_hex, EntryKind::output);
  auto d = fetch(ns, out_name);
  if (!d) return fail(d.failure());
  if (!d->value) return miss(d->missing_piece);
  if (d->value->size() != entry->size) {
    return fail({Fault::corrupt, fmt::format("{}: {} bytes, the entry says {}", out_name,
                                             d->value->size(), entry->size)});
  }
  if (sha256_hex(*d->value) != entry->output_hex) {
    return fail({Fault::corrupt, fmt::format("{}: SHA-256 differs from its name", out_name)});
  }
  stats_.observe_get(Clock::now() - start);
  stats_.hits.fetch_add(1);
  stats_.bytes_down.fetch_add(a->value->size() + d->value->size());
  return std::optional<EntryPair>(
      EntryPair{std::move(*a->value), std::move(out_name), std::move(*d->value)});
}

Result<bool> RemoteClient::exists(std::string_view ns, std::string_view name) {
  if (auto s = check_args(ns, name); !s) return s.error();
  const std::string key = object_key(ns, name);
  std::vector<Command> cmds{Command{{"EXISTS", key}}};
  Reply r = std::move(backend_->run(cmds, read_deadline(), nullptr).at(0));
  if (r.failure || r.type != Reply::Type::integer) {
    const Failure f = reply_failure(r, key);
    count(f, "exists");
    return f.to_error();
  }
  return r.integer > 0;
}

Result<std::vector<bool>> RemoteClient::exists_many(std::string_view ns,
                                                    std::span<const std::string> names) {
  if (names.empty()) return std::vector<bool>();
  std::vector<Command> cmds;
  cmds.reserve(names.size());
  for (const std::string& name : names) {
    if (auto s = check_args(ns, name); !s) return s.error();
    cmds.push_back(Command{{"EXISTS", object_key(ns, name)}});
  }
  auto replies = backend_->run(cmds, read_deadline(), nullptr);
  std::vector<bool> out;
  out.reserve(replies.size());
  for (size_t i = 0; i < replies.size(); ++i) {
    const Reply& r = replies[i];
    if (r.failure || r.type != Reply::Type::integer) {
      const Failure f = reply_failure(r, cmds[i].args[1]);
      count(f, "exists");
      return f.to_error();
    }
    out.push_back(r.integer > 0);
  }
  return out;
}

// ---- writing ------------------------------------------------------------------

Outcome<bool> RemoteClient::set_all(std::vector<Command> cmds, const std::atomic<bool>* cancel) {
  auto replies = backend_->run(cmds, write_deadline(), cancel);
  for (size_t i = 0; i < replies.size(); ++i) {
    const Reply& r = replies[i];
    if (r.failure || r.type != Reply::Type::status) return reply_failure(r, cmds[i].args[1]);
  }
  return true;
}

Outcome<bool> RemoteClient::write(std::string_view ns, std::string_view name, std::string_view raw,
                                  const EncodedObject* encoded, const std::atomic<bool>* cancel) {
  const auto& o = config_.options;
  if (o.mode == Mode::read_only) return Failure{Fault::read_only, "remote is read-only"};
  const std::string key = object_key(ns, name);

  // Chunks from the store are decoded once: to verify them before they
  // leave, and to checksum the object and its pieces.
  std::string decoded;
  std::vector<uint64_t> chunk_end;  // decoded offset after each chunk
  if (encoded != nullptr) {
    if (encoded->chunk_size == 0) return Failure{Fault::corrupt, "chunk size 0"};
    for (size_t i = 0; i < encoded->chunks.size(); ++i) {
      auto c = decode_chunk(encoded->chunks[i], encoded->ino, i, encoded->chunk_size);
      if (!c) return Failure{Fault::corrupt, fmt::format("{}: local {}", key, c.error().message())};
      decoded.append(c.value());
      chunk_end.push_back(decoded.size());
      if (decoded.size() > o.max_object_size) break;
    }
    raw = decoded;
  }
  if (raw.size() > o.max_object_size) {
    return Failure{Fault::too_big, fmt::format("{}: {} bytes, above max_object_size {}", key,
                                               raw.size(), o.max_object_size)};
  }
  auto chunk_views = [&](size_t from, size_t to) {
    std::vector<std::string_view> v;
    for (size_t i = from; i < to; ++i) v.push_back(encoded->chunks[i]);
    return v;
  };
  auto xxh = [](std::string_view s) { return XXH3_64bits(s.data(), s.size()); };

  if (raw.size() <= o.piece_size) {
    std::string value =
        encoded != nullptr
            ? wrap_chunks(ValueType::object, key, encoded->ino, 0,
                          chunk_views(0, encoded->chunks.size()), raw.size(), xxh(raw))
            : encode_value(ValueType::object, key, raw, o.block_size);
    return set_all({Command{{"SET", key, std::move(value)}}}, cancel);
  }

  // Pieces: from raw bytes, piece_size each; from store chunks, whole
  // chunks (as many as fit in piece_size) so they are sent unchanged.
  Manifest m;
  m.total = raw.size();
  m.xxh3 = xxh(raw);
  std::vector<std::pair<size_t, size_t>> chunk_ranges;  // per piece, encoded only
  if (encoded == nullptr) {
    m.piece_lens = plan_pieces(raw.size(), o.piece_size);
  } else {
    const size_t per = std::max<size_t>(1, o.piece_size / encoded->chunk_size);
    for (size_t from = 0; from < encoded->chunks.size(); from += per) {
      const size_t to = std::min(encoded->chunks.size(), from + per);
      const uint64_t lo = from == 0 ? 0 : chunk_end[from - 1];
      m.piece_lens.push_back(static_cast<uint32_t>(chunk_end[to - 1] - lo));
      chunk_ranges.emplace_back(from, to);
    }
  }

  std::vector<Command> batch;
  uint64_t batch_bytes = 0;
  uint64_t off = 0;
  for (uint32_t i = 0; i < m.piece_lens.size(); ++i) {
    const std::string_view slice = raw.substr(off, m.piece_lens[i]);
    off += m.piece_lens[i];
    std::string pkey = piece_key(key, m.xxh3, i);
    std::string value =
        encoded != nullptr
            ? wrap_chunks(ValueType::piece, pkey, encoded->ino, chunk_ranges[i].first,
                          chunk_views(chunk_ranges[i].first, chunk_ranges[i].second), slice.size(),
                          xxh(slice))
            : encode_value(ValueType::piece, pkey, slice, o.block_size);
    batch_bytes += value.size();
    batch.push_back(Command{{"SET", std::move(pkey), std::move(value)}});
    if (batch_bytes >= o.pipeline_bytes || i + 1 == m.piece_lens.size()) {
      auto ok = set_all(std::move(batch), cancel);
      if (!ok) return ok;  // no manifest: readers never see a partial object
      batch.clear();
      batch_bytes = 0;
    }
  }
  return set_all(
      {Command{{"SET", key, encode_raw_value(ValueType::manifest, key, encode_manifest(m))}}},
      cancel);
}

Status RemoteClient::put(std::string_view ns, std::string_view name, std::string_view bytes,
                         const std::atomic<bool>* cancel) {
  if (auto s = check_args(ns, name); !s) return s;
  const auto start = Clock::now();
  auto w = write(ns, name, bytes, nullptr, cancel);
  stats_.observe_put(Clock::now() - start);
  if (!w) {
    count(w.failure(), "put");
    return w.failure().to_error();
  }
  stats_.puts.fetch_add(1);
  stats_.bytes_up.fetch_add(bytes.size());
  return Status::ok();
}

Status RemoteClient::put_encoded(std::string_view ns, std::string_view name,
                                 const EncodedObject& object, const std::atomic<bool>* cancel) {
  if (auto s = check_args(ns, name); !s) return s;
  const auto start = Clock::now();
  auto w = write(ns, name, {}, &object, cancel);
  stats_.observe_put(Clock::now() - start);
  if (!w) {
    count(w.failure(), "put");
    return w.failure().to_error();
  }
  stats_.puts.fetch_add(1);
  uint64_t n = 0;
  for (const auto& c : object.chunks) n += chunk_raw_len(c).is_ok() ? *chunk_raw_len(c) : 0;
  stats_.bytes_up.fetch_add(n);
  return Status::ok();
}

Status RemoteClient::put_pair(std::string_view ns, std::string_view action_name,
                              std::string_view action, std::string_view output,
                              const std::atomic<bool>* cancel) {
  if (auto s = check_args(ns, action_name); !s) return s;
  auto name = parse_entry_name(action_name);
  if (name->kind != EntryKind::action) {
    return Error(Errc::invalid, fmt::format("'{}' is not an action entry name", action_name));
  }
  auto entry = parse_action_entry(action);
  if (!entry) return Error(Errc::invalid, entry.error().message());
  if (entry->action_hex != name->hex) {
    return Error(Errc::invalid, fmt::format("{}: the entry names another action", action_name));
  }
  if (entry->size != output.size() || sha256_hex(output) != entry->output_hex) {
    return Error(
        Errc::invalid,
        fmt::format("{}: the output does not match the entry (size or SHA-256)", action_name));
  }
  // Go's order: the -d complete before the -a naming it becomes visible.
  if (auto s = put(ns, entry_name(entry->output_hex, EntryKind::output), output, cancel); !s) {
    return s;
  }
  return put(ns, action_name, action, cancel);
}

RemoteStatus RemoteClient::status() const {
  RemoteStatus s;
  s.topology = config_.topology.kind;
  s.mode = config_.options.mode;
  s.endpoints = backend_->endpoints();
  s.stats = stats_.snapshot();
  s.queue_capacity_bytes = config_.options.upload_queue_bytes;
  return s;
}

}  // namespace gcfs::remote
