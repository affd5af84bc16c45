// Named tokens (see named_tokens_api.h).
#include "tokend/api/named_tokens_api.h"

#include <json/json.h>

#include "tokend/api/caveats_json.h"
#include "tokend/api/endpoints.h"
#include "tokend/api/invitation_json.h"
#include "tokend/api/token_name.h"
#include "tokend/api/token_type_json.h"
#include "tokend/common/clock.h"
#include "tokend/common/text.h"
#include "tokend/http/json_body.h"
#include "tokend/http/json_response.h"
#include "tokend/http/request.h"
#include "tokend/token/token_ref.h"

namespace tokend {

namespace {

Status TokenNotFound() {
  return Status(Code::kNotFound, "The token could not be found.");
}

Status NameOccupied() {
  return Status(Code::kBadValueIdentifierOccupied,
                "Bad value: provided \"name\" is already taken by another of "
                "your tokens.")
      .AddDetail("key", "name");
}

Status ReadBoolean(const Json::Value& object, const char* key, bool* value) {
  const Json::Value& json = object[key];
  if (!json.isBool()) {
    return Status(Code::kBadValueBoolean, std::string("Bad value: provided \"") +
                                              key + "\" must be a boolean.")
        .AddDetail("key", key);
  }
  *value = json.asBool();
  return Status::Ok();
}

TokenRef RefOf(const std::string& user_id, const NamedTokenRecord& record) {
  TokenRef ref{TokenKind::kNamed, user_id, record.id};
  ref.identity = record.type == NamedTokenType::kIdentity;
  if (record.type == NamedTokenType::kInvite) {
    ref.invite_space_id = record.invite_space_id;
  }
  return ref;
}

// The "expiring_within" of a query string: -1 when absent. Names and
// values are percent-decoded (?expiring_within=%31%30 is 10), as a client's
// URL library may encode them.
Status ReadExpiringWithin(const std::string& query, int64_t* seconds) {
  *seconds = -1;
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    const std::string pair = query.substr(start, end - start);
    start = end + 1;
    const size_t equals = pair.find('=');
    std::string name;
    if (!PercentDecode(pair.substr(0, equals), &name) ||
        name != "expiring_within") {
      continue;  // another parameter: not this endpoint's
    }
    std::string text;
    int64_t value = 0;
    if (equals == std::string::npos ||
        !PercentDecode(pair.substr(equals + 1), &text) ||
        !ParseDecimal(text, &value) || value < 0) {
      return Status(Code::kBadValueInteger,
                    "Bad value: provided \"expiring_within\" must be a "
                    "whole number of seconds.")
          .AddDetail("key", "expiring_within");
    }
    *seconds = value;
  }
  return Status::Ok();
}

}  // namespace

Status NamedTokensApi::ReadCustomMetadata(
    const Json::Value& value, const std::string& parsed_text,
    const std::vector<size_t>& replaced_numbers, std::string* text) const {
  if (!value.isObject()) {
    return Status(Code::kBadValueJSON,
                  "Bad value: provided \"customMetadata\" must be a JSON "
                  "object.")
        .AddDetail("key", "customMetadata");
  }
  // Kept as JSON text and shown again as given: a number it could only
  // keep rounded (an integer beyond 64 bits, a number beyond a double's
  // range) is refused rather than changed.
  if (!NumbersHeldAsGiven(value, parsed_text, replaced_numbers)) {
    return Status(Code::kBadValueJSON,
                  "Bad value: provided \"customMetadata\" may hold integers "
                  "of at most 64 bits and numbers within a double's range.")
        .AddDetail("key", "customMetadata");
  }
  *text = value.empty() ? "" : ToJson(value);
  if (text->size() > static_cast<size_t>(config_.max_custom_metadata_bytes)) {
    return Status(Code::kBadValueJSON,
                  "Bad value: provided \"customMetadata\" must be at most " +
                      std::to_string(config_.max_custom_metadata_bytes) +
                      " bytes of JSON.")
        .AddDetail("key", "customMetadata")
        .AddNumberDetail("limit", config_.max_custom_metadata_bytes);
  }
  return Status::Ok();
}

