// Token types in JSON (see token_type_json.h).
#include "tokend/api/token_type_json.h"

#include <json/json.h>

#include <string>

namespace tokend {

namespace {

constexpr char kAccessTokenType[] = "accessToken";
constexpr char kIdentityTokenType[] = "identityToken";
constexpr char kInviteTokenType[] = "inviteToken";
constexpr char kInviteTypeKey[] = "inviteType";
constexpr char kSpaceIdKey[] = "spaceId";
constexpr char kUserJoinSpace[] = "userJoinSpace";

Status BadTokenType(const std::string& description) {
  return Status(Code::kBadValueTokenType,
                "Bad value: provided \"type\" " + description)
      .AddDetail("key", "type");
}

}  // namespace

Status ReadTokenTypeJson(const Json::Value& type, bool* identity) {
  if (type.isObject() && type.size() == 1) {
    const std::string name = type.getMemberNames()[0];
    const Json::Value& options = type[name];
    if (options.isObject() && options.empty() &&
        (name == kAccessTokenType || name == kIdentityTokenType)) {
      *identity = name == kIdentityTokenType;
      return Status::Ok();
    }
  }
  return BadTokenType(
      "must be {\"accessToken\": {}} or {\"identityToken\": {}}.");
}

Status ReadAnyTokenTypeJson(const Json::Value& type, TokenRef* ref) {
  if (type.isObject() && type.size() == 1 &&
      type.isMember(kInviteTokenType)) {
    const Json::Value& options = type[kInviteTokenType];
    if (!options.isObject() || !options.isMember(kInviteTypeKey) ||
        !options[kInviteTypeKey].isString()) {
      return BadTokenType(
          "must name its \"inviteType\": {\"inviteToken\": {\"inviteType\": "
          "\"userJoinSpace\", \"spaceId\": \"...\"}}.");
    }
    if (options[kInviteTypeKey].asString() != kUserJoinSpace) {
      return BadTokenType(
          "has an \"inviteType\" not offered here; the only one is "
          "\"userJoinSpace\".");
    }
    const Json::Value& space = options[kSpaceIdKey];
    if (options.size() != 2 || !space.isString() ||
        !IsHexId(space.asString())) {
      return BadTokenType(
          "must be {\"inviteToken\": {\"inviteType\": \"userJoinSpace\", "
          "\"spaceId\": \"<a space id>\"}} and nothing more.");
    }
    ref->identity = false;
    ref->invite_space_id = space.asString();
    return Status::Ok();
  }
  ref->invite_space_id.clear();
  Status status = ReadTokenTypeJson(type, &ref->identity);
  if (!status.ok()) {
    return BadTokenType(
        "must be {\"accessToken\": {}}, {\"identityToken\": {}} or "
        "{\"inviteToken\": {\"inviteType\": \"userJoinSpace\", \"spaceId\": "
        "\"...\"}}.");
  }
  return status;
}

Json::Value TokenTypeJson(bool identity) {
  Json::Value type(Json::objectValue);
  type[identity ? kIdentityTokenType : kAccessTokenType] =
      Json::Value(Json::objectValue);
  return type;
}

Json::Value TokenTypeJson(const TokenRef& ref) {
  if (!ref.invitation()) return TokenTypeJson(ref.identity);
  Json::Value options(Json::objectValue);
  options[kInviteTypeKey] = kUserJoinSpace;
  // A seed invitation ("inv.") is owned by its space.
  options[kSpaceIdKey] =
      ref.kind == TokenKind::kInvite ? ref.owner_id : ref.invite_space_id;
  Json::Value type(Json::objectValue);
  type[kInviteTokenType] = options;
  return type;
}

}  // namespace tokend
