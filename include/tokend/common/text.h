// Small text helpers every layer shares: hexadecimal digits, plain decimal
// numbers and surrounding whitespace. One definition each, so that what
// counts as a hex digit or a number is the same in a URL, a token and a
// Redis key.
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

}  // namespace tokend
