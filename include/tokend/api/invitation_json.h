// What a named invitation (issue 14) takes beyond a named token's values,
// as Onezone 20.02's POST /user/tokens/named does: `usageLimit` (a positive
// integer or "infinity") and `privileges` (a list of Onezone space
// privilege names, which the invitation grants; stored and shown, not
// enforced: this service has no privileges model), and their JSON forms
// in a NamedToken's metadata.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tokend/common/status.h"

namespace Json {
class Value;
}

namespace tokend {

// Reads `usageLimit`: a JSON integer >= 1, or "infinity" (`*limit` 0).
// badValueInteger {"key": "usageLimit"} for anything else but an integer
// below 1, which is badValueTooLow {"key", "limit": 1}.
Status ReadUsageLimitJson(const Json::Value& value, int64_t* limit);

// Reads `privileges`: a list of at most kMaxInvitePrivileges distinct
// strings, each "space_" and then lowercase letters and underscores, at
// most kMaxPrivilegeChars. badData {"key": "privileges"} otherwise.
Status ReadPrivilegesJson(const Json::Value& value,
                          std::vector<std::string>* privileges);

// A usage limit as shown: the integer, or "infinity" for 0.
Json::Value UsageLimitJson(int64_t limit);

}  // namespace tokend
