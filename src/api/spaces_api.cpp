// The space and invitation endpoints (see spaces_api.h).
#include "tokend/api/spaces_api.h"

#include <json/json.h>

#include "tokend/api/caveats_json.h"
#include "tokend/api/endpoints.h"
#include "tokend/common/clock.h"
#include "tokend/common/limits.h"
#include "tokend/http/json_body.h"
#include "tokend/token/token_check.h"
#include "tokend/token/token_ref.h"

namespace tokend {

namespace {

// Names a legacy invitation draws before giving up (each clash is one of
// 2^64 random suffixes meeting a name the caller chose).
constexpr int kInviteNameAttempts = 3;

Status SpaceNotFound() {
  return Status(Code::kNotFound, "The space could not be found.");
}

// 1..kMaxSpaceNameBytes of text without control characters, not blank.
Status CheckSpaceName(const std::string& name) {
  bool has_visible = false;
  bool has_control = false;
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) has_control = true;
    if (c > 0x20) has_visible = true;
  }
  if (name.size() > kMaxSpaceNameBytes || !has_visible || has_control) {
    return Status(Code::kBadValueName,
                  "Bad value: \"name\" must be 1-" +
                      std::to_string(kMaxSpaceNameBytes) +
                      " bytes of text without control characters.")
        .AddDetail("key", "name");
  }
  return Status::Ok();
}

Status BadInvitation(const std::string& token_error,
                     const std::string& description) {
  return Status(Code::kBadValueToken, "Bad value: provided \"token\" " +
                                          description)
      .AddDetail("key", "token")
      .AddDetail("tokenError", token_error);
}

}  // namespace

void SpacesApi::Created(const std::string& space_id, Outcome* outcome) {
  Json::Value body(Json::objectValue);
  body["spaceId"] = space_id;
  outcome->Succeed(201, body);
  outcome->response.AddHeader(
      "Location", std::string(kApiBasePath) + "/user/spaces/" + space_id);
}

void SpacesApi::CreateSpace(const Call& call, Outcome* outcome) {
  Json::Value body;
  Status status = ParseJsonObject(call.request.body, /*allow_empty=*/false, &body);
  if (status.ok()) status = RejectUnknownKeys(body, {"name"});
  std::string name;
  if (status.ok()) status = GetRequiredString(body, "name", &name);
  if (status.ok()) status = CheckSpaceName(name);
  if (!status.ok()) return outcome->Fail(status);
  std::string space_id;
  status = spaces_.Create(call.caller.user_id, name,
                          config_.max_spaces_per_user, &space_id);
  if (!status.ok()) return outcome->Fail(status);
  Created(space_id, outcome);
}

void SpacesApi::ListSpaces(const Call& call, Outcome* outcome) {
  std::vector<std::string> ids;
  std::string default_space;
  Status status = spaces_.UserSpaces(call.caller.user_id, &ids, &default_space);
  if (!status.ok()) return outcome->Fail(status);
  Json::Value body(Json::objectValue);
  body["spaces"] = Json::Value(Json::arrayValue);
  for (const std::string& id : ids) body["spaces"].append(id);
  body["default"] =
      default_space.empty() ? Json::Value(Json::nullValue) : Json::Value(default_space);
  outcome->Succeed(200, body);
}

Status SpacesApi::FindForMember(const Caller& caller,
                               const std::string& space_id,
                               SpaceRecord* space) {
  if (!IsHexId(space_id)) return SpaceNotFound();
  bool found = false;
  Status status = spaces_.GetForMember(space_id, caller.user_id, space, &found);
  if (!status.ok()) return status;
  return found ? Status::Ok() : SpaceNotFound();
}

void SpacesApi::GetSpace(const Call& call, Outcome* outcome) {
  SpaceRecord space;
  Status status = FindForMember(call.caller, call.parameter, &space);
  if (!status.ok()) return outcome->Fail(status);
  Json::Value body(Json::objectValue);
  body["spaceId"] = space.id;
  body["name"] = space.name;
  body["owner"] = space.owner;
  body["members"] = Json::Int64(space.member_count);
  outcome->Succeed(200, body);
}

void SpacesApi::LeaveSpace(const Call& call, Outcome* outcome) {
  const std::string& space_id = call.parameter;
  if (!IsHexId(space_id)) return outcome->Fail(SpaceNotFound());
  bool left = false;
  Status status = spaces_.Leave(call.caller.user_id, space_id, &left);
  if (!status.ok()) return outcome->Fail(status);
  if (!left) return outcome->Fail(SpaceNotFound());
  outcome->SucceedEmpty();
}

