// PasswordCache: lets a worker skip the slow password hash for a client that
// sends the same correct password on every call (the seeds' `curl -u`).
//
// It lives only in memory, never in Redis or on disk, so what a copy of
// Redis reveals is unchanged: still only the slow hash. An entry is a keyed
// HMAC (with a random key made at start) over the user name, the password
// and the stored hash string, so a password change or a re-hash makes old
// entries miss. An entry lives the configured time, renewed when used in
// its second half: so at least half of it after its last use. Only successful
// verifications are remembered: a wrong password always pays the full hash.
//
// After InitSharedPasswordCache (the daemon's parent, before forking) all
// workers share one table and one key: a password any worker verified is
// accepted by all, so a user costs one full hash for the whole pool, not one
// per worker. That matters twice over because a worker serves every
// connection it holds in turn: while it hashes, the requests nginx sent on
// its other connections wait. The table has a fixed number of slots, chosen
// by user name; two users sharing a slot take turns (a miss costs a hash).
//
// Thread-safe and process-safe: slots are written under a per-slot sequence
// number, and a reader that sees a write in progress counts it a miss.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "tokend/common/crypto.h"

namespace tokend {

// Call once in the parent before forking; false if the shared mapping
// fails (each process then keeps a table of its own).
bool InitSharedPasswordCache();

class PasswordCache {
 public:
  // Slots in the table (a power of two): 1 MiB shared by the pool.
  static constexpr size_t kSlots = 16384;

  // `ttl_seconds` 0 disables the cache.
  explicit PasswordCache(int ttl_seconds);

  // True when this exact (name, password, stored hash) was verified less
  // than the ttl ago, or renewed since: a hit on an entry past half its ttl
  // renews it for a whole ttl.
  bool Contains(const std::string& name, const std::string& password,
                const std::string& stored_hash, int64_t now);

  // For a password Contains missed, before its full hash: when another
  // caller (any worker) is hashing the very same one right now, waits for
  // it, at most 3 s, and returns true if it was verified meanwhile (no hash
  // needed). Otherwise returns false having marked this caller as the one
  // hashing it, until Remember (verified) or Release (wrong): so a burst of
  // first requests with one password costs one hash, not one per worker.
  bool AwaitOrClaim(const std::string& name, const std::string& password,
                    const std::string& stored_hash, int64_t now);
  void Release(const std::string& name, const std::string& password,
               const std::string& stored_hash);

  void Remember(const std::string& name, const std::string& password,
                const std::string& stored_hash, int64_t now);

 private:
  int ttl_seconds_;
};

}  // namespace tokend
