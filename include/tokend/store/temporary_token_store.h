// TemporaryTokenStore: the one value temporary tokens have in Redis, each
// user's generation (store_keys.h). A temporary token carries the
// generation it was minted in; deleting a user's temporary tokens moves the
// generation on, which revokes all of them at once. So nothing in Redis
// grows with the number of temporary tokens.
//
// Not thread-safe (uses the worker's RedisClient).
#pragma once

#include <cstdint>
#include <string>

#include "tokend/common/status.h"
#include "tokend/store/redis_client.h"
#include "tokend/store/user_store.h"

namespace tokend {

class TemporaryTokenStore {
 public:
  explicit TemporaryTokenStore(RedisClient* redis) : redis_(redis) {}

  // The user's current generation (0 before the first revocation).
  Status Generation(const std::string& user_id, int64_t* generation);
  // Revokes every temporary token of the user: the generation moves on.
  Status RevokeAll(const std::string& user_id, int64_t* new_generation);
  // For authentication, in one round trip: the user record and the
  // current generation. `*found` false when the user is gone.
  Status FindTokenOwner(const std::string& user_id, UserRecord* user,
                        bool* found, int64_t* generation);

 private:
  RedisClient* redis_;
};

}  // namespace tokend
