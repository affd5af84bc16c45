// PBKDF2-SHA256 password hashes with stored parameters (see
// password_hash.h).
#include "tokend/auth/password_hash.h"

#include <cstdint>
#include <cstdlib>
#include <map>
#include <vector>

#include "tokend/common/crypto.h"
#include "tokend/common/metrics.h"
#include "tokend/common/text.h"
#include "tokend/token/base64.h"

namespace tokend {

namespace {

constexpr char kScheme[] = "pbkdf2-sha256";
constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;
// Refuse stored parameters that would let a tampered record stall a worker.
constexpr long kMaxIterations = 100000000;

std::vector<std::string> Split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t next = text.find(separator, start);
    parts.push_back(text.substr(start, next - start));
    if (next == std::string::npos) break;
    start = next + 1;
  }
  return parts;
}

}  // namespace

std::string HashPassword(const std::string& password, int iterations) {
  uint8_t salt[kSaltBytes];
  if (!RandomBytes(salt, sizeof(salt))) return "";
  std::string salt_bytes(reinterpret_cast<char*>(salt), sizeof(salt));
  uint8_t hash[kHashBytes];
  if (!Pbkdf2HmacSha256(password, salt_bytes, iterations, hash, kHashBytes)) {
    return "";
  }
  std::string encoded =
      std::string("$") + kScheme + "$" + std::to_string(iterations) + "$" +
      Base64UrlEncode(salt_bytes) + "$" +
      Base64UrlEncode(std::string(reinterpret_cast<char*>(hash), sizeof(hash)));
  Wipe(hash, sizeof(hash));
  return encoded;
}

const std::string& DecoyPasswordHash(int iterations) {
  static std::map<int, std::string> decoys;
  std::string& decoy = decoys[iterations];
  if (decoy.empty()) {
    uint8_t random[kSaltBytes];
    RandomBytes(random, sizeof(random));
    decoy = HashPassword(HexEncode(random, sizeof(random)), iterations);
    Wipe(random, sizeof(random));
  }
  return decoy;
}

bool VerifyPassword(const std::string& password, const std::string& stored) {
  // "", scheme, iterations, salt, hash
  std::vector<std::string> parts = Split(stored, '$');
  if (parts.size() != 5 || !parts[0].empty() || parts[1] != kScheme) return false;
  char* end = nullptr;
  long iterations = std::strtol(parts[2].c_str(), &end, 10);
  if (parts[2].empty() || *end != '\0' || iterations < 1 ||
      iterations > kMaxIterations) {
    return false;
  }
  std::string salt, expected;
  if (!Base64DecodeLenient(parts[3], &salt) ||
      !Base64DecodeLenient(parts[4], &expected) ||
      expected.size() != kHashBytes) {
    return false;
  }
  uint8_t actual[kHashBytes];
  CountPasswordHash();
  if (!Pbkdf2HmacSha256(password, salt, static_cast<int>(iterations), actual,
                        kHashBytes)) {
    return false;
  }
  bool match = ConstantTimeEquals(actual, expected.data(), kHashBytes);
  Wipe(actual, sizeof(actual));
  return match;
}

}  // namespace tokend
