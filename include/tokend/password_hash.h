// Password hashing: salted PBKDF2-HMAC-SHA256 with its parameters stored in
// the hash string, so the strength can be raised later without breaking
// existing users:  $pbkdf2-sha256$<iterations>$<salt b64url>$<hash b64url>
//
// Thread-safe.
#pragma once

#include <string>

namespace tokend {

// A new hash of `password` with a fresh 16-byte random salt. Empty if the
// random generator fails.
std::string HashPassword(const std::string& password, int iterations);

// True when `password` matches `stored` (constant-time comparison). False
// for a malformed stored string.
bool VerifyPassword(const std::string& password, const std::string& stored);

}  // namespace tokend
