// Checking a token this service issued: parse it, recognise its identifier,
// and verify the signature chain (and, when asked, every caveat) against the
// key derived for that identifier. The same check serves authentication,
// revocation and joining a space.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tokend/common/status.h"
#include "tokend/token/caveat.h"
#include "tokend/token/macaroon.h"
#include "tokend/token/token_keys.h"
#include "tokend/token/token_ref.h"

namespace tokend {

enum class CaveatPolicy {
  kEnforce,  // every caveat must hold at `now` (time caveats are known)
  kIgnore,   // signature only: the owner may revoke an expired copy
};

// On success fills `ref` and, with kEnforce, `expires_at` with the earliest
// `time` caveat (every caveat that holds is one). With kEnforce every caveat
// must hold in `context`. Errors: kBadToken (cannot be parsed),
// kTokenInvalid (not an identifier of ours, or a bad signature),
// kTokenCaveatUnverified (details.caveat: its JSON form),
// kTokenCaveatUnknown (details.caveat: its string).
Status CheckIssuedToken(const TokenKeys& keys, const std::string& text,
                        const CaveatContext& context, CaveatPolicy policy,
                        TokenRef* ref, int64_t* expires_at = nullptr);
// The same where nothing but the time is known: a caveat about the request
// (ip, interface, ...) does not hold.
Status CheckIssuedToken(const TokenKeys& keys, const std::string& text,
                        int64_t now, CaveatPolicy policy, TokenRef* ref,
                        int64_t* expires_at = nullptr);

// The signature and `time` part of the check, for a caller that caches it
// (TokenAuth finds cached tokens by their signed content): with kEnforce,
// every caveat must be of a known kind and its `time` caveats hold at
// `now`; the others, which depend on the request, are parsed into
// `contextual` for CheckContextualCaveats at each use. Errors as above,
// except kBadToken.
Status CheckIssuedMacaroon(const TokenKeys& keys, const Macaroon& macaroon,
                           int64_t now, CaveatPolicy policy, TokenRef* ref,
                           int64_t* expires_at,
                           std::vector<TokenCaveat>* contextual);

// OK when every one of `caveats` holds in `context`; otherwise
// kTokenCaveatUnverified for the first that does not, with its JSON form in
// details.caveat.
Status CheckContextualCaveats(const std::vector<TokenCaveat>& caveats,
                              const CaveatContext& context);

}  // namespace tokend
