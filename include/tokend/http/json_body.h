// Request bodies: strict JSON objects (no comments, no duplicate keys,
// bounded nesting) and the checks every endpoint's options share. Errors
// use Onezone's ids: malformedData (not JSON), badValueJSON (not an
// object), badData (a key not understood), missingRequiredValue,
// badValueString.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>

#include "tokend/common/status.h"

namespace Json {
class Value;
}

namespace tokend {

// Parses `body` into `object`. A blank body is an empty object when
// `allow_empty` (the seeds send -d ''), else missing data. `parsed_text`,
// when given, receives the text the values' offsets refer to (the body,
// with numbers too large to represent replaced by large representable
// ones of the same sign and kind).
Status ParseJsonObject(const std::string& body, bool allow_empty,
                       Json::Value* object, std::string* parsed_text = nullptr);

// badData naming the first key of `object` not in `allowed`.
Status RejectUnknownKeys(const Json::Value& object,
                         std::initializer_list<const char*> allowed);

// The string at `key`: missingRequiredValue when absent, badValueString when
// not a string.
Status GetRequiredString(const Json::Value& object, const char* key,
                         std::string* value);

}  // namespace tokend
