// Password hashing. New hashes are Argon2id (RFC 9106, OWASP's first
// choice: memory-hard against GPUs) in the PHC string format, with the
// parameters in the string so they can be raised later:
//   $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>
// (base64 without padding, 16-byte salt, 32-byte hash). Hashes made before,
//   $pbkdf2-sha256$<iterations>$<salt b64url>$<hash b64url>
// still verify; BasicAuth rewrites them as Argon2id at the next login
// (NeedsRehash). A stored hash whose parameters are beyond the hard limits
// of limits.h is refused without being run, so a tampered record cannot
// make a worker spend minutes or gigabytes.
//
// Thread-safe, but DecoyPasswordHash (see there).
#pragma once

#include <string>

#include "tokend/common/config.h"

namespace tokend {

// The parameters of new hashes (config keys password_memory_kib,
// password_time_cost, password_parallelism).
struct PasswordHashParams {
  int memory_kib = 19456;  // OWASP's m=19 MiB
  int time_cost = 2;       // passes over the memory
  int parallelism = 1;     // lanes
};

// The parameters `config` sets.
PasswordHashParams PasswordHashParamsOf(const Config& config);

// Whether `params` are within the hard limits (limits.h), as the config
// loader insists.
bool PasswordHashParamsValid(const PasswordHashParams& params);

// A new Argon2id hash of `password` with a fresh random salt. Empty if the
// random generator or Argon2 fails.
std::string HashPassword(const std::string& password,
                         const PasswordHashParams& params);

enum class PasswordCheck {
  kMatch,
  kMismatch,
  // Malformed, or parameters beyond the hard limits: refused, never run.
  kRefused,
};

// Checks `password` against `stored` in constant time (each hash run is
// counted in the metrics).
PasswordCheck CheckPassword(const std::string& password,
                            const std::string& stored);
// CheckPassword(...) == kMatch.
bool VerifyPassword(const std::string& password, const std::string& stored);

// Whether `stored` (which a password just matched) should be replaced by a
// hash with `params`: it is PBKDF2, or Argon2id with other parameters.
bool NeedsRehash(const std::string& stored, const PasswordHashParams& params);

// A hash of a random password with `params`: what unknown users are checked
// against, so they cost exactly what known users cost (no user-name
// oracle). Made once per process and parameters; processes forked after
// the first call inherit it, so the daemon's parent makes it before forking
// and workers start without paying for it. Not thread-safe.
const std::string& DecoyPasswordHash(const PasswordHashParams& params);

// Where BasicAuth's slow hashes run: this one runs them in the calling
// thread; a worker's hashing lane runs them in a process of its own at the
// lowest CPU priority (server/hasher_process.h).
class PasswordHasher {
 public:
  virtual ~PasswordHasher() = default;
  virtual PasswordCheck Check(const std::string& password,
                              const std::string& stored) {
    return CheckPassword(password, stored);
  }
  virtual std::string Hash(const std::string& password,
                           const PasswordHashParams& params) {
    return HashPassword(password, params);
  }
};

}  // namespace tokend
