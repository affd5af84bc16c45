// Temporary tokens (see temporary_tokens_api.h).
#include "tokend/api/temporary_tokens_api.h"

#include <json/json.h>

#include "tokend/api/caveats_json.h"
#include "tokend/api/token_type_json.h"
#include "tokend/common/clock.h"
#include "tokend/http/json_body.h"
#include "tokend/token/token_ref.h"

namespace tokend {

void TemporaryTokensApi::CreateTemporaryToken(const Call& call,
                                              Outcome* outcome) {
  const Caller& caller = call.caller;
  Json::Value body;
  Status status = ParseJsonObject(call.request.body, /*allow_empty=*/true, &body);
  if (status.ok()) status = RejectUnknownKeys(body, {"type", "caveats"});
  // Its id is drawn once its caveats are known (NewTemporaryTokenId).
  TokenRef ref{TokenKind::kTemporary, caller.user_id, ""};
  if (status.ok() && body.isMember("type")) {
    status = ReadAnyTokenTypeJson(body["type"], &ref);
  }
  const int64_t now = NowSeconds();
  std::vector<std::string> caveats;
  if (status.ok() && body.isMember("caveats")) {
    status = ParseCaveatsJson(body["caveats"], now, &caveats,
                              ref.invitation() ? CaveatUse::kInvitation
                                               : CaveatUse::kAccessOrIdentity);
  }
  // A temporary token cannot be revoked alone: its own time caveat bounds
  // it, so one is required (the caller's confinement does not count).
  const int64_t deadline = EarliestTimeCaveat(caveats);
  if (status.ok() &&
      (deadline == 0 || deadline > now + config_.max_temporary_token_ttl)) {
    status = Status(Code::kTokenTimeCaveatRequired,
                    "A temporary token needs a time caveat at most " +
                        std::to_string(config_.max_temporary_token_ttl) +
                        " s ahead.")
                 .AddNumberDetail("maxTtl", config_.max_temporary_token_ttl);
  }
  if (status.ok() && ref.invitation()) {
    status = spaces_.CheckInviter(ref.invite_space_id, caller.user_id);
  }
  if (status.ok()) {
    status = temporary_tokens_.Generation(caller.user_id, &ref.generation);
  }
  if (!status.ok()) return outcome->Fail(status);
  // Minted with its own caveats (see NewTemporaryTokenId); a confined
  // caller's follow them and count as appended, so the new token is
  // confined as its caller is.
  ref.nonce = NewTemporaryTokenId(caveats.size());
  caveats.insert(caveats.end(), caller.added_caveats.begin(),
                 caller.added_caveats.end());
  if (ref.nonce.empty()) {
    return outcome->Fail(Status(Code::kInternal, "random generator failed"));
  }
  Json::Value json(Json::objectValue);
  json["token"] =
      MintTokenWithCaveats(keys_, config_.token_location, ref, caveats);
  outcome->Succeed(201, json);
  outcome->Audit("event=temporary_token.created user=" + caller.user_id +
                 " token=" + TokenIdentifier(ref) +
                 " expires=" + std::to_string(EarliestTimeCaveat(caveats)));
}

void TemporaryTokensApi::GetTemporaryTokenGeneration(const Call& call,
                                                     Outcome* outcome) {
  int64_t generation = 0;
  Status status =
      temporary_tokens_.Generation(call.caller.user_id, &generation);
  if (!status.ok()) return outcome->Fail(status);
  Json::Value json(Json::objectValue);
  json["generation"] = Json::Int64(generation);
  outcome->Succeed(200, json);
}

void TemporaryTokensApi::RevokeTemporaryTokens(const Call& call,
                                               Outcome* outcome) {
  int64_t generation = 0;
  Status status = temporary_tokens_.RevokeAll(call.caller.user_id, &generation);
  if (!status.ok()) return outcome->Fail(status);
  outcome->SucceedEmpty();
  outcome->Audit("event=temporary_tokens.revoked user=" + call.caller.user_id +
                 " generation=" + std::to_string(generation));
}

}  // namespace tokend