void NamedTokensApi::CreateNamedToken(const Call& call, Outcome* outcome) {
  const Caller& caller = call.caller;
  Json::Value body;
  std::string parsed_text;
  std::vector<size_t> replaced_numbers;
  Status status = ParseJsonObject(call.request.body, /*allow_empty=*/false,
                                  &body, &parsed_text, &replaced_numbers);
  if (status.ok()) {
    status = RejectUnknownKeys(body, {"name", "type", "caveats",
                                      "customMetadata", "revoked",
                                      "usageLimit", "privileges"});
  }
  NamedTokenRecord record;
  if (status.ok()) status = GetRequiredString(body, "name", &record.name);
  if (status.ok()) status = CheckTokenName(record.name);
  if (status.ok() && body.isMember("type")) {
    TokenRef type;
    status = ReadAnyTokenTypeJson(body["type"], &type);
    record.type = !type.invite_space_id.empty() ? NamedTokenType::kInvite
                  : type.identity              ? NamedTokenType::kIdentity
                                               : NamedTokenType::kAccess;
    record.invite_space_id = type.invite_space_id;
  }
  const bool invitation = record.type == NamedTokenType::kInvite;
  // Onezone's default usage limit for a named invitation: "infinity" (0).
  for (const char* key : {"usageLimit", "privileges"}) {
    if (status.ok() && !invitation && body.isMember(key)) {
      status = Status(Code::kBadData,
                      std::string("Bad value: \"") + key +
                          "\" is for invitations only (type inviteToken).")
                   .AddDetail("key", key);
    }
  }
  if (status.ok() && invitation && body.isMember("usageLimit")) {
    status = ReadUsageLimitJson(body["usageLimit"], &record.usage_limit);
  }
  if (status.ok() && invitation && body.isMember("privileges")) {
    status = ReadPrivilegesJson(body["privileges"], &record.privileges);
  }
  const int64_t now = NowSeconds();
  if (status.ok() && body.isMember("caveats")) {
    status = ParseCaveatsJson(body["caveats"], now, &record.caveats,
                              invitation ? CaveatUse::kInvitation
                                         : CaveatUse::kAccessOrIdentity);
  }
  if (status.ok() && body.isMember("customMetadata")) {
    status = ReadCustomMetadata(body["customMetadata"], parsed_text,
                                replaced_numbers, &record.custom_metadata);
  }
  if (status.ok() && body.isMember("revoked")) {
    status = ReadBoolean(body, "revoked", &record.revoked);
  }
  // Only the space's owner invites; the join checks it again when the
  // invitation is used.
  if (status.ok() && invitation) {
    status = spaces_.CheckInviter(record.invite_space_id, caller.user_id);
  }
  if (!status.ok()) return outcome->Fail(status);
  // A confined caller's token is minted, and kept, with the caller's
  // caveats: it can never outlive or outscope the copy that asked for it.
  record.caveats.insert(record.caveats.end(), caller.added_caveats.begin(),
                        caller.added_caveats.end());
  record.expires_at = EarliestTimeCaveat(record.caveats);
  record.created_at = now;
  // Ids starting with eight zeros are the seed tokens' (LegacyTokenId).
  do {
    record.id = NewRandomId();
  } while (record.id.compare(0, 8, kLegacyTokenIdPrefix) == 0);
  if (record.id.empty()) {
    return outcome->Fail(Status(Code::kInternal, "random generator failed"));
  }
  status = named_tokens_.Create(caller.user_id, record,
                                config_.max_named_tokens_per_user);
  if (status.code() == Code::kAlreadyExists) status = NameOccupied();
  if (!status.ok()) return outcome->Fail(status);
  const TokenRef ref = RefOf(caller.user_id, record);
  Json::Value json(Json::objectValue);
  json["tokenId"] = record.id;
  json["token"] = MintTokenWithCaveats(keys_, config_.token_location, ref,
                                       record.caveats);
  outcome->Succeed(201, json);
  outcome->response.AddHeader(
      "Location", std::string(kApiBasePath) + "/tokens/named/" + record.id);
  outcome->Audit("event=named_token.created user=" + caller.user_id +
                 " token=" + TokenIdentifier(ref) +
                 " expires=" + std::to_string(record.expires_at));
}

