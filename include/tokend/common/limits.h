// Hard limits on input, each with a name, in one place. Input beyond a limit
// is an error value, never a crash or unbounded memory.
#pragma once

#include <cstddef>

namespace tokend {

// Serialized token text as received (any encoding), in bytes.
constexpr size_t kMaxTokenBytes = 64 * 1024;
// First-party caveats in one token; clients append a few, never thousands.
constexpr size_t kMaxCaveats = 128;
// One macaroon field (location, identifier, one caveat), in bytes.
constexpr size_t kMaxLocationBytes = 256;
constexpr size_t kMaxIdentifierBytes = 1024;
constexpr size_t kMaxCaveatBytes = 4096;
// Entries of one caveat's list ("ip = A|B|..."): a whitelist names a few
// networks, services or paths, never hundreds.
constexpr size_t kMaxCaveatListEntries = 64;

// HTTP request body the daemon reads, in bytes (nginx caps it too).
constexpr size_t kMaxBodyBytes = 64 * 1024;
// One request header value the daemon accepts, in bytes.
constexpr size_t kMaxHeaderBytes = 80 * 1024;
// User names and passwords, in bytes.
constexpr size_t kMaxUserNameBytes = 128;
constexpr size_t kMaxPasswordBytes = 1024;
// Password hash parameters, new or stored: a stored hash beyond them is
// refused, never run (a tampered record must not stall a worker for
// minutes or take gigabytes). Argon2id memory in KiB (256 MiB), passes,
// lanes; PBKDF2 iterations of hashes made before Argon2id (about 2 s).
constexpr int kMinPasswordMemoryKib = 8192;
constexpr int kMaxPasswordMemoryKib = 262144;
constexpr int kMaxPasswordTimeCost = 16;
constexpr int kMaxPasswordParallelism = 8;
constexpr long kMaxPbkdf2Iterations = 5000000;
// The pool-wide budget of slow password hashes: at most this many running
// at once, and waiting for a turn (config password_hash_concurrency and
// password_hash_queue; the shared table is sized for these).
constexpr int kMaxPasswordHashConcurrency = 64;
constexpr int kMaxPasswordHashQueue = 1024;
// The client-side cache of Redis reads per worker (config
// read_cache_entries and read_cache_bytes): 1 million reads, 256 MiB.
constexpr int kMaxReadCacheEntries = 1000000;
constexpr int kMaxReadCacheBytes = 268435456;
// The Redis ACL user name and its password (redis_user, the content of
// redis_password_file), in bytes.
constexpr size_t kMaxRedisUserBytes = 128;
constexpr size_t kMaxRedisPasswordBytes = 512;
// A space name, in bytes.
constexpr size_t kMaxSpaceNameBytes = 128;
// Named tokens: a name (Onezone's rule: 2-50 characters), the caveats one
// may carry, and the most customMetadata (bytes of its JSON text) any
// configuration may allow (max_custom_metadata_bytes; a request body is at
// most kMaxBodyBytes anyway).
constexpr size_t kMinTokenNameChars = 2;
constexpr size_t kMaxTokenNameChars = 50;
constexpr size_t kMaxNamedTokenCaveats = 32;
constexpr int kMaxCustomMetadataBytes = 65536;
// Invitations (issue 14): the privileges one may grant, each at most this
// long ("space_" and lowercase letters and underscores, as Onezone's).
constexpr size_t kMaxInvitePrivileges = 64;
constexpr size_t kMaxPrivilegeChars = 64;
// Nesting depth of a JSON request body.
constexpr int kMaxJsonDepth = 16;

}  // namespace tokend
