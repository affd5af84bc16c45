// Parsing and verifying issued tokens (see token_check.h).
#include "tokend/token/token_check.h"

#include "tokend/token/verifier.h"

#include <cstdint>

namespace tokend {

Status CheckIssuedToken(const TokenKeys& keys, const std::string& text,
                        int64_t now, CaveatPolicy policy, TokenRef* ref,
                        int64_t* expires_at) {
  Macaroon macaroon;
  Status status = DecodeToken(text, &macaroon);
  if (!status.ok()) return status;
  return CheckIssuedMacaroon(keys, macaroon, now, policy, ref, expires_at);
}

Status CheckIssuedMacaroon(const TokenKeys& keys, const Macaroon& macaroon,
                           int64_t now, CaveatPolicy policy, TokenRef* ref,
                           int64_t* expires_at) {
  if (!ParseTokenIdentifier(macaroon.identifier, ref)) {
    return Status(Code::kTokenInvalid, "Provided token is not valid.");
  }
  MacaroonVerifier verifier;
  if (policy == CaveatPolicy::kEnforce) {
    verifier.AddChecker(
        [now](std::string_view caveat) { return CheckTimeCaveat(caveat, now); });
  } else {
    verifier.AddChecker([](std::string_view) { return CaveatResult::kSatisfied; });
  }
  Status status =
      verifier.Verify(macaroon, keys.ChainKeyFor(macaroon.identifier));
  if (status.ok() && expires_at != nullptr) {
    *expires_at = INT64_MAX;
    for (const Caveat& caveat : macaroon.caveats) {
      int64_t deadline = 0;
      if (ParseTimeCaveat(caveat.id, &deadline) && deadline < *expires_at) {
        *expires_at = deadline;
      }
    }
  }
  return status;
}

}  // namespace tokend