void NamedTokensApi::ListNamedTokens(const Call& call, Outcome* outcome) {
  int64_t expiring_within = -1;
  Status status = ReadExpiringWithin(call.request.query, &expiring_within);
  std::vector<std::string> ids;
  if (status.ok()) {
    status = named_tokens_.ListIds(call.caller.user_id, NowSeconds(),
                                   expiring_within, &ids);
  }
  if (!status.ok()) return outcome->Fail(status);
  Json::Value json(Json::objectValue);
  json["tokens"] = Json::Value(Json::arrayValue);
  for (const std::string& id : ids) json["tokens"].append(id);
  outcome->Succeed(200, json);
}

void NamedTokensApi::DeleteAllNamedTokens(const Call& call, Outcome* outcome) {
  // The seed tokens are named tokens too.
  Status status = named_tokens_.DeleteAllLegacy(call.caller.user_id);
  if (status.ok()) status = named_tokens_.DeleteAll(call.caller.user_id);
  if (!status.ok()) return outcome->Fail(status);
  outcome->SucceedEmpty();
  outcome->Audit("event=named_token.deleted_all user=" + call.caller.user_id);
}

Status NamedTokensApi::FindById(const Call& call, NamedTokenRecord* record) {
  if (!IsHexId(call.parameter)) return TokenNotFound();
  bool found = false;
  Status status =
      named_tokens_.Get(call.caller.user_id, call.parameter, record, &found);
  if (!status.ok()) return status;
  return found ? Status::Ok() : TokenNotFound();
}

void NamedTokensApi::Render(const Caller& caller, const NamedTokenRecord& record,
                            Json::Value* json) const {
  *json = Json::Value(Json::objectValue);
  (*json)["id"] = record.id;
  (*json)["name"] = record.name;
  Json::Value subject(Json::objectValue);
  subject["type"] = "user";
  subject["id"] = caller.user_id;
  (*json)["subject"] = subject;
  (*json)["type"] = TokenTypeJson(RefOf(caller.user_id, record));
  Json::Value caveats(Json::arrayValue);
  for (const std::string& caveat : record.caveats) {
    caveats.append(CaveatJson(caveat));
  }
  (*json)["caveats"] = caveats;
  Json::Value metadata(Json::objectValue);
  metadata["creationTime"] = Json::Int64(record.created_at);
  Json::Value custom(Json::objectValue);
  if (!record.custom_metadata.empty()) {
    // Written by ReadCustomMetadata; anything else reads as {}.
    if (!ParseJsonObject(record.custom_metadata, /*allow_empty=*/false, &custom)
             .ok()) {
      custom = Json::Value(Json::objectValue);
    }
  }
  metadata["custom"] = custom;
  // Beyond Onezone: when and from where the token last authenticated a
  // request (null: not yet; at most named_token_use_flush_seconds stale).
  metadata["lastUsed"] = record.last_used != 0
                             ? Json::Value(Json::Int64(record.last_used))
                             : Json::Value(Json::nullValue);
  metadata["lastUsedIp"] = record.last_used != 0
                               ? Json::Value(record.last_used_ip)
                               : Json::Value(Json::nullValue);
  if (record.type == NamedTokenType::kInvite) {
    metadata["usageLimit"] = UsageLimitJson(record.usage_limit);
    metadata["usageCount"] = Json::Int64(record.usage_count);
    Json::Value privileges(Json::arrayValue);
    for (const std::string& privilege : record.privileges) {
      privileges.append(privilege);
    }
    metadata["privileges"] = privileges;
  }
  (*json)["metadata"] = metadata;
  (*json)["revoked"] = record.revoked;
  // A seed token's string is the very one the seed endpoints issued.
  const std::string token =
      !record.legacy_nonce.empty()
          ? MintAccessToken(keys_, config_.token_location,
                            {caller.user_id, record.legacy_nonce},
                            record.expires_at)
          : MintTokenWithCaveats(keys_, config_.token_location,
                                 RefOf(caller.user_id, record), record.caveats);
  (*json)["token"] = AppendCaveats(token, caller.added_caveats);
}

