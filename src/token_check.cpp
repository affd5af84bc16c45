// Parsing and verifying issued tokens (see token_check.h).
#include "tokend/token_check.h"

#include "tokend/macaroon.h"
#include "tokend/verifier.h"

namespace tokend {

Status CheckIssuedToken(const TokenKeys& keys, const std::string& text,
                        int64_t now, CaveatPolicy policy, TokenRef* ref) {
  Macaroon macaroon;
  Status status = DecodeToken(text, &macaroon);
  if (!status.ok()) return status;
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
  return verifier.Verify(macaroon, keys.ChainKeyFor(macaroon.identifier));
}

}  // namespace tokend
