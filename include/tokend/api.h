// Api: the Onezone user-token REST endpoints below /api/v3/onezone. Takes a
// Request value, returns a Response value; never sees libfcgi. Every
// failure, including an unexpected exception, becomes an Onezone JSON error.
//
// Not thread-safe: one per worker (it owns the worker's stores and caches).
#pragma once

#include <string>

#include "tokend/auth.h"
#include "tokend/config.h"
#include "tokend/http.h"
#include "tokend/password_cache.h"
#include "tokend/redis_client.h"
#include "tokend/token_keys.h"
#include "tokend/token_store.h"
#include "tokend/user_store.h"

namespace tokend {

// What a request came to, for the request log.
struct Outcome {
  Response response;
  const char* route = "unknown";  // never contains a token
  std::string user_id;            // empty when not authenticated
  std::string error_detail;       // an internal error's cause, for the log only
};

class Api {
 public:
  // `config` and `keys` must outlive the Api; `redis` too.
  Api(const Config& config, const TokenKeys& keys, RedisClient* redis);

  Outcome Handle(const Request& request);

 private:
  Outcome Dispatch(const Request& request);
  Response CreateToken(const Caller& caller, int64_t ttl);
  Response ListTokens(const Caller& caller);
  Response DeleteToken(const Caller& caller, const std::string& parameter);
  Response DescribeUser(const Caller& caller);
  // Renders `status`; an internal error gets a generic description, and its
  // cause is kept for the log instead of being sent to the client.
  Response Error(const Status& status);


  const Config& config_;
  const TokenKeys& keys_;
  UserStore users_;
  TokenStore tokens_;
  PasswordCache password_cache_;
  Authenticator authenticator_;
  std::string internal_error_;  // the current request's, for the log
};

}  // namespace tokend
