// Associative merge operator adding little-endian u64 values (wrapping), for
// the `S` counters: negative deltas are merged as two's complement.
// Debian's librocksdb-dev does not install utilities/merge_operators.h, so the
// built-in "uint64add" cannot be named from here; this is the same operation.
#pragma once

#include <rocksdb/merge_operator.h>

#include <memory>

namespace gcfs {

std::shared_ptr<rocksdb::MergeOperator> make_u64_add_operator();

}  // namespace gcfs
