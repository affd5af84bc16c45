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

// HTTP request body the daemon reads, in bytes (nginx caps it too).
constexpr size_t kMaxBodyBytes = 64 * 1024;
// One request header value the daemon accepts, in bytes.
constexpr size_t kMaxHeaderBytes = 80 * 1024;
// User names and passwords, in bytes.
constexpr size_t kMaxUserNameBytes = 128;
constexpr size_t kMaxPasswordBytes = 1024;
// A space name, in bytes.
constexpr size_t kMaxSpaceNameBytes = 128;
// Nesting depth of a JSON request body.
constexpr int kMaxJsonDepth = 16;

}  // namespace tokend
