// Authenticator: who is calling. A token is taken from X-Auth-Token, then
// "Authorization: Bearer", then Macaroon (Onezone 19.02+ precedence); without
// one, basic auth against the users in Redis.
//
// A token is accepted when it parses, its signature matches, its record is
// still in Redis (not deleted, not expired) and every caveat holds,
// including caveats the client appended. Failures are kUnauthorized with
// the inner reason (badToken, tokenInvalid, tokenCaveatUnverified, ...);
// no credentials at all is kUnauthorized without one. Basic auth past the
// failed-login limits is kTooManyRequests, checked before any hashing.
//
// Not thread-safe: one per worker.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "tokend/token/token_ref.h"
#include "tokend/common/bounded_cache.h"
#include "tokend/common/config.h"
#include "tokend/http/request.h"
#include "tokend/auth/login_limiter.h"
#include "tokend/auth/password_cache.h"
#include "tokend/common/status.h"
#include "tokend/token/token_keys.h"
#include "tokend/store/token_store.h"
#include "tokend/store/user_store.h"

namespace tokend {

struct Caller {
  std::string user_id;
  std::string name;
};

class Authenticator {
 public:
  Authenticator(const Config& config, const TokenKeys* keys, UserStore* users,
                PasswordCache* password_cache, LoginLimiter* login_limiter);

  // Called with the id of the user the credentials name, just before that
  // user is looked up in Redis: a request that will need more of the
  // user's data queues it there (RedisClient::Prefetch) to share the
  // lookup's round trip.
  using BeforeUserLookup = std::function<void(const std::string& user_id)>;

  // A caller whose last check is left to the request's one write, which
  // makes it atomically (GuardFor). Saves a round trip that would wait
  // behind other requests' fsyncs. For a token: that the token and its user
  // still exist in Redis. For basic auth (a password this worker verified
  // before): that the user still has the password hash it was verified
  // against; when not, the caller must be checked again in full, because
  // the password may be right for the new hash too.
  struct DeferredCheck {
    bool pending = false;
    std::string user_id;
    std::string nonce;          // token only
    std::string name;           // basic auth only
    std::string password_hash;  // basic auth only
  };

  // `token_identifier` gets the identifier of a presented token whenever it
  // could be read (for the audit log), accepted or not. With `deferred`, a
  // token's Redis check is not made but handed over there (the caller's
  // name is then left empty), and so is basic auth's when this worker has
  // verified that password against the user's hash before; other basic
  // credentials are checked in full.
  Status Authenticate(const Request& request, int64_t now, Caller* caller,
                      std::string* token_identifier,
                      const BeforeUserLookup& before_lookup = nullptr,
                      DeferredCheck* deferred = nullptr);

  // The write's guard that makes the deferred check: the token's keys that
  // must exist, or the user record whose name and password hash must be
  // unchanged.
  static WriteGuard GuardFor(const DeferredCheck& deferred);
  // The deferred check made on its own, for a request that ended before
  // its write: Ok while the token is live (or the user's password hash
  // unchanged), else what Authenticate answers for a revoked token (or
  // wrong basic credentials).
  Status CheckDeferred(const DeferredCheck& deferred);
  // What Authenticate answers for a revoked or unknown token.
  static Status RevokedToken();

 private:
  Status AuthenticateToken(const std::string& text, int64_t now, Caller* caller,
                           std::string* token_identifier,
                           const BeforeUserLookup& before_lookup,
                           DeferredCheck* deferred);
  Status AuthenticateBasic(const std::string& credentials,
                           const std::string& address, int64_t now,
                           Caller* caller, const BeforeUserLookup& before_lookup,
                           DeferredCheck* deferred);

  const TokenKeys* keys_;
  UserStore* users_;
  PasswordCache* password_cache_;
  LoginLimiter* login_limiter_;
  // Tokens whose signature and caveats this worker verified, with the
  // earliest time caveat: a client that sends the same token on every call
  // skips the HMAC chain until then. Revocation is still checked in Redis
  // on every request.
  struct VerifiedToken {
    TokenRef ref;
    int64_t expires_at;
  };
  BoundedCache<VerifiedToken> verified_tokens_;
  // By user name, the stored password hash this worker last accepted a
  // password against: with the password cache, what a basic-auth write
  // needs to defer its check (the stored hash is in Redis anyway).
  BoundedCache<std::string> password_hashes_;
  // Checked for unknown users (see DecoyPasswordHash).
  std::string decoy_hash_;
};

}  // namespace tokend
