#include "store/local/snapshot_record.hpp"

#include <charconv>

#include "store/local/keys.hpp"

namespace gcfs {

namespace {
void put_str(std::string& out, std::string_view s) {
  out.push_back(static_cast<char>((s.size() >> 8) & 0xff));
  out.push_back(static_cast<char>(s.size() & 0xff));
  out.append(s);
}

bool get_str(std::string_view& in, std::string* out) {
  if (in.size() < 2) return false;
  const size_t n = (static_cast<unsigned char>(in[0]) << 8) | static_cast<unsigned char>(in[1]);
  if (in.size() < 2 + n) return false;
  out->assign(in.substr(2, n));
  in.remove_prefix(2 + n);
  return true;
}
}  // namespace

std::string snapshot_key(std::string_view name) {
  std::string k(1, kSnapshotTag);
  k.append(name);
  return k;
}

std::string encode_snapshot_record(const SnapshotInfo& info) {
  std::string v;
  keys::put_u32be(v, info.id);
  keys::put_u64be(v, static_cast<uint64_t>(info.created));
  put_str(v, info.source_ns);
  put_str(v, info.go_version);
  return v;
}

std::optional<SnapshotInfo> decode_snapshot_record(std::string_view name, std::string_view v) {
  if (v.size() < 12) return std::nullopt;
  SnapshotInfo info;
  info.name = name;
  info.id = keys::get_u32be(v.data());
  info.created = static_cast<int64_t>(keys::get_u64be(v.data() + 4));
  v.remove_prefix(12);
  if (!get_str(v, &info.source_ns) || !get_str(v, &info.go_version) || !v.empty()) {
    return std::nullopt;
  }
  if (info.id == 0 || info.id > kMaxNsId) return std::nullopt;
  return info;
}

std::string snapshot_family_name(uint32_t id) { return "snap." + std::to_string(id); }

std::optional<uint32_t> parse_snapshot_family_name(std::string_view family) {
  if (!family.starts_with("snap.") || family.size() < 6) return std::nullopt;
  std::string_view digits = family.substr(5);
  if (digits.size() > 1 && digits[0] == '0') return std::nullopt;
  uint32_t id = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  if (ec != std::errc() || end != digits.data() + digits.size() || id == 0) return std::nullopt;
  return id;
}

bool looks_like_go_version(std::string_view name) {
  // go<major>.<minor>[.<patch>][rcN|betaN]
  if (!name.starts_with("go") || name.size() < 3) return false;
  size_t i = 2;
  auto digits = [&] {
    size_t start = i;
    while (i < name.size() && name[i] >= '0' && name[i] <= '9') ++i;
    return i > start;
  };
  if (!digits()) return false;
  while (i < name.size() && name[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  while (i < name.size() && name[i] >= 'a' && name[i] <= 'z') ++i;
  digits();
  return i == name.size();
}

}  // namespace gcfs
