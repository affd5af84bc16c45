// Api: the REST endpoints below /api/v3/onezone. Takes a Request value,
// returns an Outcome (response plus what the log needs); never sees
// libfcgi. Routing, 404/405/413, authentication and the catch-all for the
// unexpected are here; the endpoints themselves are in ClientTokensApi and
// SpacesApi.
//
// Not thread-safe: one per worker (it owns the worker's stores and caches).
#pragma once

#include "tokend/auth/authenticator.h"
#include "tokend/api/client_tokens_api.h"
#include "tokend/common/config.h"
#include "tokend/http/request.h"
#include "tokend/http/outcome.h"
#include "tokend/auth/password_cache.h"
#include "tokend/store/redis_client.h"
#include "tokend/http/router.h"
#include "tokend/store/space_store.h"
#include "tokend/api/spaces_api.h"
#include "tokend/token/token_keys.h"
#include "tokend/store/token_store.h"
#include "tokend/store/user_store.h"

namespace tokend {

class Api {
 public:
  // `config`, `keys` and `redis` must outlive the Api.
  Api(const Config& config, const TokenKeys& keys, RedisClient* redis);

  Outcome Handle(const Request& request);

 private:
  Outcome Dispatch(const Request& request);
  // Authenticates the caller and serves `match`, answering in `outcome`
  // (which names the request); `may_defer` lets a token write make the
  // caller's last check (Authenticator::DeferredCheck).
  Outcome AuthenticateAndServe(const RouteMatch& match, const Request& request,
                               Outcome outcome, bool may_defer);
  // The authenticated endpoint `match` names; `guard` (or null) goes to the
  // token write that makes the caller's deferred token check.
  void Serve(const RouteMatch& match, const Request& request,
             const Caller& caller, WriteGuard* guard, Outcome* outcome);
  // Fails `outcome` with an authentication error, counted and audited.
  void RejectCaller(const Status& status, const std::string& token_identifier,
                    Outcome* outcome);

  // GET /health: 200 when Redis answers, else 503; no authentication.
  void CheckHealth(Outcome* outcome);

  const Config& config_;
  RedisClient* redis_;
  UserStore users_;
  TokenStore tokens_;
  SpaceStore spaces_;
  PasswordCache password_cache_;
  LoginLimiter login_limiter_;
  Authenticator authenticator_;
  ClientTokensApi client_tokens_;
  SpacesApi spaces_api_;
};

}  // namespace tokend
