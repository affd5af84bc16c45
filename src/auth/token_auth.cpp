// Token authentication (see token_auth.h).
#include "tokend/auth/token_auth.h"

#include "tokend/token/token_check.h"

namespace tokend {

namespace {

// Verified tokens one worker remembers (about 0.5 KiB each).
constexpr size_t kMaxVerifiedTokens = 4096;

}  // namespace

Status RevokedToken() {
  return Status::Unauthorized(
      Status(Code::kTokenInvalid, "Provided token is not valid."));
}

TokenAuth::TokenAuth(const TokenKeys* keys, UserStore* users)
    : keys_(keys), users_(users), verified_tokens_(kMaxVerifiedTokens) {}

Status TokenAuth::Authenticate(const std::string& text, int64_t now,
                               Caller* caller, std::string* token_identifier,
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

}  // namespace tokend
