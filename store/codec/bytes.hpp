// Fixed-width integers in byte strings: big-endian in keys and headers (they
// sort as numbers), little-endian for counter values (the merge operator adds
// them). Shared by the key layout (store/local/keys.hpp), the chunk codec and
// the remote tier's value encoding.
#pragma once

#include <cstdint>
#include <string>

namespace gcfs::bytes {

void put_u32be(std::string& out, uint32_t v);
void put_u64be(std::string& out, uint64_t v);
void put_u64le(std::string& out, uint64_t v);
void put_u32le(std::string& out, uint32_t v);
// The caller guarantees 4 / 8 readable bytes at `p`.
uint32_t get_u32be(const char* p);
uint64_t get_u64be(const char* p);
uint64_t get_u64le(const char* p);
uint32_t get_u32le(const char* p);

}  // namespace gcfs::bytes
