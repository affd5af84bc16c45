// Unit tests for verifier.h: the signature chain, caveat checking, the
// `time < N` caveat and the order in which failures are reported.
//
// The pymacaroons tokens below are the same vectors as in test_macaroon.cpp
// (produced once with pymacaroons 0.13 on Debian 12 by the script quoted
// there); they are repeated so each fixture stands alone.
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tokend/token/macaroon.h"
#include "tokend/token/verifier.h"

namespace tokend {
namespace {

constexpr char kRootSecret[] = "onezone-tokend unit test root secret";
constexpr char kIdentifier[] = "JUq4aKVBRMuE7qKlsPTyM_IKxzXesVuQR0c_2Wi9qY4";

// pymacaroons V1, caveats "time < 1522358333" and "account = 105", escaped.
constexpr char kTwoCaveatsEscaped[] =
    "MDAxNWxvY2F00aW9uIG9uZXpvbmUKMDAzYmlkZW500aWZpZXIgSlVxNGFLVkJSTXVFN3FLbH"
    "NQVHlNX00lLeHpYZXNWdVFSMGNfMldpOXFZNAowMDFhY2lkIHRpbWUgPCAxNTIyMzU4MzMzC"
    "jAwMTZjaWQgYWNjb3VudCA9IDEwNQowMDJmc2lnbmF00dXJlIIbetikQBrPoQAPMy7itRhN4"
    "vvnULzs9wQ87sm01KhO029Cg";
// pymacaroons V2, caveats "time < 1522358333", "time < 4102444800",
// "account = 105".
constexpr char kV2ThreeCaveats[] =
    "AgEHb25lem9uZQIrSlVxNGFLVkJSTXVFN3FLbHNQVHlNX0lLeHpYZXNWdVFSMGNfMldpOXFZ"
    "NAACEXRpbWUgPCAxNTIyMzU4MzMzAAIRdGltZSA8IDQxMDI0NDQ4MDAAAg1hY2NvdW50ID0g"
    "MTA1AAAGILi5ZcWm8CnvgIFMzXmYIqt0cbXnW5gWeOS9ITuwEuxL";
// pymacaroons V2 without caveats.
constexpr char kV2NoCaveats[] =
    "AgEHb25lem9uZQIrSlVxNGFLVkJSTXVFN3FLbHNQVHlNX0lLeHpYZXNWdVFSMGNfMldpOXFZ"
    "NAAABiBSnC0Q140IWr5noKwV1nMGlHIp6mfAhAg5zzgc-cuVvA";
// pymacaroons, "color = red" then a genuine third-party caveat
// ("user = alice" at https://auth.example.org), signed as libmacaroons signs
// third-party caveats: sig = HMAC(sig, HMAC(sig, vid) || HMAC(sig, cid)).
constexpr char kThirdPartyV1[] =
    "MDAxNWxvY2F0aW9uIG9uZXpvbmUKMDAzYmlkZW50aWZpZXIgSlVxNGFLVkJSTXVFN3FLbHNQ"
    "VHlNX0lLeHpYZXNWdVFSMGNfMldpOXFZNAowMDE0Y2lkIGNvbG9yID0gcmVkCjAwMTVjaWQg"
    "dXNlciA9IGFsaWNlCjAwNTF2aWQgvFRo4kLLadFyZhcvOA78XUk80SA6pUCTzEDXkKHMNejq"
    "jwbjq6lgFv7PHjwR1TQRIqwo6BV5kb6291QQkXx-f7gO2tp3iFjcCjAwMjBjbCBodHRwczov"
    "L2F1dGguZXhhbXBsZS5vcmcKMDAyZnNpZ25hdHVyZSCgg3tjJ0NwbboOPJrNZf-N6D49__Ov"
    "ci6VOK8xfuj6BAo";
constexpr char kThirdPartyV2[] =
    "AgEHb25lem9uZQIrSlVxNGFLVkJSTXVFN3FLbHNQVHlNX0lLeHpYZXNWdVFSMGNfMldpOXFZ"
    "NAACC2NvbG9yID0gcmVkAAEYaHR0cHM6Ly9hdXRoLmV4YW1wbGUub3JnAgx1c2VyID0gYWxp"
    "Y2UESLR3zxakkhmyFmzgNBKEWKg5Gt0LMKGDCboQSI8u-1JbEfYVeYTPNFRgtoI57nEtW3US"
    "OWo3XlR6ljLTh14rubM8aIzFqdeuOwAABiBDYwkZlRMFU2fJwQkz4TSUElLR41v-_FVf1vUB"
    "Htg5DA";

// A moment before the vectors' earliest deadline (1522358333).
constexpr int64_t kNow = 1522358000;

Macaroon Decode(const char* text) {
  Macaroon macaroon;
  Status status = DecodeToken(text, &macaroon);
  CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
  return macaroon;
}

Macaroon MintWithCaveats(const std::vector<std::string>& caveats) {
  Macaroon macaroon =
      MintMacaroon(DeriveMacaroonKey(kRootSecret), "onezone", kIdentifier);
  for (const std::string& caveat : caveats)
    AddFirstPartyCaveat(&macaroon, caveat);
  return macaroon;
}

CaveatChecker TimeCheckerAt(int64_t now) {
  return
      [now](std::string_view caveat) { return CheckTimeCaveat(caveat, now); };
}

// Knows exactly one predicate and holds it true.
CaveatChecker ExactChecker(std::string predicate) {
  return [predicate](std::string_view caveat) {
    return caveat == predicate ? CaveatResult::kSatisfied
                               : CaveatResult::kNotMine;
  };
}

MacaroonVerifier VerifierAt(int64_t now, std::vector<std::string> exact = {}) {
  MacaroonVerifier verifier;
  verifier.AddChecker(TimeCheckerAt(now));
  for (std::string& predicate : exact)
    verifier.AddChecker(ExactChecker(predicate));
  return verifier;
}

Status VerifyWithRoot(const MacaroonVerifier& verifier,
                      const Macaroon& macaroon,
                      const std::string& root_secret = kRootSecret) {
  return verifier.Verify(macaroon, DeriveMacaroonKey(root_secret));
}

// Everything the signature covers, plus the signature itself.
std::string SignedContent(const Macaroon& macaroon) {
  std::string content = macaroon.identifier;
  for (const Caveat& caveat : macaroon.caveats) {
    content += '\n' + caveat.id + '\n' + caveat.verification_id;
  }
  content.append(reinterpret_cast<const char*>(macaroon.signature.data()),
                 macaroon.signature.size());
  return content;
}

std::string DetailOf(const Status& status, const std::string& key) {
  for (const Status::Detail& detail : status.details()) {
    if (detail.key == key) return detail.value;
  }
  return "<no detail " + key + ">";
}

std::string Describe(Code code) { return ErrorIdOf(code); }

// Evaluates `status_expr` once: some tests count checker calls.
#define ASSERT_CODE(expected, status_expr)                      \
  do {                                                          \
    const Status status_once = (status_expr);                   \
    CPPUNIT_ASSERT_EQUAL_MESSAGE(status_once.description(),     \
                                 Describe(expected),            \
                                 Describe(status_once.code())); \
  } while (0)

std::string Describe(CaveatResult result) {
  switch (result) {
    case CaveatResult::kNotMine:
      return "not mine";
    case CaveatResult::kSatisfied:
      return "satisfied";
    case CaveatResult::kUnsatisfied:
      return "unsatisfied";
  }
  return "?";
}

#define ASSERT_CAVEAT(expected, actual) \
  CPPUNIT_ASSERT_EQUAL(Describe(expected), Describe(actual))

}  // namespace

class VerifierTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(VerifierTest);
  CPPUNIT_TEST(testAcceptsPymacaroonsTokenGivenItsRootSecret);
  CPPUNIT_TEST(testAcceptsPymacaroonsV2TokenWithSeveralCaveats);
  CPPUNIT_TEST(testAcceptsTokenWithoutCaveatsWithNoCheckers);
  CPPUNIT_TEST(testAcceptsTokenMintedAndAttenuatedHere);
  CPPUNIT_TEST(testRejectsTokenWithTamperedSignature);
  CPPUNIT_TEST(testRejectsTokenVerifiedWithWrongRootSecret);
  CPPUNIT_TEST(testRejectsTokenWithAlteredCaveat);
  CPPUNIT_TEST(testRejectsTokenWithRemovedCaveat);
  CPPUNIT_TEST(testRejectsTokenWithAlteredIdentifier);
  CPPUNIT_TEST(testReportsBadSignatureBeforeAnyCaveatProblem);
  CPPUNIT_TEST(testRejectsUnknownCaveatNamingIt);
  CPPUNIT_TEST(testVerifierWithoutCheckersRejectsEveryCaveat);
  CPPUNIT_TEST(testReportsUnknownCaveatBeforeUnverifiedOne);
  CPPUNIT_TEST(testRejectsExpiredTimeCaveatNamingIt);
  CPPUNIT_TEST(testEveryTimeCaveatMustHoldSoTheSmallestWins);
  CPPUNIT_TEST(testTimeCaveatHoldsOnlyStrictlyBelowItsDeadline);
  CPPUNIT_TEST(testMalformedTimeCaveatIsUnsatisfiedNotUnknown);
  CPPUNIT_TEST(testCaveatsWithoutTheTimePrefixAreNotTimeCaveats);
  CPPUNIT_TEST(testParsesTheDeadlineOfWellFormedTimeCaveats);
  CPPUNIT_TEST(testCaveatIsUnsatisfiedIfAnyCheckerRejectsIt);
  CPPUNIT_TEST(testCaveatIsUnderstoodIfAnyCheckerKnowsIt);
  CPPUNIT_TEST(testChecksEveryCaveatEvenAfterAFailure);
  CPPUNIT_TEST(testRejectsGenuineV1ThirdPartyCaveatAsUnknown);
  CPPUNIT_TEST(testRejectsGenuineV2ThirdPartyCaveatAsUnknown);
  CPPUNIT_TEST(testNamesTheThirdPartyCaveatWhenAnUnknownCaveatPrecedesIt);
  CPPUNIT_TEST(testRejectsThirdPartyTokenWithForgedSignatureAsInvalid);
  CPPUNIT_TEST(testNoMutationOfAValidTokenVerifies);
  CPPUNIT_TEST(testVerifiesConcurrentlyFromSeveralThreads);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testAcceptsPymacaroonsTokenGivenItsRootSecret() {
    Status status = VerifyWithRoot(VerifierAt(kNow, {"account = 105"}),
                                   Decode(kTwoCaveatsEscaped));
    ASSERT_CODE(Code::kOk, status);
  }

