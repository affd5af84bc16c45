// libFuzzer target: the token parser and verifier on arbitrary text. Any
// input must give a Status (never a crash, an assert or unbounded memory),
// and a parsed token must survive re-encoding with every field intact.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "tokend/token/macaroon.h"
#include "tokend/token/verifier.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  tokend::Macaroon macaroon;
  if (!tokend::DecodeToken(text, &macaroon).ok()) return 0;

  // Whatever parsed must verify without crashing, against any key.
  tokend::MacaroonVerifier verifier;
  verifier.AddChecker([](std::string_view caveat) {
    return tokend::CheckTimeCaveat(caveat, 1700000000);
  });
  verifier.Verify(macaroon, tokend::DeriveMacaroonKey("fuzz"));

  // The token re-encodes (V1, Onezone-escaped) to text that parses back to
  // the same token, field by field, and encodes to the same text again.
  // Only a first-party caveat's location may be lost (the V1 layout has no
  // place for it, and no macaroon signs a location).
  const std::string encoded = tokend::EncodeToken(macaroon);
  tokend::Macaroon again;
  if (!tokend::DecodeToken(encoded, &again).ok() ||
      again.location != macaroon.location ||
      again.identifier != macaroon.identifier ||
      again.signature != macaroon.signature ||
      again.caveats.size() != macaroon.caveats.size() ||
      tokend::EncodeToken(again) != encoded) {
    std::abort();
  }
  for (size_t i = 0; i < macaroon.caveats.size(); ++i) {
    const tokend::Caveat& before = macaroon.caveats[i];
    const tokend::Caveat& after = again.caveats[i];
    if (after.id != before.id || after.verification_id != before.verification_id ||
        (before.third_party() && after.location != before.location)) {
      std::abort();
    }
  }
  return 0;
}
