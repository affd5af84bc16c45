// Authenticator: who is calling. Reads the request's credentials
// (credentials.h) and hands a token to TokenAuth, a user name and password
// to BasicAuth. No credentials at all is kUnauthorized without an inner
// reason; an Authorization header of another scheme likewise, saying so.
//
// Not thread-safe: one per worker.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "tokend/auth/basic_auth.h"
#include "tokend/auth/caller.h"
#include "tokend/auth/deferred_check.h"
#include "tokend/auth/login_limiter.h"
#include "tokend/auth/password_cache.h"
#include "tokend/auth/token_auth.h"
#include "tokend/common/config.h"
#include "tokend/common/status.h"
#include "tokend/http/request.h"
#include "tokend/store/user_store.h"
#include "tokend/token/token_keys.h"

namespace tokend {

class Authenticator {
 public:
  // The pointers must outlive it.
  Authenticator(const Config& config, const TokenKeys* keys, UserStore* users,
                SuccessorTokenStores successor_stores,
                PasswordCache* password_cache,
                LoginLimiter* login_limiter);

  // `token_identifier` gets the identifier of a presented token whenever it
  // could be read (for the audit log), accepted or not. With `deferred`, a
  // token's Redis check is not made but handed over there, and so is basic
  // auth's when this worker has verified that password against the user's
  // hash before (see deferred_check.h). A token's caveats are checked
  // against the request: its client address, the REST interface and
  // `operation` ("ozw/GET/user/tokens/named", the path as routed, for
  // `api` caveats, built only for a token that has caveats about the
  // request), with the identities its x-onedata-service-token and
  // x-onedata-consumer-token headers prove.
  Status Authenticate(const Request& request, int64_t now,
                      const std::function<std::string()>& operation,
                      Caller* caller,
                      std::string* token_identifier,
                      const BeforeUserLookup& before_lookup = nullptr,
                      DeferredCheck* deferred = nullptr);

  // See TokenAuth::VerifyFor.
  Status VerifyToken(TokenPurpose purpose, const std::string& text,
                     const TokenUse& use, Caller* caller, int64_t* expires_at) {
    return token_auth_.VerifyFor(purpose, text, use, caller, expires_at);
  }

  // See BasicAuth::set_hash_claim.
  void set_hash_claim(HashBudgetClaim* claim, PasswordHasher* hasher) {
    basic_auth_.set_hash_claim(claim, hasher);
  }

 private:
  TokenAuth token_auth_;
  BasicAuth basic_auth_;
};

}  // namespace tokend