  void testAcceptsPymacaroonsV2TokenWithSeveralCaveats() {
    Status status = VerifyWithRoot(VerifierAt(kNow, {"account = 105"}),
                                   Decode(kV2ThreeCaveats));
    ASSERT_CODE(Code::kOk, status);
  }

  void testAcceptsTokenWithoutCaveatsWithNoCheckers() {
    ASSERT_CODE(Code::kOk,
                VerifyWithRoot(MacaroonVerifier(), Decode(kV2NoCaveats)));
  }

  void testAcceptsTokenMintedAndAttenuatedHere() {
    Macaroon macaroon = MintWithCaveats({"time < 4102444800"});
    Macaroon decoded;
    CPPUNIT_ASSERT(DecodeToken(EncodeToken(macaroon), &decoded).ok());
    AddFirstPartyCaveat(&decoded, "time < 2000000000");  // as oneclient does
    ASSERT_CODE(Code::kOk, VerifyWithRoot(VerifierAt(kNow), decoded));
  }

  void testRejectsTokenWithTamperedSignature() {
    for (size_t byte : {size_t{0}, size_t{17}, size_t{31}}) {
      Macaroon macaroon = Decode(kTwoCaveatsEscaped);
      macaroon.signature[byte] ^= 0x01;
      Status status =
          VerifyWithRoot(VerifierAt(kNow, {"account = 105"}), macaroon);
      ASSERT_CODE(Code::kTokenInvalid, status);
      CPPUNIT_ASSERT_EQUAL(std::string("tokenInvalid"),
                           std::string(status.error_id()));
    }
  }

