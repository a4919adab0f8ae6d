#include "store/tiered/local_entry.hpp"

#include <sys/stat.h>

#include "store/remote/go_entry.hpp"
#include "store/remote/object_key.hpp"

namespace gcfs::tiered {

Result<LocalEntry> read_action_entry(Store& store, NsId ns, Ino ino) {
  LocalEntry e;
  // One byte more than Go's size: a longer file is not an entry either.
  e.action.assign(remote::kActionEntrySize + 1, '\0');
  GCFS_TRY_ASSIGN(const size_t n, store.read(ns, ino, 0, e.action));
  e.action.resize(n);
  GCFS_TRY_ASSIGN(const remote::ActionEntry entry, remote::parse_action_entry(e.action));
  e.action_name = remote::entry_name(entry.action_hex, remote::EntryKind::action);
  e.output_name = remote::entry_name(entry.output_hex, remote::EntryKind::output);
  e.output_size = entry.size;
  return e;
}

std::optional<std::string> read_output(Store& store, NsId ns, const LocalEntry& e) {
  // Go writes the -d before its -a, so it is here unless it went since.
  const std::string_view name = e.output_name;
  auto dir = store.lookup(ns, kRootIno, name.substr(0, 2));
  if (!dir) return std::nullopt;
  auto out = store.lookup(ns, dir->ino, name.substr(3));
  if (!out || !S_ISREG(out->mode) || out->size != e.output_size) return std::nullopt;
  std::string bytes(e.output_size, '\0');
  auto got = store.read(ns, out->ino, 0, bytes);
  if (!got || *got != e.output_size) return std::nullopt;
  return bytes;
}

}  // namespace gcfs::tiered
