// TokenAuth: authenticates a token. A token is accepted when it parses, its
// signature matches, every caveat holds (including caveats the client
// appended), it is an access token, and its record and its user are still
// in Redis (not deleted, not expired). Failures are kUnauthorized with the
// inner reason (badToken, tokenInvalid, tokenCaveatUnverified, ...).
//
// Not thread-safe: one per worker.
#pragma once

#include <cstdint>
#include <string>

#include "tokend/auth/caller.h"
#include "tokend/auth/deferred_check.h"
#include "tokend/common/bounded_cache.h"
#include "tokend/common/status.h"
#include "tokend/store/user_store.h"
#include "tokend/token/token_keys.h"
#include "tokend/token/token_ref.h"

namespace tokend {

// What authentication answers for a revoked or unknown token.
Status RevokedToken();

class TokenAuth {
 public:
  // `keys` and `users` must outlive it.
  TokenAuth(const TokenKeys* keys, UserStore* users);

  // `token_identifier` gets the token's identifier whenever it could be
  // read (for the audit log), accepted or not. With `deferred`, the Redis
  // check is not made but handed over there, and the caller's name is left
  // empty.
  Status Authenticate(const std::string& text, int64_t now, Caller* caller,
                      std::string* token_identifier,
                      const BeforeUserLookup& before_lookup,
                      DeferredCheck* deferred);

 private:
  const TokenKeys* keys_;
  UserStore* users_;
  // Tokens whose signature and caveats this worker verified, with the
  // earliest time caveat: a client that sends the same token on every call
  // skips the HMAC chain until then. Revocation is still checked in Redis
  // on every request.
  struct VerifiedToken {
    TokenRef ref;
    int64_t expires_at;
  };
  BoundedCache<VerifiedToken> verified_tokens_;
};

}  // namespace tokend
