// The access-token endpoints (see client_tokens_api.h).
#include "tokend/api/client_tokens_api.h"

#include <json/json.h>

#include "tokend/api/endpoints.h"
#include "tokend/api/token_options.h"
#include "tokend/common/clock.h"
#include "tokend/common/metrics.h"
#include "tokend/common/text.h"
#include "tokend/token/token_check.h"
#include "tokend/token/token_ref.h"

namespace tokend {

namespace {

// About the size of one listed token in JSON (a seed token is ~230 bytes).
constexpr size_t kListedTokenBytes = 256;

Status BadValueToken(const Status& inner) {
  return Status(Code::kBadValueToken,
                "Bad value: provided \"token\" is not a valid token.")
      .AddDetail("key", "token")
      .AddDetail("tokenError", inner.error_id());
}

}  // namespace

const std::string& ClientTokensApi::Serialize(const std::string& user_id,
                                              const StoredToken& token) {
  std::string& key = minted_key_;
  key.assign(user_id);
  key += '.';
  key += token.nonce;
  key += '.';
  key += std::to_string(token.expires_at);
  if (const std::string* cached = minted_.Find(key)) return *cached;
  return minted_.Put(key, MintAccessToken(keys_, config_.token_location,
                                          {user_id, token.nonce},
                                          token.expires_at));
}

void ClientTokensApi::CreateToken(const Call& call, Outcome* outcome) {
  TokenOptions options;
  Status status =
      ParseTokenOptions(call.request.body, config_.token_max_ttl, &options);
  if (!status.ok()) return outcome->Fail(status);
  Issue(call, options.ttl != 0 ? options.ttl : config_.token_default_ttl,
        outcome);
}

void ClientTokensApi::CreateTokenLegacy(const Call& call, Outcome* outcome) {
  Issue(call, config_.token_default_ttl, outcome);
  outcome->response.AddHeader("Deprecation", "true");
  outcome->response.AddHeader(
      "Link", std::string("<") + kApiBasePath +
                  "/user/client_tokens>; rel=\"successor-version\"");
}

void ClientTokensApi::Issue(const Call& call, int64_t ttl, Outcome* outcome) {
  const Caller& caller = call.caller;
  WriteGuard* guard = call.guard;
  StoredToken token;
  token.nonce = NewTokenNonce();
  if (token.nonce.empty()) {
    return outcome->Fail(Status(Code::kInternal, "random generator failed"));
  }
  token.expires_at = NowSeconds() + ttl;
  // A confined caller's token never outlives the caller's: the record's
  // expiry, so also every later listing of the token, carries that bound.
  if (caller.confined() && caller.expires_at < token.expires_at) {
    token.expires_at = caller.expires_at;
  }
  Status status = tokens_.Add(caller.user_id, token, NowMilliseconds(),
                               config_.max_tokens_per_user, guard);
  if (!status.ok()) return outcome->Fail(status);
  if (guard != nullptr && !guard->held) return;
  Json::Value body(Json::objectValue);
  body["token"] = AppendCaveats(Serialize(caller.user_id, token),
                                caller.added_caveats);
  outcome->Succeed(200, body);
  CountTokenCreated();
  outcome->Audit("event=token.created user=" + caller.user_id + " token=" +
                 AccessIdentifier({caller.user_id, token.nonce}) +
                 " expires=" + std::to_string(token.expires_at));
}

void ClientTokensApi::ListTokens(const Call& call, Outcome* outcome) {
  const Caller& caller = call.caller;
  std::vector<StoredToken> stored;
  Status status = tokens_.List(caller.user_id, &stored);
  if (!status.ok()) return outcome->Fail(status);
  // {"tokens":[...]} written straight into the body, each token once: a
  // Json::Value list, its copy into the body object and the rendering took
  // a third of a worker's instructions on a basic-auth list of ten.
  std::string body;
  body.reserve(16 + stored.size() * kListedTokenBytes);
  body += "{\"tokens\":[";
  for (size_t i = 0; i < stored.size(); ++i) {
    if (i > 0) body += ',';
    const std::string& token = Serialize(caller.user_id, stored[i]);
    if (caller.added_caveats.empty()) {
      AppendJsonQuoted(token, &body);
    } else {
      // A confined caller gets each token confined as its own is.
      AppendJsonQuoted(AppendCaveats(token, caller.added_caveats), &body);
    }
  }
  body += "]}";
  outcome->SucceedWithJsonText(200, std::move(body));
}

void ClientTokensApi::DeleteToken(const Call& call, Outcome* outcome) {
  const Caller& caller = call.caller;
  std::string text;
  if (!PercentDecode(call.parameter, &text)) {
    return outcome->Fail(BadValueToken(
        Status(Code::kBadToken, "The path is not validly percent-encoded.")));
  }
  TokenRef ref;
  Status status =
      CheckIssuedToken(keys_, text, NowSeconds(), CaveatPolicy::kIgnore, &ref);
  if (status.code() == Code::kBadToken) {
    return outcome->Fail(BadValueToken(status));
  }
  // Someone else's token, a forged one, an invitation and an unknown one
  // all look alike.
  Status not_found(Code::kNotFound, "The resource could not be found.");
  if (!status.ok() || ref.kind != TokenKind::kAccess ||
      ref.owner_id != caller.user_id) {
    return outcome->Fail(not_found);
  }
  bool revoked = false;
  status = tokens_.Revoke(caller.user_id, ref.nonce, &revoked, call.guard);
  if (!status.ok()) return outcome->Fail(status);
  if (call.guard != nullptr && !call.guard->held) return;
  if (!revoked) return outcome->Fail(not_found);
  outcome->SucceedEmpty();
  CountTokenRevoked();
  outcome->Audit("event=token.deleted user=" + caller.user_id +
                 " token=" + TokenIdentifier(ref));
}

}  // namespace tokend
