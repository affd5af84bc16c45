// ServiceTokensApi: what a service that receives a token asks about it
// (Onezone 20.02): examine a token (what it says, signature unchecked),
// confine it (append caveats; no secret needed), and verify it as an
// access, identity or invite token for a request the service itself
// received (its client's address, the interface, the service and consumer
// tokens). No authentication of their own; a failed verification answers
// 400 with the token error's id.
//
// These are the hot path of every service that trusts this one: bodies are
// bounded (kMaxBodyBytes), verification shares TokenAuth's cache of
// verified tokens, and no password is ever hashed here.
//
// Not thread-safe: one per worker.
#pragma once

#include "tokend/api/call.h"
#include "tokend/auth/token_auth.h"
#include "tokend/http/outcome.h"
#include "tokend/store/named_token_store.h"
#include "tokend/store/redis_client.h"
#include "tokend/store/space_store.h"
#include "tokend/store/temporary_token_store.h"
#include "tokend/store/user_store.h"
#include "tokend/token/token_keys.h"

namespace tokend {

class ServiceTokensApi {
 public:
  // `keys` and `redis` must outlive it.
  ServiceTokensApi(const TokenKeys& keys, RedisClient* redis);

  // POST /tokens/examine {"token"}: 200 {"onezoneDomain", "id",
  // "persistence", "subject", "type", "caveats"}.
  void ExamineToken(const Call& call, Outcome* outcome);
  // POST /tokens/confine {"token", "caveats"}: 200 {"token"}, the token with
  // the caveats appended.
  void ConfineToken(const Call& call, Outcome* outcome);
  // POST /tokens/verify_access_token {"token", "peerIp", "interface",
  // "serviceToken", "consumerToken", "allowDataAccessCaveats"}:
  // 200 {"subject", "ttl"}.
  void VerifyAccessToken(const Call& call, Outcome* outcome);
  // POST /tokens/verify_identity_token {"token", "peerIp", "interface",
  // "consumerToken"}: 200 {"subject", "ttl"}.
  void VerifyIdentityToken(const Call& call, Outcome* outcome);
  // POST /tokens/verify_invite_token {"token", "expectedInviteType",
  // "peerIp", "consumerToken"}: 200 {"subject", "ttl"}; the subject of a
  // seed invitation is {"type": "nobody"}. A named invitation that has
  // admitted its usageLimit is inviteTokenUsageLimitReached.
  void VerifyInviteToken(const Call& call, Outcome* outcome);

 private:
  void Verify(const Call& call, TokenPurpose purpose, Outcome* outcome);
  // What a verified invitation still needs: a seed one pending, a named one
  // under its usage limit.
  Status CheckInvitationUsable(const TokenRef& ref);

  UserStore users_;
  NamedTokenStore named_tokens_;
  TemporaryTokenStore temporary_tokens_;
  SpaceStore spaces_;
  TokenAuth token_auth_;
};

}  // namespace tokend
