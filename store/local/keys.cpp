// Key encoding: see keys.hpp and docs/design.md.
#include "store/local/keys.hpp"

#include <xxhash.h>

#include <algorithm>
#include <charconv>

namespace gcfs::keys {

uint64_t dentry_cookie(std::string_view name) {
  return (XXH3_64bits(name.data(), name.size()) >> 2) + 3;
}

std::string ns_by_name(std::string_view name) {
  std::string k(1, kNsByNameTag);
  k.append(name);
  return k;
}

std::string ns_by_id(NsId id) {
  std::string k(1, kNsByIdTag);
  put_u32be(k, id);
  return k;
}

std::string family_name(NsId id) { return "ns." + std::to_string(id); }

std::optional<NsId> parse_family_name(std::string_view family) {
  if (!family.starts_with("ns.") || family.size() < 4) return std::nullopt;
  std::string_view digits = family.substr(3);
  if (digits.size() > 1 && digits[0] == '0') return std::nullopt;  // canonical form only
  NsId id = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  if (ec != std::errc() || end != digits.data() + digits.size() || id == 0) return std::nullopt;
  return id;
}

static std::string tagged(char tag, Ino ino) {
  std::string k(1, tag);
  put_u64be(k, ino);
  return k;
}

std::string inode(Ino ino) { return tagged(kInodeTag, ino); }
std::string dentry_prefix(Ino parent) { return tagged(kDentryTag, parent); }
std::string chunk_map(Ino ino) { return tagged(kMapTag, ino); }
std::string orphan(Ino ino) { return tagged(kOrphanTag, ino); }

std::string dentry_from(Ino parent, uint64_t cookie) {
  std::string k = tagged(kDentryTag, parent);
  put_u64be(k, cookie);
  return k;
}

std::string dentry(Ino parent, uint64_t cookie, std::string_view name) {
  std::string k = dentry_from(parent, cookie);
  k.append(name);
  return k;
}

std::string chunk(Ino ino, uint64_t idx) {
  std::string k = tagged(kChunkTag, ino);
  put_u64be(k, idx);
  return k;
}

std::string counter(std::string_view name) {
  std::string k(1, kCounterTag);
  k.append(name);
  return k;
}

std::string lru(int64_t time_ns, Ino ino) {
  std::string k(1, kLruTag);
  put_u64be(k, static_cast<uint64_t>(std::max<int64_t>(time_ns, 0)));
  put_u64be(k, ino);
  return k;
}

std::string use(Ino ino) { return tagged(kUseTag, ino); }

std::string xattr(Ino ino, std::string_view name) {
  std::string k = tagged(kXattrTag, ino);
  k.append(name);
  return k;
}

std::string xattr_prefix(Ino ino) { return tagged(kXattrTag, ino); }

std::string link_name(Ino ino, Ino parent, std::string_view name) {
  std::string k = tagged(kLinkTag, ino);
  put_u64be(k, parent);
  k.append(name);
  return k;
}

std::string link_prefix(Ino ino) { return tagged(kLinkTag, ino); }

std::string prefix_end(std::string_view prefix) {
  std::string k(prefix);
  while (!k.empty()) {
    auto last = static_cast<unsigned char>(k.back());
    if (last != 0xff) {
      k.back() = static_cast<char>(last + 1);
      return k;
    }
    k.pop_back();  // carry into the previous byte
  }
  return k;  // empty: no upper bound
}

std::optional<DentryKey> parse_dentry(std::string_view key) {
  if (key.size() < 1 + 8 + 8 + 1 || key[0] != kDentryTag) return std::nullopt;
  DentryKey d;
  d.parent = get_u64be(key.data() + 1);
  d.cookie = get_u64be(key.data() + 9);
  d.name = key.substr(17);
  return d;
}

std::string dentry_value(Ino child, uint32_t type) {
  std::string v;
  put_u64be(v, child);
  put_u32be(v, type);
  return v;
}

std::optional<DentryValue> parse_dentry_value(std::string_view value) {
  if (value.size() != 12) return std::nullopt;
  return DentryValue{get_u64be(value.data()), get_u32be(value.data() + 8)};
}

std::optional<Ino> parse_ino_key(std::string_view key, char tag) {
  if (key.size() != 9 || key[0] != tag) return std::nullopt;
  return get_u64be(key.data() + 1);
}

std::optional<ChunkKey> parse_chunk_key(std::string_view key) {
  if (key.size() != 17 || key[0] != kChunkTag) return std::nullopt;
  return ChunkKey{get_u64be(key.data() + 1), get_u64be(key.data() + 9)};
}

std::optional<LruKey> parse_lru_key(std::string_view key) {
  if (key.size() != 17 || key[0] != kLruTag) return std::nullopt;
  return LruKey{static_cast<int64_t>(get_u64be(key.data() + 1)), get_u64be(key.data() + 9)};
}

std::optional<XattrKey> parse_xattr_key(std::string_view key) {
  if (key.size() < 1 + 8 + 1 || key[0] != kXattrTag) return std::nullopt;
  return XattrKey{get_u64be(key.data() + 1), key.substr(9)};
}

std::optional<LinkKey> parse_link_key(std::string_view key) {
  if (key.size() < 1 + 8 + 8 + 1 || key[0] != kLinkTag) return std::nullopt;
  return LinkKey{get_u64be(key.data() + 1), get_u64be(key.data() + 9), key.substr(17)};
}

}  // namespace gcfs::keys
