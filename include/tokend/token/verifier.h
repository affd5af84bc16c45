// Macaroon verification: recomputes the signature chain from the root
// secret, compares in constant time and checks every caveat with the
// registered checkers. It never returns early: every check runs, failures
// are accumulated, and only then is one reason chosen, so timing does not
// tell which check failed.
//
// A MacaroonVerifier is immutable after setup and may be shared by threads
// as long as its checkers are thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "tokend/common/crypto.h"
#include "tokend/common/status.h"
#include "tokend/token/macaroon.h"

namespace tokend {

enum class CaveatResult {
  kNotMine,     // this checker does not understand the caveat
  kSatisfied,
  kUnsatisfied,
};

using CaveatChecker = std::function<CaveatResult(std::string_view caveat)>;

// "time < N": satisfied when `now` (Unix seconds) is strictly below N. N must
// be a plain decimal number; anything else after "time < " is unsatisfied.
CaveatResult CheckTimeCaveat(std::string_view caveat, int64_t now);

// Parses the N of a well-formed "time < N" caveat.
bool ParseTimeCaveat(std::string_view caveat, int64_t* deadline);

class MacaroonVerifier {
 public:
  void AddChecker(CaveatChecker checker);

  // Verifies `macaroon` against `derived_key` (see DeriveMacaroonKey).
  // Returns OK, or the first of: kTokenInvalid (bad signature),
  // kTokenCaveatUnknown (no checker understands a caveat, or a third-party
  // caveat), kTokenCaveatUnverified (a caveat does not hold; details.caveat
  // names it).
  Status Verify(const Macaroon& macaroon, const SecretKey& derived_key) const;

 private:
  std::vector<CaveatChecker> checkers_;
};

}  // namespace tokend