  void testRejectsTokenVerifiedWithWrongRootSecret() {
    MacaroonVerifier verifier = VerifierAt(kNow, {"account = 105"});
    Macaroon macaroon = Decode(kTwoCaveatsEscaped);
    ASSERT_CODE(Code::kTokenInvalid,
                VerifyWithRoot(verifier, macaroon,
                               "onezone-tokend unit test root secreT"));
    ASSERT_CODE(Code::kTokenInvalid, VerifyWithRoot(verifier, macaroon, ""));
  }

  void testRejectsTokenWithAlteredCaveat() {
    Macaroon macaroon = Decode(kTwoCaveatsEscaped);
    macaroon.caveats[1].id = "account = 106";
    ASSERT_CODE(Code::kTokenInvalid,
                VerifyWithRoot(VerifierAt(kNow, {"account = 106"}), macaroon));
  }

  void testRejectsTokenWithRemovedCaveat() {
    // Dropping the expiry is the attack that matters.
    Macaroon macaroon = Decode(kTwoCaveatsEscaped);
    macaroon.caveats.erase(macaroon.caveats.begin());
    ASSERT_CODE(Code::kTokenInvalid,
                VerifyWithRoot(VerifierAt(kNow, {"account = 105"}), macaroon));
  }

  void testRejectsTokenWithAlteredIdentifier() {
    Macaroon macaroon = Decode(kTwoCaveatsEscaped);
    macaroon.identifier[0] = 'K';
    ASSERT_CODE(Code::kTokenInvalid,
                VerifyWithRoot(VerifierAt(kNow, {"account = 105"}), macaroon));
  }

