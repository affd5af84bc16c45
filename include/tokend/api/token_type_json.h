// A token's type as Onezone 20.02's API writes it: {"accessToken": {}} or
// {"identityToken": {}} (invitations come with issue 14).
#pragma once

#include "tokend/common/status.h"

namespace Json {
class Value;
}

namespace tokend {

// Reads `type`; `*identity` tells which of the two. badValueTokenType
// (details.key "type") for anything else.
Status ReadTokenTypeJson(const Json::Value& type, bool* identity);

// The JSON form of an access or identity token's type.
Json::Value TokenTypeJson(bool identity);

}  // namespace tokend
