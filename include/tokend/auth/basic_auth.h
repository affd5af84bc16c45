// BasicAuth: authenticates a user name and password against the users in
// Redis. Passwords past the failed-login limits get kTooManyRequests before
// any hashing; an unknown user costs a hash of a decoy of the same strength
// (no user-name oracle); a password any worker verified recently costs no
// hash at all (PasswordCache).
//
// Not thread-safe: one per worker.
#pragma once

#include <cstdint>
#include <string>

#include "tokend/auth/caller.h"
#include "tokend/auth/deferred_check.h"
#include "tokend/auth/hash_budget.h"
#include "tokend/auth/login_limiter.h"
#include "tokend/auth/password_cache.h"
#include "tokend/auth/password_hash.h"
#include "tokend/common/bounded_cache.h"
#include "tokend/common/config.h"
#include "tokend/common/status.h"
#include "tokend/store/user_store.h"

namespace tokend {

// What authentication answers for a wrong name or password.
Status BadBasicCredentials();

class BasicAuth {
 public:
  // The pointers must outlive it.
  BasicAuth(const Config& config, UserStore* users,
            PasswordCache* password_cache, LoginLimiter* login_limiter);

  // A slow password hash runs only while a claim on the pool's hash budget
  // is set (the worker's hashing lane sets one for each request it serves);
  // without one, a request that needs a hash gets kHashingLaneNeeded.
  // Past the claim's deadline it gets 503 with retryAfter. Null: none.
  // `hasher` runs the hashes (null: in this thread).
  void set_hash_claim(HashBudgetClaim* claim, PasswordHasher* hasher) {
    hash_claim_ = claim;
    hasher_ = hasher != nullptr ? hasher : &in_this_thread_;
  }

  // `credentials` is the base64 of "name:password" from the Authorization
  // header; `address` the client's, for the per-address limit. With
  // `deferred`, a password this worker has verified against the user's
  // current hash before is not looked up again: the check is handed over
  // there.
  Status Authenticate(const std::string& credentials,
                      const std::string& address, int64_t now, Caller* caller,
                      const BeforeUserLookup& before_lookup,
                      DeferredCheck* deferred);

 private:
  UserStore* users_;
  PasswordCache* password_cache_;
  LoginLimiter* login_limiter_;
  // A user this worker accepted a password for: the id, and the stored
  // hash the password matched.
  struct KnownUser {
    std::string id;
    std::string password_hash;
  };
  // By user name. With the password cache, what a basic-auth write needs
  // to defer its check (the stored hash is in Redis anyway); otherwise the
  // id saves the lookup of the name (a user's id never changes).
  BoundedCache<KnownUser> known_users_;
  // Rewrites `user`'s stored hash with hash_params_ when it was made
  // otherwise (NeedsRehash), for the password that just matched it.
  void UpgradeHash(const std::string& password, UserRecord* user);

  // New hashes' parameters, and the hash unknown users are checked against
  // (see DecoyPasswordHash).
  PasswordHashParams hash_params_;
  std::string decoy_hash_;
  HashBudgetClaim* hash_claim_ = nullptr;
  PasswordHasher in_this_thread_;
  PasswordHasher* hasher_ = &in_this_thread_;
};

}  // namespace tokend
