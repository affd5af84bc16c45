// Token and basic authentication (see authenticator.h).
#include "tokend/auth/authenticator.h"

#include <cctype>

#include "tokend/token/base64.h"
#include "tokend/common/crypto.h"
#include "tokend/common/limits.h"
#include "tokend/auth/password_hash.h"
#include "tokend/store/store_keys.h"
#include "tokend/token/token_check.h"

namespace tokend {

namespace {

// Verified tokens one worker remembers (about 0.5 KiB each).
constexpr size_t kMaxVerifiedTokens = 4096;
// Users whose password hash one worker remembers (about 0.2 KiB each).
constexpr size_t kMaxPasswordHashes = 4096;

Status BadBasicCredentials() {
  return Status::Unauthorized(
      Status(Code::kBadBasicCredentials, "Invalid username or password."));
}

Status RevokedOrUnknown() {
  return Status(Code::kTokenInvalid, "Provided token is not valid.");
}

// "Bearer abc" -> "abc" when `header` starts with `scheme` (any case); a
// bare "Bearer" gives "" (an empty, hence bad, token).
bool StripScheme(const std::string& header, const std::string& scheme,
                 std::string* rest) {
  if (header.size() < scheme.size()) return false;
  if (header.size() > scheme.size() && header[scheme.size()] != ' ') return false;
  for (size_t i = 0; i < scheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != scheme[i]) {
      return false;
    }
  }
  *rest = header.size() > scheme.size() ? header.substr(scheme.size() + 1) : "";
  return true;
}

}  // namespace

Authenticator::Authenticator(const Config& config, const TokenKeys* keys,
                             UserStore* users, PasswordCache* password_cache,
                             LoginLimiter* login_limiter)
    : keys_(keys),
      users_(users),
      password_cache_(password_cache),
      login_limiter_(login_limiter),
      verified_tokens_(kMaxVerifiedTokens),
      password_hashes_(kMaxPasswordHashes),
      decoy_hash_(DecoyPasswordHash(config.password_iterations)) {}

Status Authenticator::Authenticate(const Request& request, int64_t now,
                                   Caller* caller,
                                   std::string* token_identifier,
                                   const BeforeUserLookup& before_lookup,
                                   DeferredCheck* deferred) {
  token_identifier->clear();
  const std::string* authorization = request.Header("authorization");
  std::string value;
  if (const std::string* token = request.Header("x-auth-token")) {
    return AuthenticateToken(*token, now, caller, token_identifier,
                             before_lookup, deferred);
  }
  if (authorization != nullptr && StripScheme(*authorization, "bearer", &value)) {
    return AuthenticateToken(value, now, caller, token_identifier,
                             before_lookup, deferred);
  }
  if (const std::string* token = request.Header("macaroon")) {
    return AuthenticateToken(*token, now, caller, token_identifier,
                             before_lookup, deferred);
  }
  if (authorization != nullptr && StripScheme(*authorization, "basic", &value)) {
    return AuthenticateBasic(value, request.remote_addr, now, caller,
                             before_lookup, deferred);
  }
  if (authorization != nullptr) {
    return Status(Code::kUnauthorized,
                  "Authentication error: unsupported Authorization scheme; "
                  "use Basic, Bearer or X-Auth-Token.");
  }
  return Status(Code::kUnauthorized,
                "Authentication error: no credentials were provided.");
}

Status Authenticator::AuthenticateToken(const std::string& text, int64_t now,
                                        Caller* caller,
                                        std::string* token_identifier,
                                        const BeforeUserLookup& before_lookup,
                                        DeferredCheck* deferred) {
  TokenRef ref;
  Status status;
  const VerifiedToken* verified = verified_tokens_.Find(text);
  if (verified != nullptr && now < verified->expires_at) {
    ref = verified->ref;
  } else {
    int64_t expires_at = 0;
    status = CheckIssuedToken(*keys_, text, now, CaveatPolicy::kEnforce, &ref,
                              &expires_at);
    if (status.ok()) verified_tokens_.Put(text, {ref, expires_at});
  }
  if (!ref.owner_id.empty()) *token_identifier = TokenIdentifier(ref);
  if (!status.ok()) return Status::Unauthorized(status);
  if (ref.kind != TokenKind::kAccess) {
    return Status::Unauthorized(
        Status(Code::kBadValueToken,
               "An invitation token cannot authenticate a request; use an "
               "access token.")
            .AddDetail("tokenError", "notAnAccessToken"));
  }
  if (deferred != nullptr) {
    *deferred = DeferredCheck{true, ref.owner_id, ref.nonce, "", ""};
    *caller = Caller{ref.owner_id, ""};
    return Status::Ok();
  }
  UserRecord user;
  bool found = false;
  if (before_lookup) before_lookup(ref.owner_id);
  status = users_->FindTokenOwner(ref.owner_id, ref.nonce, &user, &found);
  if (!status.ok()) return status;
  if (!found) return RevokedToken();
  *caller = Caller{user.id, user.name};
  return Status::Ok();
}