  void testReportsBadSignatureBeforeAnyCaveatProblem() {
    Macaroon macaroon = MintWithCaveats({"time < 1000", "color = red"});
    ASSERT_CODE(Code::kTokenInvalid, VerifyWithRoot(VerifierAt(kNow), macaroon,
                                                    "another root secret"));
  }

  void testRejectsUnknownCaveatNamingIt() {
    Macaroon macaroon = MintWithCaveats({"time < 4102444800", "color = red"});
    Status status = VerifyWithRoot(VerifierAt(kNow), macaroon);
    ASSERT_CODE(Code::kTokenCaveatUnknown, status);
    CPPUNIT_ASSERT_EQUAL(std::string("color = red"),
                         DetailOf(status, "caveat"));
    CPPUNIT_ASSERT_EQUAL(std::string("tokenCaveatUnknown"),
                         std::string(status.error_id()));
  }

  void testVerifierWithoutCheckersRejectsEveryCaveat() {
    Status status =
        VerifyWithRoot(MacaroonVerifier(), Decode(kTwoCaveatsEscaped));
    ASSERT_CODE(Code::kTokenCaveatUnknown, status);
    CPPUNIT_ASSERT_EQUAL(std::string("time < 1522358333"),
                         DetailOf(status, "caveat"));
  }

  void testReportsUnknownCaveatBeforeUnverifiedOne() {
    // Whichever comes first in the token, unknown wins over unverified.
    for (const auto& caveats :
         {std::vector<std::string>{"time < 1000", "color = red"},
          std::vector<std::string>{"color = red", "time < 1000"}}) {
      Status status =
          VerifyWithRoot(VerifierAt(kNow), MintWithCaveats(caveats));
      ASSERT_CODE(Code::kTokenCaveatUnknown, status);
      CPPUNIT_ASSERT_EQUAL(std::string("color = red"),
                           DetailOf(status, "caveat"));
    }
  }

  void testRejectsExpiredTimeCaveatNamingIt() {
    Status status =
        VerifyWithRoot(VerifierAt(1522358333 + 3600, {"account = 105"}),
                       Decode(kTwoCaveatsEscaped));
    ASSERT_CODE(Code::kTokenCaveatUnverified, status);
    CPPUNIT_ASSERT_EQUAL(std::string("time < 1522358333"),
                         DetailOf(status, "caveat"));
    CPPUNIT_ASSERT_EQUAL(std::string("tokenCaveatUnverified"),
                         std::string(status.error_id()));
  }

  void testEveryTimeCaveatMustHoldSoTheSmallestWins() {
    // The V2 vector carries 1522358333 and 4102444800: the first decides.
    Macaroon v2 = Decode(kV2ThreeCaveats);
    ASSERT_CODE(Code::kOk,
                VerifyWithRoot(VerifierAt(kNow, {"account = 105"}), v2));
    Status late = VerifyWithRoot(VerifierAt(2000000000, {"account = 105"}), v2);
    ASSERT_CODE(Code::kTokenCaveatUnverified, late);
    CPPUNIT_ASSERT_EQUAL(std::string("time < 1522358333"),
                         DetailOf(late, "caveat"));

    // A client's shorter deadline appended after the server's, or before.
    Macaroon macaroon =
        MintWithCaveats({"time < 3000", "time < 1000", "time < 2000"});
    ASSERT_CODE(Code::kOk, VerifyWithRoot(VerifierAt(999), macaroon));
    for (int64_t now : {1000, 1500, 1999}) {
      Status status = VerifyWithRoot(VerifierAt(now), macaroon);
      ASSERT_CODE(Code::kTokenCaveatUnverified, status);
      CPPUNIT_ASSERT_EQUAL(std::string("time < 1000"),
                           DetailOf(status, "caveat"));
    }
    // Once several have passed, the first failing one in token order is named.
    Status status = VerifyWithRoot(VerifierAt(5000), macaroon);
    ASSERT_CODE(Code::kTokenCaveatUnverified, status);
    CPPUNIT_ASSERT_EQUAL(std::string("time < 3000"),
                         DetailOf(status, "caveat"));
  }