void SpacesApi::GetDefaultSpace(const Call& call, Outcome* outcome) {
  std::string space_id;
  Status status = spaces_.DefaultSpace(call.caller.user_id, &space_id);
  if (!status.ok()) return outcome->Fail(status);
  if (space_id.empty()) {
    return outcome->Fail(Status(Code::kNotFound, "You have no default space."));
  }
  Json::Value body(Json::objectValue);
  body["spaceId"] = space_id;
  outcome->Succeed(200, body);
}

void SpacesApi::SetDefaultSpace(const Call& call, Outcome* outcome) {
  Json::Value body;
  Status status = ParseJsonObject(call.request.body, /*allow_empty=*/false, &body);
  if (status.ok()) status = RejectUnknownKeys(body, {"spaceId"});
  std::string space_id;
  if (status.ok()) status = GetRequiredString(body, "spaceId", &space_id);
  if (!status.ok()) return outcome->Fail(status);
  if (!IsHexId(space_id)) return outcome->Fail(SpaceNotFound());
  status = spaces_.SetDefaultSpace(call.caller.user_id, space_id);
  if (!status.ok()) return outcome->Fail(status);
  outcome->SucceedEmpty();
}

void SpacesApi::InviteToDefaultSpace(const Call& call, Outcome* outcome) {
  std::string space_id;
  Status status = spaces_.DefaultSpace(call.caller.user_id, &space_id);
  if (!status.ok()) return outcome->Fail(status);
  if (space_id.empty()) {
    return outcome->Fail(Status(
        Code::kNotFound,
        "You have no default space to invite to; create or join one first."));
  }
  Invite(call.caller, space_id, outcome);
}

void SpacesApi::InviteToSpace(const Call& call, Outcome* outcome) {
  Invite(call.caller, call.parameter, outcome);
}

void SpacesApi::Invite(const Caller& caller, const std::string& space_id,
                       Outcome* outcome) {
  // Only the owner invites (403 for another member, 404 for anyone else);
  // the join checks it again when the invitation is used.
  if (!IsHexId(space_id)) return outcome->Fail(SpaceNotFound());
  Status status = spaces_.CheckInviter(space_id, caller.user_id);
  if (!status.ok()) return outcome->Fail(status);
  const int64_t now = NowSeconds();
  int64_t expires_at = now + config_.invite_ttl;
  // A confined caller's invitation is confined as the caller is: it lapses
  // with the caller's token and carries the caveats the caller's holder
  // added, so a short copy cannot hand out a longer-lived way in.
  if (caller.confined() && caller.expires_at < expires_at) {
    expires_at = caller.expires_at;
  }
  NamedTokenRecord record;
  record.type = NamedTokenType::kInvite;
  record.invite_space_id = space_id;
  record.usage_limit = 1;
  record.caveats = {"time < " + std::to_string(expires_at)};
  record.caveats.insert(record.caveats.end(), caller.added_caveats.begin(),
                        caller.added_caveats.end());
  record.expires_at = EarliestTimeCaveat(record.caveats);
  record.created_at = now;
  // A random name: a clash with one of the caller's names (theirs to
  // choose) is drawn again, a few times.
  for (int attempt = 0; attempt < kInviteNameAttempts; ++attempt) {
    do {
      record.id = NewRandomId();
    } while (record.id.compare(0, 8, kLegacyTokenIdPrefix) == 0);
    const std::string suffix = NewRandomId();
    if (record.id.empty() || suffix.empty()) {
      return outcome->Fail(Status(Code::kInternal, "random generator failed"));
    }
    record.name =
        "space invite " + space_id.substr(0, 8) + " " + suffix.substr(0, 16);
    status = named_tokens_.Create(caller.user_id, record,
                                  config_.max_named_tokens_per_user);
    if (status.code() != Code::kAlreadyExists) break;
  }
  if (!status.ok()) return outcome->Fail(status);
  TokenRef ref{TokenKind::kNamed, caller.user_id, record.id};
  ref.invite_space_id = space_id;
  Json::Value body(Json::objectValue);
  body["token"] =
      MintTokenWithCaveats(keys_, config_.token_location, ref, record.caveats);
  outcome->Succeed(200, body);
  outcome->Audit("event=invite.created user=" + caller.user_id + " space=" +
                 space_id + " token=" + TokenIdentifier(ref));
}

