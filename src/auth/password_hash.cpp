// Argon2id password hashes, and the PBKDF2 ones made before (see
// password_hash.h). The only libargon2 user.
#include "tokend/auth/password_hash.h"

#include <argon2.h>

#include <cstdint>
#include <map>
#include <string_view>
#include <tuple>
#include <vector>

#include "tokend/common/crypto.h"
#include "tokend/common/limits.h"
#include "tokend/common/metrics.h"
#include "tokend/common/text.h"
#include "tokend/token/base64.h"

namespace tokend {

namespace {

constexpr char kArgon2Prefix[] = "$argon2id$v=19$";
constexpr char kPbkdf2Scheme[] = "pbkdf2-sha256";
constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;
// The longest salt a stored hash may carry (the PHC format allows 64).
constexpr size_t kMaxSaltBytes = 64;

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t next = text.find(separator, start);
    parts.push_back(text.substr(start, next - start));
    if (next == std::string_view::npos) break;
    start = next + 1;
  }
  return parts;
}

// "m=19456,t=2,p=1" in this order, each a plain decimal.
bool ParseArgon2Params(std::string_view text, PasswordHashParams* params) {
  std::vector<std::string_view> fields = Split(text, ',');
  if (fields.size() != 3) return false;
  const char* names[] = {"m=", "t=", "p="};
  int64_t values[3];
  for (size_t i = 0; i < 3; ++i) {
    if (fields[i].substr(0, 2) != names[i] ||
        !ParseDecimal(fields[i].substr(2), &values[i]) || values[i] > INT32_MAX) {
      return false;
    }
  }
  *params = {static_cast<int>(values[0]), static_cast<int>(values[1]),
             static_cast<int>(values[2])};
  return true;
}

std::string Argon2String(const PasswordHashParams& params, std::string_view salt,
                         std::string_view hash) {
  return kArgon2Prefix + std::string("m=") + std::to_string(params.memory_kib) +
         ",t=" + std::to_string(params.time_cost) +
         ",p=" + std::to_string(params.parallelism) + "$" +
         Base64StandardEncode(salt) + "$" + Base64StandardEncode(hash);
}

bool Argon2id(const std::string& password, std::string_view salt,
              const PasswordHashParams& params, uint8_t out[kHashBytes]) {
  CountPasswordHash();
  return argon2id_hash_raw(params.time_cost, params.memory_kib,
                           params.parallelism, password.data(), password.size(),
                           salt.data(), salt.size(), out,
                           kHashBytes) == ARGON2_OK;
}

// A stored hash, read: which kind, its parameters, salt and expected hash.
struct StoredHash {
  bool argon2 = false;
  PasswordHashParams params;  // argon2
  long iterations = 0;        // pbkdf2
  std::string salt;
  std::string hash;
};

// False for anything malformed or beyond the hard limits.
bool ParseStored(const std::string& stored, StoredHash* out) {
  std::vector<std::string_view> parts = Split(stored, '$');
  if (stored.compare(0, sizeof(kArgon2Prefix) - 1, kArgon2Prefix) == 0) {
    // "", "argon2id", "v=19", params, salt, hash
    if (parts.size() != 6 || !ParseArgon2Params(parts[3], &out->params) ||
        !PasswordHashParamsValid(out->params)) {
      return false;
    }
    out->argon2 = true;
  } else {
    // "", scheme, iterations, salt, hash
    int64_t iterations = 0;
    if (parts.size() != 5 || !parts[0].empty() || parts[1] != kPbkdf2Scheme ||
        !ParseDecimal(parts[2], &iterations) || iterations < 1 ||
        iterations > kMaxPbkdf2Iterations) {
      return false;
    }
    out->iterations = static_cast<long>(iterations);
  }
  size_t salt_at = parts.size() - 2;
  return Base64DecodeLenient(parts[salt_at], &out->salt) &&
         !out->salt.empty() && out->salt.size() <= kMaxSaltBytes &&
         Base64DecodeLenient(parts[salt_at + 1], &out->hash) &&
         out->hash.size() == kHashBytes;
}

}  // namespace

PasswordHashParams PasswordHashParamsOf(const Config& config) {
  return {config.password_memory_kib, config.password_time_cost,
          config.password_parallelism};
}

bool PasswordHashParamsValid(const PasswordHashParams& params) {
  return params.parallelism >= 1 &&
         params.parallelism <= kMaxPasswordParallelism &&
         params.time_cost >= 1 && params.time_cost <= kMaxPasswordTimeCost &&
         params.memory_kib >= kMinPasswordMemoryKib &&
         params.memory_kib <= kMaxPasswordMemoryKib &&
         params.memory_kib >= 8 * params.parallelism;
}

std::string HashPassword(const std::string& password,
                         const PasswordHashParams& params) {
  if (!PasswordHashParamsValid(params)) return "";
  uint8_t salt[kSaltBytes];
  if (!RandomBytes(salt, sizeof(salt))) return "";
  std::string_view salt_bytes(reinterpret_cast<char*>(salt), sizeof(salt));
  uint8_t hash[kHashBytes];
  if (!Argon2id(password, salt_bytes, params, hash)) return "";
  std::string encoded = Argon2String(
      params, salt_bytes,
      std::string_view(reinterpret_cast<char*>(hash), sizeof(hash)));
  Wipe(hash, sizeof(hash));
  return encoded;
}

PasswordCheck CheckPassword(const std::string& password,
                            const std::string& stored) {
  StoredHash parsed;
  if (!ParseStored(stored, &parsed)) return PasswordCheck::kRefused;
  uint8_t actual[kHashBytes];
  bool computed;
  if (parsed.argon2) {
    computed = Argon2id(password, parsed.salt, parsed.params, actual);
  } else {
    CountPasswordHash();
    computed = Pbkdf2HmacSha256(password, parsed.salt,
                                static_cast<int>(parsed.iterations), actual,
                                kHashBytes);
  }
  bool match =
      computed && ConstantTimeEquals(actual, parsed.hash.data(), kHashBytes);
  Wipe(actual, sizeof(actual));
  if (!computed) return PasswordCheck::kRefused;
  return match ? PasswordCheck::kMatch : PasswordCheck::kMismatch;
}

bool VerifyPassword(const std::string& password, const std::string& stored) {
  return CheckPassword(password, stored) == PasswordCheck::kMatch;
}

bool NeedsRehash(const std::string& stored, const PasswordHashParams& params) {
  StoredHash parsed;
  if (!ParseStored(stored, &parsed) || !parsed.argon2) return true;
  return std::tie(parsed.params.memory_kib, parsed.params.time_cost,
                  parsed.params.parallelism) !=
         std::tie(params.memory_kib, params.time_cost, params.parallelism);
}

const std::string& DecoyPasswordHash(const PasswordHashParams& params) {
  static std::map<std::tuple<int, int, int>, std::string> decoys;
  std::string& decoy =
      decoys[{params.memory_kib, params.time_cost, params.parallelism}];
  if (decoy.empty()) {
    uint8_t random[kSaltBytes];
    RandomBytes(random, sizeof(random));
    decoy = HashPassword(HexEncode(random, sizeof(random)), params);
    Wipe(random, sizeof(random));
  }
  return decoy;
}

}  // namespace tokend