  void testTimeCaveatHoldsOnlyStrictlyBelowItsDeadline() {
    ASSERT_CAVEAT(CaveatResult::kSatisfied,
                  CheckTimeCaveat("time < 1522358333", 1522358332));
    ASSERT_CAVEAT(CaveatResult::kUnsatisfied,
                  CheckTimeCaveat("time < 1522358333", 1522358333));
    ASSERT_CAVEAT(CaveatResult::kUnsatisfied,
                  CheckTimeCaveat("time < 1522358333", 1522358334));
    ASSERT_CAVEAT(CaveatResult::kUnsatisfied, CheckTimeCaveat("time < 0", 0));

    Macaroon macaroon = MintWithCaveats({"time < 1522358333"});
    ASSERT_CODE(Code::kOk, VerifyWithRoot(VerifierAt(1522358332), macaroon));
    ASSERT_CODE(Code::kTokenCaveatUnverified,
                VerifyWithRoot(VerifierAt(1522358333), macaroon));
  }

  void testMalformedTimeCaveatIsUnsatisfiedNotUnknown() {
    for (const char* caveat :
         {"time < abc", "time < ", "time < -5", "time < +5", "time < 12abc",
          "time < 1.5", "time < 1e12", "time <  5", "time < 5 ", "time < 0x10",
          "time < 99999999999999999999", "time < 18446744073709551616"}) {
      ASSERT_CAVEAT(CaveatResult::kUnsatisfied, CheckTimeCaveat(caveat, 0));
      Status status = VerifyWithRoot(VerifierAt(0), MintWithCaveats({caveat}));
      ASSERT_CODE(Code::kTokenCaveatUnverified, status);
      CPPUNIT_ASSERT_EQUAL(std::string(caveat), DetailOf(status, "caveat"));
    }
  }

  void testCaveatsWithoutTheTimePrefixAreNotTimeCaveats() {
    for (const char* caveat : {"time<5", "time <5", "Time < 5", "time > 5",
                               "times < 5", " time < 5", "", "time"}) {
      ASSERT_CAVEAT(CaveatResult::kNotMine, CheckTimeCaveat(caveat, 0));
    }
  }

  void testParsesTheDeadlineOfWellFormedTimeCaveats() {
    int64_t deadline = -1;
    CPPUNIT_ASSERT(ParseTimeCaveat("time < 1522358333", &deadline));
    CPPUNIT_ASSERT_EQUAL(int64_t{1522358333}, deadline);
    CPPUNIT_ASSERT(ParseTimeCaveat("time < 007", &deadline));
    CPPUNIT_ASSERT_EQUAL(int64_t{7}, deadline);
    CPPUNIT_ASSERT(ParseTimeCaveat("time < 999999999999999999", &deadline));
    CPPUNIT_ASSERT_EQUAL(int64_t{999999999999999999}, deadline);
    CPPUNIT_ASSERT(!ParseTimeCaveat("time < abc", &deadline));
    CPPUNIT_ASSERT(!ParseTimeCaveat("color = red", &deadline));
  }

  void testCaveatIsUnsatisfiedIfAnyCheckerRejectsIt() {
    MacaroonVerifier verifier = VerifierAt(kNow, {"color = red"});
    verifier.AddChecker([](std::string_view caveat) {
      return caveat == "color = red" ? CaveatResult::kUnsatisfied
                                     : CaveatResult::kNotMine;
    });
    Status status = VerifyWithRoot(verifier, MintWithCaveats({"color = red"}));
    ASSERT_CODE(Code::kTokenCaveatUnverified, status);
    CPPUNIT_ASSERT_EQUAL(std::string("color = red"),
                         DetailOf(status, "caveat"));
  }

  void testCaveatIsUnderstoodIfAnyCheckerKnowsIt() {
    MacaroonVerifier verifier;
    verifier.AddChecker(
        [](std::string_view) { return CaveatResult::kNotMine; });
    verifier.AddChecker(ExactChecker("color = red"));
    verifier.AddChecker(TimeCheckerAt(kNow));
    ASSERT_CODE(
        Code::kOk,
        VerifyWithRoot(verifier,
                       MintWithCaveats({"color = red", "time < 4102444800"})));
  }