void NamedTokensApi::GetNamedToken(const Call& call, Outcome* outcome) {
  NamedTokenRecord record;
  Status status = FindById(call, &record);
  if (!status.ok()) return outcome->Fail(status);
  Json::Value json;
  Render(call.caller, record, &json);
  outcome->Succeed(200, json);
}

void NamedTokensApi::GetNamedTokenByName(const Call& call, Outcome* outcome) {
  std::string name;
  if (!PercentDecode(call.parameter, &name) || !CheckTokenName(name).ok()) {
    return outcome->Fail(TokenNotFound());
  }
  NamedTokenRecord record;
  bool found = false;
  Status status =
      named_tokens_.FindByName(call.caller.user_id, name, &record, &found);
  if (!status.ok()) return outcome->Fail(status);
  if (!found) return outcome->Fail(TokenNotFound());
  Json::Value json;
  Render(call.caller, record, &json);
  outcome->Succeed(200, json);
}

void NamedTokensApi::UpdateNamedToken(const Call& call, Outcome* outcome) {
  Json::Value body;
  std::string parsed_text;
  std::vector<size_t> replaced_numbers;
  Status status = ParseJsonObject(call.request.body, /*allow_empty=*/true,
                                  &body, &parsed_text, &replaced_numbers);
  if (status.ok()) {
    status = RejectUnknownKeys(body, {"name", "customMetadata", "revoked"});
  }
  if (status.ok() && body.empty()) {
    status = Status(Code::kMissingAtLeastOneValue,
                    "Missing data: provide at least one of \"name\", "
                    "\"customMetadata\" and \"revoked\".")
                 .AddJsonDetail("keys",
                                R"(["name","customMetadata","revoked"])");
  }
  NamedTokenUpdate update;
  if (status.ok() && body.isMember("name")) {
    std::string name;
    status = GetRequiredString(body, "name", &name);
    if (status.ok()) status = CheckTokenName(name);
    update.name = name;
  }
  if (status.ok() && body.isMember("customMetadata")) {
    std::string text;
    status = ReadCustomMetadata(body["customMetadata"], parsed_text,
                                replaced_numbers, &text);
    update.custom_metadata = text;
  }
  if (status.ok() && body.isMember("revoked")) {
    bool revoked = false;
    status = ReadBoolean(body, "revoked", &revoked);
    update.revoked = revoked;
    // A confined caller holds a copy of some token: it may revoke, but
    // never bring back, what it could not have obtained unconfined.
    if (status.ok() && !revoked && call.caller.confined()) {
      status = Status(Code::kForbidden,
                      "A token with caveats its holder added cannot un-revoke "
                      "a token.");
    }
  }
  if (status.ok() && !IsHexId(call.parameter)) status = TokenNotFound();
  if (!status.ok()) return outcome->Fail(status);
  bool found = false;
  status = named_tokens_.Update(call.caller.user_id, call.parameter, update,
                                &found);
  if (status.code() == Code::kAlreadyExists) status = NameOccupied();
  if (status.ok() && !found) status = TokenNotFound();
  if (!status.ok()) return outcome->Fail(status);
  outcome->SucceedEmpty();
  if (update.revoked.has_value()) {
    outcome->Audit(std::string("event=named_token.") +
                   (*update.revoked ? "revoked" : "unrevoked") +
                   " user=" + call.caller.user_id + " id=" + call.parameter);
  }
}

void NamedTokensApi::DeleteNamedToken(const Call& call, Outcome* outcome) {
  if (!IsHexId(call.parameter)) return outcome->Fail(TokenNotFound());
  bool found = false;
  Status status =
      named_tokens_.Delete(call.caller.user_id, call.parameter, &found);
  if (status.ok() && !found) status = TokenNotFound();
  if (!status.ok()) return outcome->Fail(status);
  outcome->SucceedEmpty();
  outcome->Audit("event=named_token.deleted user=" + call.caller.user_id +
                 " id=" + call.parameter);
}

void NamedTokensApi::GetNamedTokenStatus(const Call& call, Outcome* outcome) {
  NamedTokenRecord record;
  Status status = FindById(call, &record);
  if (!status.ok()) return outcome->Fail(status);
  Json::Value json(Json::objectValue);
  json["revoked"] = record.revoked;
  outcome->Succeed(200, json);
}

}  // namespace tokend
