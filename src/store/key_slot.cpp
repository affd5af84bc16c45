// Redis Cluster key slots (see key_slot.h).
#include "tokend/store/key_slot.h"

#include <array>

namespace tokend {

namespace {

// The CRC of each byte value, computed once (bitwise, MSB first).
std::array<uint16_t, 256> Crc16Table() {
  std::array<uint16_t, 256> table{};
  for (int byte = 0; byte < 256; ++byte) {
    uint16_t crc = static_cast<uint16_t>(byte << 8);
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<uint16_t>(crc << 1);
    }
    table[byte] = crc;
  }
  return table;
}

}  // namespace

uint16_t Crc16(std::string_view bytes) {
  static const std::array<uint16_t, 256> kTable = Crc16Table();
  uint16_t crc = 0;
  for (unsigned char byte : bytes) {
    crc = static_cast<uint16_t>((crc << 8) ^ kTable[((crc >> 8) ^ byte) & 0xff]);
  }
  return crc;
}

std::string_view HashTagOf(std::string_view key) {
  const size_t open = key.find('{');
  if (open == std::string_view::npos) return key;
  const size_t close = key.find('}', open + 1);
  if (close == std::string_view::npos || close == open + 1) return key;
  return key.substr(open + 1, close - open - 1);
}

int KeySlot(std::string_view key) {
  return Crc16(HashTagOf(key)) % kClusterSlots;
}

}  // namespace tokend
