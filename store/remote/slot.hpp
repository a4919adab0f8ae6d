// Redis Cluster key slots: CRC16 (XMODEM) of the key, or of its hash tag
// (the bytes between the first '{' and the next '}' when not empty),
// modulo 16384.
#pragma once

#include <cstdint>
#include <string_view>

namespace gcfs::remote {

inline constexpr uint16_t kClusterSlots = 16384;

uint16_t crc16_xmodem(std::string_view data);

// The part of `key` that is hashed: its hash tag if it has one, else all.
std::string_view hash_tag(std::string_view key);

uint16_t key_slot(std::string_view key);

}  // namespace gcfs::remote
