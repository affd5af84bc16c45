// Checking a token this service issued: parse it, recognise its identifier,
// and verify the signature chain (and, when asked, every caveat) against the
// key derived for that identifier. The same check serves authentication,
// revocation and joining a space.
#pragma once

#include <cstdint>
#include <string>

#include "tokend/common/status.h"
#include "tokend/token/macaroon.h"
#include "tokend/token/token_keys.h"
#include "tokend/token/token_ref.h"

namespace tokend {

enum class CaveatPolicy {
  kEnforce,  // every caveat must hold at `now` (time caveats are known)
  kIgnore,   // signature only: the owner may revoke an expired copy
};

// On success fills `ref` and, with kEnforce, `expires_at` with the earliest
// `time` caveat (every caveat that holds is one). Errors: kBadToken (cannot
// be parsed), kTokenInvalid (not an identifier of ours, or a bad
// signature), kTokenCaveatUnverified, kTokenCaveatUnknown.
Status CheckIssuedToken(const TokenKeys& keys, const std::string& text,
                        int64_t now, CaveatPolicy policy, TokenRef* ref,
                        int64_t* expires_at = nullptr);

// The same check of a token already parsed with DecodeToken, for a caller
// that looks at the parsed token first (TokenAuth finds cached tokens by
// their signed content). Errors as above, except kBadToken.
Status CheckIssuedMacaroon(const TokenKeys& keys, const Macaroon& macaroon,
                           int64_t now, CaveatPolicy policy, TokenRef* ref,
                           int64_t* expires_at = nullptr);

}  // namespace tokend
