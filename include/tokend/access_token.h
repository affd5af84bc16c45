// Access tokens: what identifies one, and how one is minted.
//
// Identifier: "acc.<userId>.<nonce>", the nonce 16 random bytes in
// base64url. The user id in it lets a request find the token's Redis record
// in its owner's hash slot without any global index.
//
// A token is a pure function of (identifier, expiry) and the master secret,
// so Redis keeps only the nonce and the expiry, and the list endpoint
// re-mints the very strings that were issued.
#pragma once

#include <cstdint>
#include <string>

#include "tokend/token_keys.h"

namespace tokend {

struct AccessTokenId {
  std::string user_id;
  std::string nonce;
};

std::string AccessIdentifier(const AccessTokenId& id);
// False unless `identifier` is a well-formed access-token identifier.
bool ParseAccessIdentifier(const std::string& identifier, AccessTokenId* id);

// A fresh random nonce; empty if the random generator fails.
std::string NewTokenNonce();

// The serialized token (Onezone-escaped V1) with one caveat
// "time < expires_at".
std::string MintAccessToken(const TokenKeys& keys, const std::string& location,
                            const AccessTokenId& id, int64_t expires_at);

// The stable user id of a user name: 32 hex digits of SHA-256, so basic auth
// finds the user's hash slot from the name alone.
std::string UserIdForName(const std::string& name);

}  // namespace tokend
