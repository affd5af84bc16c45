// ClientTokensApi: the caller's access tokens: create (POST and the older
// GET /user/client_token), list, and delete by value.
//
// Not thread-safe: one per worker.
#pragma once

#include <cstdint>
#include <string>

#include "tokend/api/call.h"
#include "tokend/common/bounded_cache.h"
#include "tokend/common/config.h"
#include "tokend/http/outcome.h"
#include "tokend/store/redis_client.h"
#include "tokend/store/token_store.h"
#include "tokend/token/token_keys.h"

namespace tokend {

class ClientTokensApi {
 public:
  // `config`, `keys` and `redis` must outlive it.
  ClientTokensApi(const Config& config, const TokenKeys& keys,
                  RedisClient* redis)
      : config_(config), keys_(keys), tokens_(redis), minted_(kMaxMinted) {}

  // POST /user/client_tokens: 200 {"token"} for the options body (empty,
  // {} or {"ttl": N}). With a call.guard that does not hold, nothing is
  // created and the outcome is left for the caller to reject.
  void CreateToken(const Call& call, Outcome* outcome);
  // GET /user/client_token, the older way: the same with the default
  // lifetime, marked deprecated with a link to its successor.
  void CreateTokenLegacy(const Call& call, Outcome* outcome);
  // GET /user/client_tokens: 200 {"tokens": [...]}, newest first.
  void ListTokens(const Call& call, Outcome* outcome);
  // DELETE /user/client_tokens/{token}: 204; 404 for a token that is not
  // the caller's or not live; 400 badValueToken for a path that is not a
  // token at all. call.guard as for CreateToken.
  void DeleteToken(const Call& call, Outcome* outcome);

 private:
  // 200 {"token"} valid for `ttl` seconds.
  void Issue(const Call& call, int64_t ttl, Outcome* outcome);
  // The serialized token for a stored one (valid until the next call).
  // Minting is deterministic, so a worker keeps the strings it made:
  // listing ten tokens on every call then costs no HMAC.
  const std::string& Serialize(const std::string& user_id,
                               const StoredToken& token);

  static constexpr size_t kMaxMinted = 4096;

  const Config& config_;
  const TokenKeys& keys_;
  TokenStore tokens_;
  BoundedCache<std::string> minted_;  // "<user>.<nonce>.<expiry>" -> token
  std::string minted_key_;  // Serialize's key, its buffer kept between calls
};

}  // namespace tokend
