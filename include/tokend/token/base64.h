// Base64 (RFC 4648) in both alphabets, and Onezone's token escaping.
//
// Onezone escapes six characters of a base64url token so it survives any
// transport: 0->00, _->01, -->02, /->03, +->04, =->05.
//
// All functions are pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace tokend {

// base64url without padding.
std::string Base64UrlEncode(std::string_view bytes);
// The standard alphabet ('+', '/') without padding, as the PHC string
// format of password hashes has it.
std::string Base64StandardEncode(std::string_view bytes);

// Decodes base64 in either alphabet (or a mix), with or without padding.
// False on any other character, misplaced padding or a dangling bit group.
bool Base64DecodeLenient(std::string_view text, std::string* out);

// Applies / reverses the Onezone escaping. Unescape fails on a '0' that is
// not followed by 0-5, or on a character that escaping never leaves behind.
std::string OnezoneEscape(std::string_view base64);
bool OnezoneUnescape(std::string_view escaped, std::string* out);

}  // namespace tokend
