// Macaroon verification without early returns (see verifier.h).
#include "tokend/token/verifier.h"

#include "tokend/common/text.h"

namespace tokend {

namespace {

constexpr std::string_view kTimePrefix = "time < ";

}  // namespace

bool ParseTimeCaveat(std::string_view caveat, int64_t* deadline) {
  if (caveat.substr(0, kTimePrefix.size()) != kTimePrefix) return false;
  return ParseDecimal(caveat.substr(kTimePrefix.size()), deadline);
}

CaveatResult CheckTimeCaveat(std::string_view caveat, int64_t now) {
  if (caveat.substr(0, kTimePrefix.size()) != kTimePrefix) {
    return CaveatResult::kNotMine;
  }
  int64_t deadline = 0;
  if (!ParseTimeCaveat(caveat, &deadline)) return CaveatResult::kUnsatisfied;
  return now < deadline ? CaveatResult::kSatisfied : CaveatResult::kUnsatisfied;
}

void MacaroonVerifier::AddChecker(CaveatChecker checker) {
  checkers_.push_back(std::move(checker));
}

Status MacaroonVerifier::Verify(const Macaroon& macaroon,
                                const SecretKey& derived_key) const {
  HmacSha256& hmac = HmacSha256::ForThisThread();
  Digest signature;
  hmac.Compute(derived_key.data(), derived_key.size(), macaroon.identifier,
               signature.data());

  const Caveat* first_unknown = nullptr;
  const Caveat* first_unverified = nullptr;
  const Caveat* first_third_party = nullptr;
  for (const Caveat& caveat : macaroon.caveats) {
    Digest next;
    if (caveat.third_party()) {
      // libmacaroons signs these as HMAC(sig, HMAC(sig, vid) || HMAC(sig,
      // cid)); following it keeps a genuine third-party token's signature
      // valid, so the rejection names the real reason.
      uint8_t pair[2 * kSha256Bytes];
      hmac.Compute(signature.data(), signature.size(), caveat.verification_id,
                   pair);
      hmac.Compute(signature.data(), signature.size(), caveat.id,
                   pair + kSha256Bytes);
      hmac.Compute(signature.data(), signature.size(),
                   std::string_view(reinterpret_cast<char*>(pair), sizeof(pair)),
                   next.data());
      signature = next;
      if (first_third_party == nullptr) first_third_party = &caveat;
      continue;
    }
    hmac.Compute(signature.data(), signature.size(), caveat.id, next.data());
    signature = next;

    bool understood = false;
    bool satisfied = true;
    for (const CaveatChecker& checker : checkers_) {
      CaveatResult result = checker(caveat.id);
      if (result != CaveatResult::kNotMine) understood = true;
      if (result == CaveatResult::kUnsatisfied) satisfied = false;
    }
    if (!understood && first_unknown == nullptr) first_unknown = &caveat;
    if (understood && !satisfied && first_unverified == nullptr) {
      first_unverified = &caveat;
    }
  }
  bool signature_ok = ConstantTimeEquals(signature.data(),
                                         macaroon.signature.data(),
                                         signature.size());
  Wipe(signature.data(), signature.size());

  if (!signature_ok) {
    return Status(Code::kTokenInvalid, "Provided token is not valid.");
  }
  if (first_third_party != nullptr) {
    return Status(Code::kTokenCaveatUnknown,
                  "Third-party caveats are not supported.")
        .AddDetail("caveat", first_third_party->id);
  }
  if (first_unknown != nullptr) {
    return Status(Code::kTokenCaveatUnknown,
                  "Provided token has a caveat this service does not know.")
        .AddDetail("caveat", first_unknown->id);
  }
  if (first_unverified != nullptr) {
    return Status(Code::kTokenCaveatUnverified,
                  "Token caveat unverified: " + first_unverified->id)
        .AddDetail("caveat", first_unverified->id);
  }
  return Status::Ok();
}

}  // namespace tokend
