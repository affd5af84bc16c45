// TokenStore: the access tokens of each user in Redis. A token's record
// expires at its time caveat, so Redis itself forgets expired tokens; the
// per-user list is pruned of them as it is read. Nothing stored is enough
// to rebuild a token without the master secret (see token_ref.h).
//
// Not thread-safe (uses the worker's RedisClient).
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "tokend/common/status.h"
#include "tokend/store/redis_client.h"
#include "tokend/store/write_guard.h"

namespace tokend {

struct StoredToken {
  std::string nonce;
  int64_t expires_at = 0;  // Unix seconds
};

class TokenStore {
 public:
  explicit TokenStore(RedisClient* redis) : redis_(redis) {}

  // Records a new token atomically, unless the user already holds
  // `max_tokens` live ones: then kForbidden, naming the limit. With a
  // `guard` that does not hold: Ok, nothing recorded (see WriteGuard).
  Status Add(const std::string& user_id, const StoredToken& token,
             int64_t created_ms,
             int max_tokens = std::numeric_limits<int>::max(),
             WriteGuard* guard = nullptr);

  // The user's live tokens, newest first.
  Status List(const std::string& user_id, std::vector<StoredToken>* tokens);
  // The Redis command List runs, to prefetch it (RedisClient::Prefetch).
  static RedisCommand ListCommand(const std::string& user_id);

  // Deletes the token; `*revoked` is false when there was nothing to
  // delete, or when a `guard` did not hold.
  Status Revoke(const std::string& user_id, const std::string& nonce,
                bool* revoked, WriteGuard* guard = nullptr);

 private:
  // One attempt at Add; `*added` false when the list is full.
  Status TryAdd(const std::string& user_id, const StoredToken& token,
                int64_t created_ms, int max_tokens, WriteGuard* guard,
                bool* added);

  RedisClient* redis_;
};

}  // namespace tokend
