// The Redis Cluster hash slot of a key (the cluster specification's
// HASH_SLOT): CRC16 (XMODEM: polynomial 0x1021, initial value 0) of the key,
// or of its hash tag, modulo 16384. The hash tag is what lies between the
// first '{' and the first '}' after it, when that is not empty; otherwise
// the whole key counts. Every key of one request of this service carries
// the same tag ("oz:{<userId>}..."), so a request touches one slot: the
// first step of issue 15 (Redis Cluster).
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

namespace tokend {

constexpr int kClusterSlots = 16384;

// CRC16/XMODEM of `bytes`.
uint16_t Crc16(std::string_view bytes);

// The part of `key` that decides its slot (see above).
std::string_view HashTagOf(std::string_view key);

// The key's slot, 0 to kClusterSlots - 1.
int KeySlot(std::string_view key);

}  // namespace tokend
