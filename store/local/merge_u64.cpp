#include "store/local/merge_u64.hpp"

#include "store/local/keys.hpp"

namespace gcfs {

namespace {

class U64AddOperator final : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& /*key*/, const rocksdb::Slice* existing,
             const rocksdb::Slice& value, std::string* new_value,
             rocksdb::Logger* /*logger*/) const override {
    uint64_t sum = 0;
    if (existing != nullptr) {
      if (existing->size() != 8) return false;  // reported by RocksDB as corruption
      sum = keys::get_u64le(existing->data());
    }
    if (value.size() != 8) return false;
    sum += keys::get_u64le(value.data());
    new_value->clear();
    keys::put_u64le(*new_value, sum);
    return true;
  }
  const char* Name() const override { return "gcfs.u64add"; }
};

}  // namespace

std::shared_ptr<rocksdb::MergeOperator> make_u64_add_operator() {
  return std::make_shared<U64AddOperator>();
}

}  // namespace gcfs
