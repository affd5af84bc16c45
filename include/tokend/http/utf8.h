// UTF-8 checks. JSON bodies must be well-formed UTF-8 (RFC 8259), and every
// string this service echoes into a JSON response (a key a client sent, a
// caveat a client appended) must be too, or clients cannot parse the error.
//
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tokend {

// Whether `text` is well-formed UTF-8: no overlong forms, no surrogates, no
// code points past U+10FFFF, no truncated sequences.
bool IsValidUtf8(std::string_view text);

// `text` with each byte that is not part of well-formed UTF-8 replaced by
// U+FFFD, and cut to at most `max_bytes` without splitting a character.
std::string ToValidUtf8(std::string_view text,
                        size_t max_bytes = std::string::npos);

}  // namespace tokend