void SpacesApi::JoinSpace(const Call& call, Outcome* outcome) {
  const Caller& caller = call.caller;
  Json::Value body;
  Status status = ParseJsonObject(call.request.body, /*allow_empty=*/false, &body);
  if (status.ok()) status = RejectUnknownKeys(body, {"token"});
  std::string text;
  if (status.ok()) status = GetRequiredString(body, "token", &text);
  if (!status.ok()) return outcome->Fail(status);

  // The invitation's caveats hold for this request: its client, REST, and
  // the joining user as the consumer (a `consumer` caveat names who may use
  // an invitation).
  const std::string consumer = "usr-" + caller.user_id;
  CaveatContext context;
  context.now = NowSeconds();
  context.peer_ip = call.request.remote_addr;
  context.interface = "rest";
  context.operation = "ozw/POST/user/spaces/join";
  context.service = "ozw-onezone";
  context.consumer = consumer;
  TokenRef ref;
  status = CheckIssuedToken(keys_, text, context, CaveatPolicy::kEnforce, &ref);
  if (!status.ok()) {
    return outcome->Fail(BadInvitation(status.error_id(),
                                       "is not a usable invitation: " +
                                           status.description()));
  }
  if (!ref.invitation()) {
    return outcome->Fail(BadInvitation(
        "notAnInviteToken",
        "is not an invitation; joining a space needs an invitation token."));
  }
  // A seed invitation ("inv.") is owned by its space; a named or temporary
  // one (issue 14) by its creator, and names the space in its type.
  const bool seed = ref.kind == TokenKind::kInvite;
  const std::string space_id = seed ? ref.owner_id : ref.invite_space_id;
  JoinResult result;
  if (seed) {
    status = spaces_.Join(caller.user_id, space_id, ref.nonce,
                          config_.max_spaces_per_user, &result);
  } else {
    InvitationToken invitation;
    invitation.creator_id = ref.owner_id;
    invitation.temporary = ref.kind == TokenKind::kTemporary;
    invitation.token_id = ref.nonce;
    invitation.generation = ref.generation;
    status = spaces_.JoinWithInvitationToken(caller.user_id, space_id,
                                             invitation,
                                             config_.max_spaces_per_user,
                                             &result);
  }
  if (!status.ok()) return outcome->Fail(status);
  switch (result) {
    case JoinResult::kJoined:
      outcome->Audit("event=invite.used user=" + caller.user_id + " space=" +
                     space_id + " token=" + TokenIdentifier(ref));
      return Created(space_id, outcome);
    case JoinResult::kAlreadyMember:
      return outcome->Fail(
          Status(Code::kAlreadyExists,
                 "You are already a member of this space; the invitation "
                 "was not used.")
              .AddDetail("spaceId", space_id));
    case JoinResult::kInvitationGone:
      return outcome->Fail(BadInvitation(
          "tokenInvalid", seed ? "has already been used or has expired."
                               : "has been deleted or has expired."));
    case JoinResult::kNoSuchSpace:
      return outcome->Fail(BadInvitation(
          "tokenInvalid", "invites to a space that no longer exists."));
    case JoinResult::kInvitationRevoked:
      return outcome->Fail(BadInvitation("tokenRevoked", "has been revoked."));
    case JoinResult::kUsageLimitReached:
      return outcome->Fail(
          Status(Code::kInviteTokenUsageLimitReached,
                 "The invitation has admitted as many users as its usage "
                 "limit allows.")
              .AddDetail("key", "token"));
    case JoinResult::kIssuerNotOwner:
      return outcome->Fail(
          Status(Code::kInviteTokenSubjectNotAuthorized,
                 "The user who created the invitation no longer owns the "
                 "space, and so may no longer invite to it.")
              .AddDetail("key", "token"));
  }
}

void SpacesApi::ListMembers(const Call& call, Outcome* outcome) {
  const std::string& space_id = call.parameter;
  if (!IsHexId(space_id)) return outcome->Fail(SpaceNotFound());
  std::vector<std::string> members;
  bool found = false;
  Status status =
      spaces_.MembersForMember(space_id, call.caller.user_id, &members, &found);
  if (!status.ok()) return outcome->Fail(status);
  if (!found) return outcome->Fail(SpaceNotFound());
  Json::Value body(Json::objectValue);
  body["users"] = Json::Value(Json::arrayValue);
  for (const std::string& member : members) body["users"].append(member);
  outcome->Succeed(200, body);
}

}  // namespace tokend
