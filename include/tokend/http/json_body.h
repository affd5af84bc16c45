// Request bodies: strict JSON objects (no comments, no duplicate keys,
// bounded nesting) and the checks every endpoint's options share. Errors
// use Onezone's ids: malformedData (not JSON), badValueJSON (not an
// object), badData (a key not understood), missingRequiredValue,
// badValueString.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <vector>

#include "tokend/common/status.h"

namespace Json {
class Value;
}

namespace tokend {

// Parses `body` into `object`. A blank body is an empty object when
// `allow_empty` (the seeds send -d ''), else missing data. `parsed_text`,
// when given, receives the text the values' offsets refer to (the body,
// with numbers too large to represent replaced by large representable
// ones of the same sign and kind); `replaced_numbers` the offsets there of
// the numbers so replaced.
Status ParseJsonObject(const std::string& body, bool allow_empty,
                       Json::Value* object, std::string* parsed_text = nullptr,
                       std::vector<size_t>* replaced_numbers = nullptr);

// Whether `value` was written in `parsed_text` as a plain integer (digits,
// maybe a minus), rather than with a fraction or an exponent.
bool IsIntegerLiteral(const std::string& parsed_text, const Json::Value& value);

// Whether every number in `value`, at any depth, is held as it was given:
// false for an integer literal beyond 64 bits (jsoncpp holds a rounded
// double) and for a number ParseJsonObject replaced.
bool NumbersHeldAsGiven(const Json::Value& value,
                        const std::string& parsed_text,
                        const std::vector<size_t>& replaced_numbers);

// badData naming the first key of `object` not in `allowed`.
Status RejectUnknownKeys(const Json::Value& object,
                         std::initializer_list<const char*> allowed);

// The string at `key`: missingRequiredValue when absent, badValueString when
// not a string.
Status GetRequiredString(const Json::Value& object, const char* key,
                         std::string* value);

}  // namespace tokend
