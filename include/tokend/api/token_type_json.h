// A token's type as Onezone 20.02's API writes it: {"accessToken": {}},
// {"identityToken": {}} or, for an invitation (issue 14),
// {"inviteToken": {"inviteType": "userJoinSpace", "spaceId": "<id>"}}
// (Onezone has more invite types; only spaces exist here).
#pragma once

#include "tokend/common/status.h"
#include "tokend/token/token_ref.h"

namespace Json {
class Value;
}

namespace tokend {

// Reads `type` as an access or identity token's; `*identity` tells which.
// badValueTokenType (details.key "type") for anything else, invitations
// included.
Status ReadTokenTypeJson(const Json::Value& type, bool* identity);

// Reads `type`, invitations too, into `ref->identity` and
// `ref->invite_space_id` (which says nothing of whether the space exists
// or who may invite to it). badValueTokenType (details.key "type") for a
// malformed type, another invite type or a spaceId that is not one (32
// lowercase hex digits).
Status ReadAnyTokenTypeJson(const Json::Value& type, TokenRef* ref);

// The JSON form of an access or identity token's type.
Json::Value TokenTypeJson(bool identity);
// The JSON form of `ref`'s type, invitations included.
Json::Value TokenTypeJson(const TokenRef& ref);

}  // namespace tokend
