// TemporaryTokensApi: the caller's temporary tokens (Onezone 20.02):
// create one (a `time` caveat at most max_temporary_token_ttl ahead is
// required), read the generation, and revoke them all at once. Nothing is
// stored per token (store/temporary_token_store.h).
//
// Not thread-safe: one per worker.
#pragma once

#include "tokend/api/call.h"
#include "tokend/common/config.h"
#include "tokend/http/outcome.h"
#include "tokend/store/redis_client.h"
#include "tokend/store/space_store.h"
#include "tokend/store/temporary_token_store.h"
#include "tokend/token/token_keys.h"

namespace tokend {

class TemporaryTokensApi {
 public:
  // `config`, `keys` and `redis` must outlive it.
  TemporaryTokensApi(const Config& config, const TokenKeys& keys,
                     RedisClient* redis)
      : config_(config), keys_(keys), temporary_tokens_(redis),
        spaces_(redis) {}

  // POST /user/tokens/temporary: 201 {"token"}. A confined caller's token
  // carries the caller's caveats too. An invitation (type inviteToken,
  // issue 14) has no usage limit; only the space's owner creates one.
  void CreateTemporaryToken(const Call& call, Outcome* outcome);
  // GET /user/tokens/temporary: {"generation": n}.
  void GetTemporaryTokenGeneration(const Call& call, Outcome* outcome);
  // DELETE /user/tokens/temporary: 204, every temporary token revoked.
  void RevokeTemporaryTokens(const Call& call, Outcome* outcome);

 private:
  const Config& config_;
  const TokenKeys& keys_;
  TemporaryTokenStore temporary_tokens_;
  SpaceStore spaces_;
};

}  // namespace tokend
