// ClientTokensApi: the caller's access tokens: create (POST and the older
// GET /user/client_token), list, and revoke by value.
//
// Not thread-safe: one per worker.
#pragma once

#include <cstdint>
#include <string>

#include "tokend/auth/authenticator.h"
#include "tokend/common/bounded_cache.h"
#include "tokend/common/config.h"
#include "tokend/http/outcome.h"
#include "tokend/token/token_keys.h"
#include "tokend/store/token_store.h"

namespace tokend {

class ClientTokensApi {
 public:
  ClientTokensApi(const Config& config, const TokenKeys& keys,
                  TokenStore* tokens)
      : config_(config), keys_(keys), tokens_(tokens), minted_(kMaxMinted) {}

  // 200 {"token"} valid for `ttl` seconds. With a `guard` (the caller's
  // deferred token check) that does not hold, nothing is created and the
  // outcome is left for the caller to reject.
  void Create(const Caller& caller, int64_t ttl, WriteGuard* guard,
              Outcome* outcome);
  // 200 {"tokens": [...]}, newest first.
  void List(const Caller& caller, Outcome* outcome);
  // 204; 404 for a token that is not the caller's or not live; 400
  // badValueToken for a path that is not a token at all. `guard` as for
  // Create.
  void Revoke(const Caller& caller, const std::string& raw_parameter,
              WriteGuard* guard, Outcome* outcome);

 private:
  // The serialized token for a stored one. Minting is deterministic, so a
  // worker keeps the strings it made: listing ten tokens on every call
  // then costs no HMAC.
  std::string Serialize(const std::string& user_id, const StoredToken& token);

  static constexpr size_t kMaxMinted = 4096;

  const Config& config_;
  const TokenKeys& keys_;
  TokenStore* tokens_;
  BoundedCache<std::string> minted_;  // "<user>.<nonce>.<expiry>" -> token
};

}  // namespace tokend
