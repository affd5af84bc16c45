// WriteGuard: what a write script checks before it writes, so that a
// request's last authentication check and its write are one Redis round
// trip (see auth/deferred_check.h): keys that must still exist, or a user
// record whose password hash must be unchanged.
#pragma once

#include <string>
#include <vector>

namespace tokend {

// Keys that must all still exist for a write to run: the token and user a
// request authenticated with, checked by the same script as the write.
// After the write, `checked` tells whether the script ran and `held`
// whether every key existed; when one did not, nothing was changed.
struct WriteGuard {
  std::vector<std::string> keys;  // in the written user's hash slot
  // Basic auth: when set, keys[0] is the user record, whose name and
  // password hash must still give this UserFingerprint (the hash the
  // password was verified against) rather than merely exist.
  std::string user_fingerprint;
  bool checked = false;
  bool held = true;
};

// What a write guard compares a user record with: SHA-1 (hex) of its name,
// length-prefixed, and its password hash. SHA-1 because the write scripts
// can compute it (redis.sha1hex); it only notices a change, and keeps the
// hash itself out of the script's arguments, which Redis shows in SLOWLOG,
// MONITOR and its crash report.
std::string UserFingerprint(const std::string& name,
                            const std::string& password_hash);

}  // namespace tokend
