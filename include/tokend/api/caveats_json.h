// Caveats as Onezone 20.02's API writes them, {"type": "time",
// "validUntil": T}, and as the first-party caveat strings inside a
// macaroon, "time < T". This step of the successor API knows the `time`
// caveat; the other kinds come with issue 14.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tokend/common/status.h"

namespace Json {
class Value;
}

namespace tokend {

// Appends the caveat strings of `caveats` (a JSON array of caveat objects)
// to `out`. Errors: badValueJSON (key "caveats") for anything but an array,
// badValueCaveat (details.caveat: the offending caveat's JSON text) for a
// caveat that is malformed, of a kind not offered, or a `time` not after
// `now`; more than kMaxNamedTokenCaveats in all is badValueCaveat with
// details.limit.
Status ParseCaveatsJson(const Json::Value& caveats, int64_t now,
                        std::vector<std::string>* out);

// The JSON form of a caveat string this service minted or accepted.
Json::Value CaveatJson(const std::string& caveat);

// The earliest `time` caveat among `caveats`, or 0 when there is none.
int64_t EarliestTimeCaveat(const std::vector<std::string>& caveats);

}  // namespace tokend
