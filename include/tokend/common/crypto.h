// Crypto shims over OpenSSL 3: HMAC-SHA256 with a reused MAC context,
// SHA-256, random bytes, constant-time comparison and wiping of secrets.
// Only src/common/crypto.cpp includes OpenSSL headers.
//
// Thread safety: HmacSha256 is not thread-safe (one per thread); the free
// functions are thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tokend {

constexpr size_t kSha256Bytes = 32;
using Digest = std::array<uint8_t, kSha256Bytes>;

// A 32-byte secret that is wiped when it goes away. Copies are explicit.
class SecretKey {
 public:
  SecretKey() { bytes_.fill(0); }
  explicit SecretKey(const Digest& bytes) : bytes_(bytes) {}
  SecretKey(const SecretKey& other) = default;
  SecretKey& operator=(const SecretKey& other) = default;
  ~SecretKey();

  const uint8_t* data() const { return bytes_.data(); }
  uint8_t* data() { return bytes_.data(); }
  static constexpr size_t size() { return kSha256Bytes; }

 private:
  Digest bytes_;
};

// HMAC-SHA256 with a different key on each call (the macaroon chain keys
// each step with the previous signature). Keeps one OpenSSL SHA-256 digest
// context and builds the HMAC on it; the one-shot HMAC() costs about twice
// as much on OpenSSL 3, a re-keyed EVP_MAC context about a third more.
class HmacSha256 {
 public:
  HmacSha256();
  ~HmacSha256();
  HmacSha256(const HmacSha256&) = delete;
  HmacSha256& operator=(const HmacSha256&) = delete;

  // out = HMAC-SHA256(key, message). Aborts only if OpenSSL itself is broken
  // (no SHA-256), which no input can cause.
  void Compute(const uint8_t* key, size_t key_size, std::string_view message,
               uint8_t out[kSha256Bytes]);

  // The calling thread's instance, created on first use.
  static HmacSha256& ForThisThread();

 private:
  struct Impl;
  Impl* impl_;
};

// HMAC-SHA256 under one fixed key, for keys used again and again (the
// libmacaroons generator key, the master secret, the password cache's key).
// The key's pad blocks are hashed once; each Compute starts from those
// states, which costs about 60% of a re-keyed HmacSha256::Compute on
// OpenSSL 3. Not thread-safe.
class KeyedHmacSha256 {
 public:
  KeyedHmacSha256(const uint8_t* key, size_t key_size);
  ~KeyedHmacSha256();
  KeyedHmacSha256(const KeyedHmacSha256&) = delete;
  KeyedHmacSha256& operator=(const KeyedHmacSha256&) = delete;

  void Compute(std::string_view message, uint8_t out[kSha256Bytes]);

 private:
  struct Impl;
  Impl* impl_;
};

// SHA-256 of `data`.
Digest Sha256(std::string_view data);

// Lowercase hex SHA-1 of `data` (Redis names scripts by it; not for
// security).
std::string Sha1Hex(std::string_view data);

// PBKDF2-HMAC-SHA256 of `password` and `salt` into `out_size` bytes at
// `out`; false if OpenSSL refuses (an iteration count below 1).
bool Pbkdf2HmacSha256(std::string_view password, std::string_view salt,
                      int iterations, uint8_t* out, size_t out_size);

// Fills `out` with `size` bytes from the kernel's CSPRNG (getrandom), or
// OpenSSL's where that fails; false if both fail.
bool RandomBytes(uint8_t* out, size_t size);

// Compares in time that depends only on `size`.
bool ConstantTimeEquals(const void* a, const void* b, size_t size);

// Overwrites `size` bytes at `data` in a way the compiler keeps.
void Wipe(void* data, size_t size);
void Wipe(std::string* text);

}  // namespace tokend
