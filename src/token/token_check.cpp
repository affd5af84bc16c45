// Parsing and verifying issued tokens (see token_check.h).
#include "tokend/token/token_check.h"

#include "tokend/token/verifier.h"

#include <cstdint>

namespace tokend {

Status CheckIssuedToken(const TokenKeys& keys, const std::string& text,
                        const CaveatContext& context, CaveatPolicy policy,
                        TokenRef* ref, int64_t* expires_at) {
  Macaroon macaroon;
  Status status = DecodeToken(text, &macaroon);
  if (!status.ok()) return status;
  std::vector<TokenCaveat> contextual;
  status = CheckIssuedMacaroon(keys, macaroon, context.now, policy, ref,
                               expires_at, &contextual);
  if (!status.ok()) return status;
  return CheckContextualCaveats(contextual, context);
}

Status CheckIssuedToken(const TokenKeys& keys, const std::string& text,
                        int64_t now, CaveatPolicy policy, TokenRef* ref,
                        int64_t* expires_at) {
  CaveatContext context;
  context.now = now;
  return CheckIssuedToken(keys, text, context, policy, ref, expires_at);
}

Status CheckIssuedMacaroon(const TokenKeys& keys, const Macaroon& macaroon,
                           int64_t now, CaveatPolicy policy, TokenRef* ref,
                           int64_t* expires_at,
                           std::vector<TokenCaveat>* contextual) {
  if (!ParseTokenIdentifier(macaroon.identifier, ref)) {
    return Status(Code::kTokenInvalid, "Provided token is not valid.");
  }
  MacaroonVerifier verifier;
  std::vector<TokenCaveat> parsed;
  TokenCaveat first_expired;
  bool expired = false;
  if (policy == CaveatPolicy::kEnforce) {
    // Every caveat is parsed (an unknown one is not mine, hence
    // tokenCaveatUnknown); a time caveat is checked here, the rest kept for
    // the request they are checked against.
    verifier.AddChecker([&](std::string_view text) {
      TokenCaveat caveat;
      if (!ParseCaveat(text, &caveat)) return CaveatResult::kNotMine;
      if (caveat.type == CaveatType::kTime) {
        if (now < caveat.valid_until) return CaveatResult::kSatisfied;
        if (!expired) first_expired = caveat;
        expired = true;
        return CaveatResult::kUnsatisfied;
      }
      parsed.push_back(std::move(caveat));
      return CaveatResult::kSatisfied;
    });
  } else {
    verifier.AddChecker([](std::string_view) { return CaveatResult::kSatisfied; });
  }
  Status status =
      verifier.Verify(macaroon, keys.ChainKeyFor(macaroon.identifier));
  if (status.code() == Code::kTokenCaveatUnverified && expired) {
    // The verifier names the caveat by its string; Onezone by its JSON.
    CaveatContext at_now;
    at_now.now = now;
    return CheckContextualCaveats({first_expired}, at_now);
  }
  if (!status.ok()) return status;
  if (contextual != nullptr) *contextual = std::move(parsed);
  if (expires_at != nullptr) {
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

Status CheckContextualCaveats(const std::vector<TokenCaveat>& caveats,
                              const CaveatContext& context) {
  for (const TokenCaveat& caveat : caveats) {
    if (!CaveatHolds(caveat, context)) {
      return Status(Code::kTokenCaveatUnverified,
                    "Token caveat unverified: " + CaveatString(caveat))
          .AddJsonDetail("caveat", CaveatJsonText(caveat));
    }
  }
  return Status::Ok();
}

}  // namespace tokend
