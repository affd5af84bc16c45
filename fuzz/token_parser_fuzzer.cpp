// libFuzzer target: the token parser and verifier on arbitrary text. Any
// input must give a Status (never a crash, an assert or unbounded memory),
// and a parsed token must survive re-encoding.
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

  // A first-party-only token re-encodes to something that parses back to
  // the same fields.
  for (const tokend::Caveat& caveat : macaroon.caveats) {
    if (caveat.third_party()) return 0;
  }
  tokend::Macaroon again;
  if (!tokend::DecodeToken(tokend::EncodeToken(macaroon), &again).ok() ||
      again.identifier != macaroon.identifier ||
      again.caveats.size() != macaroon.caveats.size() ||
      again.signature != macaroon.signature) {
    std::abort();
  }
  return 0;
}
