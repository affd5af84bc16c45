// PasswordCache: lets a worker skip the slow password hash for a client that
// sends the same correct password on every call (the seeds' `curl -u`).
//
// It lives only in the worker's memory, never in Redis, so what a copy of
// Redis reveals is unchanged: still only the slow hash. An entry is a keyed
// HMAC (with a random key made when the worker starts) over the user name,
// the password and the stored hash string, so a password change or a
// re-hash makes old entries miss. Entries expire after a configured time,
// and the cache is bounded. Only successful verifications are remembered:
// a wrong password always pays the full hash.
//
// Not thread-safe: one per worker.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "tokend/crypto.h"

namespace tokend {

class PasswordCache {
 public:
  // `ttl_seconds` 0 disables the cache.
  explicit PasswordCache(int ttl_seconds);

  // True when this exact (name, password, stored hash) was verified less
  // than the ttl ago.
  bool Contains(const std::string& name, const std::string& password,
                const std::string& stored_hash, int64_t now);

  void Remember(const std::string& name, const std::string& password,
                const std::string& stored_hash, int64_t now);

 private:
  Digest Tag(const std::string& name, const std::string& password,
             const std::string& stored_hash);

  struct Entry {
    Digest tag;
    int64_t expires_at;
  };

  // Most distinct users one worker remembers; on overflow it starts afresh.
  static constexpr size_t kMaxEntries = 10000;

  int ttl_seconds_;
  SecretKey key_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace tokend
