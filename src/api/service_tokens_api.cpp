// Examine, confine and verify tokens for services (see service_tokens_api.h).
#include "tokend/api/service_tokens_api.h"

#include <json/json.h>

#include <cstdint>

#include "tokend/api/caveats_json.h"
#include "tokend/api/token_type_json.h"
#include "tokend/common/clock.h"
#include "tokend/common/limits.h"
#include "tokend/http/json_body.h"
#include "tokend/http/json_response.h"
#include "tokend/http/utf8.h"
#include "tokend/token/caveat.h"
#include "tokend/token/macaroon.h"
#include "tokend/token/token_ref.h"

namespace tokend {

namespace {

// The interfaces a verify request may name.
constexpr const char* kInterfaces[] = {"rest", "oneclient", "graphsync"};

// The string at `key`, left as it is when absent; badValueString when not
// a string.
Status GetOptionalString(const Json::Value& object, const char* key,
                         std::string* value) {
  if (!object.isMember(key)) return Status::Ok();
  if (!object[key].isString()) {
    return Status(Code::kBadValueString,
                  std::string("Bad value: provided \"") + key +
                      "\" must be a string.")
        .AddDetail("key", key);
  }
  *value = object[key].asString();
  return Status::Ok();
}

// Onezone's invite types, and "any": what expectedInviteType may name. Only
// userJoinSpace invitations exist here; the others are never received.
bool IsInviteType(const std::string& type) {
  static const char* const kTypes[] = {
      "any", "userJoinGroup", "groupJoinGroup", "userJoinSpace",
      "groupJoinSpace", "supportSpace", "registerOneprovider",
      "userJoinCluster", "groupJoinCluster", "userJoinHarvester",
      "groupJoinHarvester", "spaceJoinHarvester", "userJoinAtmInventory",
      "groupJoinAtmInventory"};
  for (const char* known : kTypes) {
    if (type == known) return true;
  }
  return false;
}

// What a verify request asks: the token and the request it came with.
struct VerifyRequest {
  std::string token;
  std::string expected_invite_type;
  std::string peer_ip;
  std::string interface;
  std::string service_token;
  std::string consumer_token;
  bool allow_data_access = false;
};

Status ReadVerifyRequest(const Json::Value& body, TokenPurpose purpose,
                         VerifyRequest* out) {
  Status status;
  switch (purpose) {
    case TokenPurpose::kAccess:
      status = RejectUnknownKeys(body, {"token", "peerIp", "interface",
                                        "serviceToken", "consumerToken",
                                        "allowDataAccessCaveats"});
      break;
    case TokenPurpose::kIdentity:
      status = RejectUnknownKeys(body, {"token", "peerIp", "interface",
                                        "serviceToken", "consumerToken"});
      break;
    case TokenPurpose::kInvite:
      status = RejectUnknownKeys(body, {"token", "expectedInviteType",
                                        "peerIp", "consumerToken"});
      out->expected_invite_type = "any";
      if (status.ok()) {
        status = GetOptionalString(body, "expectedInviteType",
                                   &out->expected_invite_type);
      }
      if (status.ok() && !IsInviteType(out->expected_invite_type)) {
        status = Status(Code::kBadValueInviteType,
                        "Bad value: provided \"expectedInviteType\" is not an "
                        "invite type (\"any\", \"userJoinSpace\", ...).")
                     .AddDetail("key", "expectedInviteType");
      }
      break;
  }
  if (status.ok()) status = GetRequiredString(body, "token", &out->token);
  if (status.ok()) status = GetOptionalString(body, "peerIp", &out->peer_ip);
  if (status.ok() && body.isMember("peerIp") && !IsIpAddress(out->peer_ip)) {
    status = Status(Code::kBadValueString,
                    "Bad value: provided \"peerIp\" must be an IPv4 or IPv6 "
                    "address.")
                 .AddDetail("key", "peerIp");
  }
  if (status.ok()) status = GetOptionalString(body, "interface", &out->interface);
  if (status.ok() && body.isMember("interface")) {
    bool known = false;
    Json::Value allowed(Json::arrayValue);
    for (const char* interface : kInterfaces) {
      known = known || out->interface == interface;
      allowed.append(interface);
    }
    if (!known) {
      status = Status(Code::kBadValueNotAllowed,
                      "Bad value: provided \"interface\" must be one of rest, "
                      "oneclient, graphsync.")
                   .AddDetail("key", "interface")
                   .AddJsonDetail("allowed", ToJson(allowed));
    }
  }
  if (status.ok()) {
    status = GetOptionalString(body, "serviceToken", &out->service_token);
  }
  if (status.ok()) {
    status = GetOptionalString(body, "consumerToken", &out->consumer_token);
  }
  if (status.ok() && body.isMember("allowDataAccessCaveats")) {
    if (!body["allowDataAccessCaveats"].isBool()) {
      status = Status(Code::kBadValueBoolean,
                      "Bad value: provided \"allowDataAccessCaveats\" must be "
                      "true or false.")
                   .AddDetail("key", "allowDataAccessCaveats");
    } else {
      out->allow_data_access = body["allowDataAccessCaveats"].asBool();
    }
  }
  return status;
}

// A token error answered directly: 400 with the token error's own id, not
// the 401 it answers when it rejects a caller.
void FailVerification(const Status& status, Outcome* outcome) {
  outcome->Fail(status);
  if (outcome->response.status == 401) outcome->response.status = 400;
}

Json::Value SubjectJson(const std::string& user_id) {
  Json::Value subject(Json::objectValue);
  subject["type"] = "user";
  subject["id"] = user_id;
  return subject;
}

}  // namespace

ServiceTokensApi::ServiceTokensApi(const TokenKeys& keys,
                                   RedisClient* redis)
    : users_(redis),
      named_tokens_(redis),
      temporary_tokens_(redis),
      spaces_(redis),
      token_auth_(&keys, &users_, {&named_tokens_, &temporary_tokens_}) {}

void ServiceTokensApi::ExamineToken(const Call& call, Outcome* outcome) {
  Json::Value body;
  std::string text;
  Status status = ParseJsonObject(call.request.body, false, &body);
  if (status.ok()) status = RejectUnknownKeys(body, {"token"});
  if (status.ok()) status = GetRequiredString(body, "token", &text);
  Macaroon macaroon;
  if (status.ok()) status = DecodeToken(text, &macaroon);
  TokenRef ref;
  if (status.ok() && !ParseTokenIdentifier(macaroon.identifier, &ref)) {
    status = Status(Code::kBadToken,
                    "Provided token is not a token of this service.");
  }
  if (!status.ok()) return FailVerification(status, outcome);

  Json::Value json(Json::objectValue);
  // Nothing of an examined token is verified: what it says goes out as
  // valid UTF-8 whatever bytes it holds.
  json["onezoneDomain"] = ToValidUtf8(macaroon.location);
  json["persistence"] =
      ref.kind == TokenKind::kTemporary ? "temporary" : "named";
  switch (ref.kind) {
    case TokenKind::kAccess:
      json["id"] = LegacyTokenId(ref.nonce);
      json["subject"] = SubjectJson(ref.owner_id);
      break;
    case TokenKind::kInvite:
      // A seed invitation names its space, not who made it.
      json["id"] = ref.nonce;
      json["subject"]["type"] = "nobody";
      break;
    case TokenKind::kNamed:
    case TokenKind::kTemporary:
      json["id"] = ref.nonce;
      json["subject"] = SubjectJson(ref.owner_id);
      break;
  }
  json["type"] = TokenTypeJson(ref);
  json["caveats"] = Json::Value(Json::arrayValue);
  for (const Caveat& caveat : macaroon.caveats) {
    json["caveats"].append(CaveatJson(ToValidUtf8(caveat.id)));
  }
  outcome->Succeed(200, json);
}

void ServiceTokensApi::ConfineToken(const Call& call, Outcome* outcome) {
  Json::Value body;
  std::string text;
  Status status = ParseJsonObject(call.request.body, false, &body);
  if (status.ok()) status = RejectUnknownKeys(body, {"token", "caveats"});
  if (status.ok()) status = GetRequiredString(body, "token", &text);
  if (status.ok() && !body.isMember("caveats")) {
    status = Status(Code::kMissingRequiredValue,
                    "Missing required value: \"caveats\".")
                 .AddDetail("key", "caveats");
  }
  Macaroon macaroon;
  if (status.ok()) status = DecodeToken(text, &macaroon);
  if (!status.ok()) return FailVerification(status, outcome);
  std::vector<std::string> caveats;
  status = ParseCaveatsJson(body["caveats"], NowSeconds(), &caveats);
  if (status.ok() && macaroon.caveats.size() + caveats.size() > kMaxCaveats) {
    status = Status(Code::kBadValueCaveat,
                    "Bad value: a token carries at most " +
                        std::to_string(kMaxCaveats) + " caveats.")
                 .AddNumberDetail("limit", kMaxCaveats);
  }
  if (!status.ok()) return outcome->Fail(status);
  for (std::string& caveat : caveats) {
    AddFirstPartyCaveat(&macaroon, std::move(caveat));
  }
  std::string confined = EncodeToken(macaroon);
  if (confined.size() > kMaxTokenBytes) {
    // No header or body here would take it.
    return FailVerification(
        Status(Code::kTokenTooLarge,
               "The confined token would be larger than a token may be.")
            .AddNumberDetail("limit", kMaxTokenBytes),
        outcome);
  }
  Json::Value json(Json::objectValue);
  json["token"] = std::move(confined);
  outcome->Succeed(200, json);
}

void ServiceTokensApi::VerifyAccessToken(const Call& call, Outcome* outcome) {
  Verify(call, TokenPurpose::kAccess, outcome);
}

void ServiceTokensApi::VerifyIdentityToken(const Call& call, Outcome* outcome) {
  Verify(call, TokenPurpose::kIdentity, outcome);
}

void ServiceTokensApi::VerifyInviteToken(const Call& call, Outcome* outcome) {
  Verify(call, TokenPurpose::kInvite, outcome);
}

Status ServiceTokensApi::CheckInvitationUsable(const TokenRef& ref) {
  if (ref.kind == TokenKind::kInvite) {
    bool pending = false;
    Status status = spaces_.InvitationPending(ref.owner_id, ref.nonce, &pending);
    if (!status.ok() || pending) return status;
    return Status(Code::kTokenInvalid,
                  "The invitation has already been used or has expired.");
  }
  // A named or temporary invitation admits only while its creator owns
  // the space, as the join's script checks.
  Status status = spaces_.CheckInviter(ref.invite_space_id, ref.owner_id);
  if (status.code() == Code::kNotFound || status.code() == Code::kForbidden) {
    return Status(Code::kInviteTokenSubjectNotAuthorized,
                  "The user who created the invitation no longer owns the "
                  "space, and so may no longer invite to it.");
  }
  if (!status.ok() || ref.kind != TokenKind::kNamed) return status;
  NamedTokenRecord record;
  bool found = false;
  status = named_tokens_.Get(ref.owner_id, ref.nonce, &record, &found);
  if (!status.ok()) return status;
  if (!found) return Status(Code::kTokenInvalid, "Provided token is not valid.");
  if (record.usage_limit > 0 && record.usage_count >= record.usage_limit) {
    return Status(Code::kInviteTokenUsageLimitReached,
                  "The invitation has admitted as many users as its usage "
                  "limit allows.");
  }
  return Status::Ok();
}

void ServiceTokensApi::Verify(const Call& call, TokenPurpose purpose,
                              Outcome* outcome) {
  Json::Value body;
  VerifyRequest request;
  Status status = ParseJsonObject(call.request.body, false, &body);
  if (status.ok()) status = ReadVerifyRequest(body, purpose, &request);
  if (!status.ok()) return outcome->Fail(status);

  TokenUse use;
  use.context.now = NowSeconds();
  use.context.peer_ip = request.peer_ip;
  use.context.interface = request.interface;
  use.context.allow_data_access = request.allow_data_access;
  use.service_token = request.service_token;
  use.consumer_token = request.consumer_token;
  Caller subject;
  int64_t expires_at = 0;
  status = token_auth_.VerifyFor(purpose, request.token, use, &subject,
                                 &expires_at);
  if (status.code() == Code::kServiceUnavailable ||
      status.code() == Code::kInternal) {
    return outcome->Fail(status);
  }
  TokenRef ref;
  if (status.ok() && purpose == TokenPurpose::kInvite) {
    Macaroon macaroon;
    if (DecodeToken(request.token, &macaroon).ok()) {
      ParseTokenIdentifier(macaroon.identifier, &ref);
    }
    const std::string& expected = request.expected_invite_type;
    if (expected != "any" && expected != "userJoinSpace") {
      status = Status(Code::kNotAnInviteToken,
                      "The invitation is not of the expected type " +
                          expected + ".")
                   .AddDetail("expectedInviteType", expected)
                   .AddJsonDetail("received", ToJson(TokenTypeJson(ref)));
    }
    if (status.ok()) status = CheckInvitationUsable(ref);
  }
  if (status.code() == Code::kServiceUnavailable ||
      status.code() == Code::kInternal) {
    return outcome->Fail(status);
  }
  if (!status.ok()) return FailVerification(status, outcome);
  Json::Value json(Json::objectValue);
  if (subject.user_id.empty()) {
    json["subject"]["type"] = "nobody";  // a seed invitation names no user
  } else {
    json["subject"] = SubjectJson(subject.user_id);
  }
  json["ttl"] = expires_at == INT64_MAX
                    ? Json::Value()
                    : Json::Value(Json::Int64(
                          expires_at > use.context.now ? expires_at - use.context.now : 0));
  outcome->Succeed(200, json);
}

}  // namespace tokend
