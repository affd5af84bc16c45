// Api: the REST endpoints. Takes a Request value, returns an Outcome
// (response plus what the log needs); never sees libfcgi. Routing, 404, 405
// and 413, authentication and the catch-all for the unexpected are here;
// the endpoints are the rows of endpoints.h, and their handlers are the
// members of the endpoint classes Api derives from, one class per concern.
//
// Not thread-safe: one per worker (it owns the worker's stores and caches).
#pragma once

#include "tokend/api/call.h"
#include "tokend/api/client_tokens_api.h"
#include "tokend/api/endpoints.h"
#include "tokend/api/named_token_uses.h"
#include "tokend/api/named_tokens_api.h"
#include "tokend/api/operations_api.h"
#include "tokend/api/service_tokens_api.h"
#include "tokend/api/spaces_api.h"
#include "tokend/api/temporary_tokens_api.h"
#include "tokend/api/user_api.h"
#include "tokend/auth/authenticator.h"
#include "tokend/auth/login_limiter.h"
#include "tokend/auth/password_cache.h"
#include "tokend/common/config.h"
#include "tokend/http/outcome.h"
#include "tokend/http/request.h"
#include "tokend/store/redis_client.h"
#include "tokend/store/user_store.h"
#include "tokend/token/token_keys.h"

namespace tokend {

class Api : public UserApi,
            public ClientTokensApi,
            public NamedTokensApi,
            public TemporaryTokensApi,
            public SpacesApi,
            public ServiceTokensApi,
            public OperationsApi {
 public:
  // `config`, `keys` and `redis` must outlive the Api.
  Api(const Config& config, const TokenKeys& keys, RedisClient* redis);

  // Serves `request`. Without a `hash_claim` (a worker's connection loop),
  // a request that needs a slow password hash is not served: its outcome
  // says needs_hashing_lane, and the worker's hashing lane serves it again
  // with a claim on the pool's hash budget, and its `hasher`.
  Outcome Handle(const Request& request, HashBudgetClaim* hash_claim = nullptr,
                 PasswordHasher* hasher = nullptr);

  // Writes the named-token uses this worker noted to Redis (the worker's
  // timer calls it every named_token_use_flush_seconds, and once more when
  // the worker stops). A Redis error drops the batch: lastUsed is a hint.
  void FlushNamedTokenUses();

 private:
  Outcome Dispatch(const Request& request);
  // Authenticates the caller of `endpoint` and serves `call`; `blank` is
  // the outcome the request starts from.
  Outcome AuthenticateAndServe(const Endpoint& endpoint, Call call,
                               const Outcome& blank);
  // Fails `outcome` with an authentication error, counted and audited.
  void RejectCaller(const Status& status, const std::string& token_identifier,
                    Outcome* outcome);

  RedisClient* redis_;
  UserStore users_;
  NamedTokenStore named_tokens_for_auth_;
  TemporaryTokenStore temporary_tokens_for_auth_;
  NamedTokenUses named_token_uses_;
  PasswordCache password_cache_;
  LoginLimiter login_limiter_;
  Authenticator authenticator_;
};

}  // namespace tokend