  void testChecksEveryCaveatEvenAfterAFailure() {
    // No early return: timing must not tell which check failed.
    std::vector<std::string> seen;
    MacaroonVerifier verifier;
    verifier.AddChecker([&seen](std::string_view caveat) {
      seen.emplace_back(caveat);
      return CheckTimeCaveat(caveat, kNow);
    });
    Macaroon macaroon =
        MintWithCaveats({"time < 1000", "color = red", "time < 2000"});
    ASSERT_CODE(Code::kTokenInvalid,
                VerifyWithRoot(verifier, macaroon, "wrong"));
    CPPUNIT_ASSERT_EQUAL(size_t{3}, seen.size());
    CPPUNIT_ASSERT_EQUAL(std::string("time < 2000"), seen[2]);
  }

  // The verifier must report a genuine third-party caveat (one signed as
  // libmacaroons and pymacaroons sign it) as unknown, per verifier.h.
  void testRejectsGenuineV1ThirdPartyCaveatAsUnknown() {
    Status status = VerifyWithRoot(VerifierAt(kNow, {"color = red"}),
                                   Decode(kThirdPartyV1));
    ASSERT_CODE(Code::kTokenCaveatUnknown, status);
    CPPUNIT_ASSERT_EQUAL(std::string("user = alice"),
                         DetailOf(status, "caveat"));
  }

  void testRejectsGenuineV2ThirdPartyCaveatAsUnknown() {
    Status status = VerifyWithRoot(VerifierAt(kNow, {"color = red"}),
                                   Decode(kThirdPartyV2));
    ASSERT_CODE(Code::kTokenCaveatUnknown, status);
    CPPUNIT_ASSERT_EQUAL(std::string("user = alice"),
                         DetailOf(status, "caveat"));
  }

  void testNamesTheThirdPartyCaveatWhenAnUnknownCaveatPrecedesIt() {
    // "Third-party caveats are not supported" must name the third-party one.
    Status status = VerifyWithRoot(VerifierAt(kNow), Decode(kThirdPartyV1));
    ASSERT_CODE(Code::kTokenCaveatUnknown, status);
    CPPUNIT_ASSERT_EQUAL(std::string("user = alice"),
                         DetailOf(status, "caveat"));
  }

  void testRejectsThirdPartyTokenWithForgedSignatureAsInvalid() {
    Macaroon macaroon = Decode(kThirdPartyV1);
    macaroon.signature[5] ^= 0x80;
    ASSERT_CODE(Code::kTokenInvalid,
                VerifyWithRoot(VerifierAt(kNow, {"color = red"}), macaroon));
  }

  void testNoMutationOfAValidTokenVerifies() {
    const std::string original = kTwoCaveatsEscaped;
    const std::string signed_content =
        SignedContent(Decode(kTwoCaveatsEscaped));
    MacaroonVerifier verifier = VerifierAt(kNow, {"account = 105"});
    SecretKey key = DeriveMacaroonKey(kRootSecret);
    std::mt19937 random(4102444800u);
    int decoded = 0;
    for (int round = 0; round < 3000; ++round) {
      std::string text = original;
      size_t at = random() % text.size();
      if (random() % 2 == 0) {
        text[at] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                [random() % 62];
      } else {
        text.erase(at, 1);
      }
      Macaroon macaroon;
      if (!DecodeToken(text, &macaroon).ok()) continue;
      ++decoded;
      // A mutation may only verify if it leaves the signed content as it
      // was; the location is a hint outside the signature, in every
      // macaroon library, so a changed location still verifies.
      if (verifier.Verify(macaroon, key).ok()) {
        CPPUNIT_ASSERT(SignedContent(macaroon) == signed_content);
      }
    }
    CPPUNIT_ASSERT(decoded > 0);  // some mutations reach the verifier
  }

  void testVerifiesConcurrentlyFromSeveralThreads() {
    const Macaroon macaroon = Decode(kV2ThreeCaveats);
    const MacaroonVerifier verifier = VerifierAt(kNow, {"account = 105"});
    const SecretKey key = DeriveMacaroonKey(kRootSecret);
    const SecretKey wrong = DeriveMacaroonKey("wrong");
    std::atomic<int> mistakes{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 500; ++i) {
          if (!verifier.Verify(macaroon, key).ok()) ++mistakes;
          if (verifier.Verify(macaroon, wrong).ok()) ++mistakes;
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    CPPUNIT_ASSERT_EQUAL(0, mistakes.load());
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(VerifierTest);

}  // namespace tokend
