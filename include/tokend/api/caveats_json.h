// Caveats as Onezone 20.02's API writes them, {"type": "ip", "whitelist":
// ["10.0.0.0/8"]}, and as the first-party caveat strings inside a macaroon,
// "ip = 10.0.0.0/8" (every kind of caveat.h).
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tokend/common/status.h"
#include "tokend/token/caveat.h"

namespace Json {
class Value;
}

namespace tokend {

// What the token being made is for: invitations accept only time, ip,
// asn, geo.* and consumer caveats (Onezone's rule).
enum class CaveatUse { kAccessOrIdentity, kInvitation };

// Appends the caveat strings of `caveats` (a JSON array of caveat objects,
// each in Onezone's JSON form) to `out`. Errors: badValueJSON (key
// "caveats") for anything but an array; badValueCaveat (details.caveat: the
// offending caveat's JSON text, the description says what is wrong) for a
// caveat that is malformed (unknown type or key, a field of the wrong type,
// an entry ValidCaveat refuses), a `time` not after `now`, a kind `use`
// does not accept, or asn / geo.country / geo.region (this service has no
// GeoIP database to check them against); more than kMaxNamedTokenCaveats in
// all is badValueCaveat with details.limit.
Status ParseCaveatsJson(const Json::Value& caveats, int64_t now,
                        std::vector<std::string>* out,
                        CaveatUse use = CaveatUse::kAccessOrIdentity);

// Reads one caveat of any kind from its JSON form and checks it with
// ValidCaveat; no policy (a passed `time`, asn and geo.* are read as they
// are). Errors: badValueCaveat as above.
Status CaveatFromJson(const Json::Value& caveat, TokenCaveat* out);

// The JSON form of a caveat string (any kind ParseCaveat reads); a string
// it does not read is shown as {"type": "unknown", "caveat": string}.
Json::Value CaveatJson(const std::string& caveat);

// The earliest `time` caveat among `caveats`, or 0 when there is none.
int64_t EarliestTimeCaveat(const std::vector<std::string>& caveats);

}  // namespace tokend