WriteGuard Authenticator::GuardFor(const DeferredCheck& deferred) {
  WriteGuard guard;
  if (!deferred.password_hash.empty()) {
    guard.keys = {UserKey(deferred.user_id)};
    guard.user_fingerprint =
        UserFingerprint(deferred.name, deferred.password_hash);
    return guard;
  }
  // What FindTokenOwner looks at: the token's record and its user.
  guard.keys = {TokenRecordKey(deferred.user_id, deferred.nonce),
                UserKey(deferred.user_id)};
  return guard;
}

Status Authenticator::CheckDeferred(const DeferredCheck& deferred) {
  UserRecord user;
  bool found = false;
  if (!deferred.password_hash.empty()) {
    Status status = users_->FindByName(deferred.name, &user, &found);
    if (!status.ok()) return status;
    return found && user.password_hash == deferred.password_hash
               ? Status::Ok()
               : BadBasicCredentials();
  }
  Status status =
      users_->FindTokenOwner(deferred.user_id, deferred.nonce, &user, &found);
  if (!status.ok()) return status;
  return found ? Status::Ok() : RevokedToken();
}

Status Authenticator::RevokedToken() {
  return Status::Unauthorized(RevokedOrUnknown());
}

Status Authenticator::AuthenticateBasic(const std::string& credentials,
                                        const std::string& address,
                                        int64_t now, Caller* caller,
                                        const BeforeUserLookup& before_lookup,
                                        DeferredCheck* deferred) {
  std::string decoded;
  if (credentials.size() > kMaxHeaderBytes ||
      !Base64DecodeLenient(credentials, &decoded)) {
    return BadBasicCredentials();
  }
  size_t colon = decoded.find(':');
  if (colon == std::string::npos || colon == 0 || colon > kMaxUserNameBytes ||
      decoded.size() - colon - 1 > kMaxPasswordBytes) {
    Wipe(&decoded);
    return BadBasicCredentials();
  }
  std::string name = decoded.substr(0, colon);
  std::string password = decoded.substr(colon + 1);
  Wipe(&decoded);

  std::string user_id = UserIdForName(name);
  const std::string* known_hash = password_hashes_.Find(name);
  if (deferred != nullptr && known_hash != nullptr &&
      password_cache_->Contains(name, password, *known_hash, now)) {
    // Verified against this hash before: the write checks that the user
    // still has it (GuardFor) instead of a lookup first.
    Wipe(&password);
    *deferred = DeferredCheck{true, user_id, "", name, *known_hash};
    *caller = Caller{user_id, name};
    return Status::Ok();
  }
  UserRecord user;
  bool found = false;
  if (before_lookup) before_lookup(user_id);
  Status status = users_->FindByName(name, &user, &found);
  if (status.ok() && known_hash != nullptr &&
      (!found || *known_hash != user.password_hash)) {
    // A new password or a deleted user: the hash this worker knew is no
    // use any more (a deferred write would only fail its guard).
    password_hashes_.Erase(name);
    known_hash = nullptr;
  }
  bool verified = status.ok() && found &&
                  password_cache_->Contains(name, password, user.password_hash,
                                            now);
  // The limits guard the slow hash: a password this worker has already
  // verified costs nothing to accept, so it skips them (and a correct
  // password is never slowed by someone else's guessing).
  if (status.ok() && !verified) status = login_limiter_->Check(user_id, address);
  if (!status.ok()) {
    Wipe(&password);
    return status;
  }
  if (verified) {
    // Remembered above.
  } else if (!found) {
    VerifyPassword(password, decoy_hash_);  // same cost as a real user
  } else if (password_cache_->AwaitOrClaim(name, password, user.password_hash,
                                           now)) {
    verified = true;  // another worker's hash of it just succeeded
  } else if (VerifyPassword(password, user.password_hash)) {
    password_cache_->Remember(name, password, user.password_hash, now);
    verified = true;
  } else {
    password_cache_->Release(name, password, user.password_hash);
  }
  Wipe(&password);
  if (!verified) {
    login_limiter_->RecordFailure(user_id, address);
    return BadBasicCredentials();
  }
  if (known_hash == nullptr || *known_hash != user.password_hash) {
    password_hashes_.Put(name, user.password_hash);
  }
  *caller = Caller{user.id, user.name};
  return Status::Ok();
}

}  // namespace tokend
