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

// A hash of a random password at `iterations`: what unknown users are
// checked against, so they cost what known users cost (no user-name oracle).
// Made once per process and iteration count; processes forked after the
// first call inherit it, so the daemon's parent makes it before forking and
// workers start without paying for it. Not thread-safe.
const std::string& DecoyPasswordHash(int iterations);

// True when `password` matches `stored` (constant-time comparison). False
// for a malformed stored string.
bool VerifyPassword(const std::string& password, const std::string& stored);

}  // namespace tokend
