// Small text helpers every layer shares: hexadecimal digits, plain decimal
// numbers, surrounding whitespace and JSON string quoting. One definition
// each, so that what counts as a hex digit or a number is the same in a URL,
// a token and a Redis key, and a string is escaped the same way in a
// response body and in a caveat's JSON text.
//
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tokend {

// The value (0-15) of a hexadecimal digit of either case; -1 otherwise.
int HexDigitValue(char c);
// The same for the lowercase form only (0-9, a-f), the one this service
// writes and libmacaroons' V1 packet headers use; -1 otherwise.
int LowerHexDigitValue(char c);
// Whether every character of `text` is a lowercase hex digit.
bool IsLowerHex(std::string_view text);
// Lowercase hex of `size` bytes.
std::string HexEncode(const uint8_t* bytes, size_t size);

// The most digits ParseDecimal reads: 18 always fit in int64_t, 19 may not.
constexpr size_t kMaxDecimalDigits = 18;
// Reads 1 to kMaxDecimalDigits ASCII digits and nothing else (no sign, no
// space); false otherwise.
bool ParseDecimal(std::string_view digits, int64_t* value);

// `text` without leading and trailing ASCII whitespace (space, \t, \r, \n,
// \v, \f).
std::string_view TrimWhitespace(std::string_view text);

// Appends `text` to `out` as a JSON string, quotes included, escaped as
// jsoncpp 1.9.5 does with emitUTF8: '"', '\\' and bytes below 0x20 are
// escaped (\n, \u001f, ...), every other byte is copied as it is (the
// caller sees to valid UTF-8).
void AppendJsonQuoted(std::string_view text, std::string* out);

}  // namespace tokend
