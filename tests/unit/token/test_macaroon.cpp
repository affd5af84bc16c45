// Unit tests for macaroon.h: minting, attenuation, the V1 and V2 layouts,
// the accepted token encodings and the input limits.
//
// The known-answer vectors below were produced once with pymacaroons 0.13 and
// Python's hmac module (Debian 12, /usr/bin/python3), independently of this
// code, by this script:
//
//   import base64, hmac, hashlib
//   from pymacaroons import Macaroon, MACAROON_V2
//   from pymacaroons.serializers import BinarySerializer
//   ROOT = b'onezone-tokend unit test root secret'
//   ID = 'JUq4aKVBRMuE7qKlsPTyM_IKxzXesVuQR0c_2Wi9qY4'
//   esc = lambda s: ''.join({'0': '00', '_': '01', '-': '02', '/': '03',
//                            '+': '04', '=': '05'}.get(c, c) for c in s)
//   h = lambda k, m: hmac.new(k, m, hashlib.sha256).digest()
//   dk = h(b'macaroons-key-generator', ROOT)     # kDerivedKeyHex
//   s0 = h(dk, ID.encode())                        # kMintSignatureHex
//   s1 = h(s0, b'time < 1522358333')               # kOneCaveatSignatureHex
//   s2 = h(s1, b'account = 105')                   # kTwoCaveatsSignatureHex
//   m = Macaroon(location='onezone', identifier=ID, key=ROOT)
//   m.add_first_party_caveat('time < 1522358333')
//   m.add_first_party_caveat('account = 105')
//   raw = BinarySerializer().serialize_raw(m)
//   m.serialize()                                  # kTwoCaveatsUrl
//   esc(m.serialize())                             # kTwoCaveatsEscaped
//   base64.urlsafe_b64encode(raw)                  # kTwoCaveatsUrlPadded
//   base64.b64encode(raw)                          # kTwoCaveatsStandardPadded
//   esc(base64.b64encode(raw).decode())            # kTwoCaveatsStandardEscaped
//   m2 = Macaroon(location='onezone', identifier=ID, key=ROOT, version=2)
//   for c in ['time < 1522358333', 'time < 4102444800', 'account = 105']:
//       m2.add_first_party_caveat(c)
//   m2.serialize()                                 # kV2ThreeCaveats
//   Macaroon(location='onezone', identifier=ID, key=ROOT,
//            version=2).serialize()                # kV2NoCaveats
//   for v in (1, 2):                               # kThirdPartyV1, V2
//       t = Macaroon(location='onezone', identifier=ID, key=ROOT, version=v)
//       t.add_first_party_caveat('color = red')
//       t.add_third_party_caveat('https://auth.example.org',
//                                'third party shared key', 'user = alice')
//       t.serialize()
//
// The 'account = 105' caveat was picked because it makes the standard-base64
// form contain '+', '/' and "==" and the base64url form '-' and '_', so every
// escape pair and both alphabets are exercised.
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "tokend/common/limits.h"
#include "tokend/token/base64.h"
#include "tokend/token/macaroon.h"
#include "tokend/token/verifier.h"

namespace tokend {
namespace {

constexpr char kRootSecret[] = "onezone-tokend unit test root secret";
constexpr char kIdentifier[] = "JUq4aKVBRMuE7qKlsPTyM_IKxzXesVuQR0c_2Wi9qY4";
constexpr char kTimeCaveat[] = "time < 1522358333";
constexpr char kAccountCaveat[] = "account = 105";

constexpr char kDerivedKeyHex[] =
    "b48a65e07d5155981d9f2a21aa95b93e647c5f509d85286a2eee127df23574d3";
constexpr char kMintSignatureHex[] =
    "529c2d10d78d085abe67a0ac15d67306947229ea67c0840839cf381cf9cb95bc";
constexpr char kOneCaveatSignatureHex[] =
    "0266f776ad662019ad79c80c7c41580a85fdf21bacc9e3286dc2a723fac23a66";
constexpr char kTwoCaveatsSignatureHex[] =
    "86deb6291006b3e84003cccbb8ad461378bef9d42f3b3dc10f3bb26fca84efbd";

// One token (the two caveats above) in every encoding clients send.
constexpr char kTwoCaveatsEscaped[] =
    "MDAxNWxvY2F00aW9uIG9uZXpvbmUKMDAzYmlkZW500aWZpZXIgSlVxNGFLVkJSTXVFN3FLbH"
    "NQVHlNX00lLeHpYZXNWdVFSMGNfMldpOXFZNAowMDFhY2lkIHRpbWUgPCAxNTIyMzU4MzMzC"
    "jAwMTZjaWQgYWNjb3VudCA9IDEwNQowMDJmc2lnbmF00dXJlIIbetikQBrPoQAPMy7itRhN4"
    "vvnULzs9wQ87sm01KhO029Cg";
constexpr char kTwoCaveatsUrl[] =
    "MDAxNWxvY2F0aW9uIG9uZXpvbmUKMDAzYmlkZW50aWZpZXIgSlVxNGFLVkJSTXVFN3FLbHNQ"
    "VHlNX0lLeHpYZXNWdVFSMGNfMldpOXFZNAowMDFhY2lkIHRpbWUgPCAxNTIyMzU4MzMzCjAw"
    "MTZjaWQgYWNjb3VudCA9IDEwNQowMDJmc2lnbmF0dXJlIIbetikQBrPoQAPMy7itRhN4vvnU"
    "Lzs9wQ87sm_KhO-9Cg";
constexpr char kTwoCaveatsUrlPadded[] =
    "MDAxNWxvY2F0aW9uIG9uZXpvbmUKMDAzYmlkZW50aWZpZXIgSlVxNGFLVkJSTXVFN3FLbHNQ"
    "VHlNX0lLeHpYZXNWdVFSMGNfMldpOXFZNAowMDFhY2lkIHRpbWUgPCAxNTIyMzU4MzMzCjAw"
    "MTZjaWQgYWNjb3VudCA9IDEwNQowMDJmc2lnbmF0dXJlIIbetikQBrPoQAPMy7itRhN4vvnU"
    "Lzs9wQ87sm_KhO-9Cg==";
constexpr char kTwoCaveatsStandardPadded[] =
    "MDAxNWxvY2F0aW9uIG9uZXpvbmUKMDAzYmlkZW50aWZpZXIgSlVxNGFLVkJSTXVFN3FLbHNQ"
    "VHlNX0lLeHpYZXNWdVFSMGNfMldpOXFZNAowMDFhY2lkIHRpbWUgPCAxNTIyMzU4MzMzCjAw"
    "MTZjaWQgYWNjb3VudCA9IDEwNQowMDJmc2lnbmF0dXJlIIbetikQBrPoQAPMy7itRhN4vvnU"
    "Lzs9wQ87sm/KhO+9Cg==";
constexpr char kTwoCaveatsStandardEscaped[] =
    "MDAxNWxvY2F00aW9uIG9uZXpvbmUKMDAzYmlkZW500aWZpZXIgSlVxNGFLVkJSTXVFN3FLbH"
    "NQVHlNX00lLeHpYZXNWdVFSMGNfMldpOXFZNAowMDFhY2lkIHRpbWUgPCAxNTIyMzU4MzMzC"
    "jAwMTZjaWQgYWNjb3VudCA9IDEwNQowMDJmc2lnbmF00dXJlIIbetikQBrPoQAPMy7itRhN4"
    "vvnULzs9wQ87sm03KhO049Cg0505";

constexpr char kV2ThreeCaveats[] =
    "AgEHb25lem9uZQIrSlVxNGFLVkJSTXVFN3FLbHNQVHlNX0lLeHpYZXNWdVFSMGNfMldpOXFZ"
    "NAACEXRpbWUgPCAxNTIyMzU4MzMzAAIRdGltZSA8IDQxMDI0NDQ4MDAAAg1hY2NvdW50ID0g"
    "MTA1AAAGILi5ZcWm8CnvgIFMzXmYIqt0cbXnW5gWeOS9ITuwEuxL";
constexpr char kV2ThreeCaveatsSignatureHex[] =
    "b8b965c5a6f029ef80814ccd799822ab7471b5e75b981678e4bd213bb012ec4b";
constexpr char kV2NoCaveats[] =
    "AgEHb25lem9uZQIrSlVxNGFLVkJSTXVFN3FLbHNQVHlNX0lLeHpYZXNWdVFSMGNfMldpOXFZ"
    "NAAABiBSnC0Q140IWr5noKwV1nMGlHIp6mfAhAg5zzgc-cuVvA";

// A first-party caveat, then a third-party caveat (vid and cl packets in V1,
// a caveat location and a vid field in V2). pymacaroons encrypts the vid with
// a random nonce, so these were captured once; each vid is 72 bytes.
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

// Seed 001's real Onezone token, and the signature Python's base64 module
// reads out of it after unescaping.
constexpr char kSeed001Token[] =
    "MDAxNWxvY2F00aW9uIG9uZXpvbmUKMDAzYmlkZW500aWZpZXIgSlVxNGFLVkJSTXVFN3FLbH"
    "NQVHlNX00lLeHpYZXNWdVFSMGNfMldpOXFZNAowMDFhY2lkIHRpbWUgPCAxNTIyMzU4MzMz"
    "CjAwMmZzaWduYXR1cmUgv02ByyOA9802H02rPMB7Y9mIhDVAjYDmjAUjtrMs13znukK";
constexpr char kSeed001SignatureHex[] =
    "bfe072c8e03df3e1feacf301ed8f662210d50236039a30148edaccb35df39ee9";
// Seed 001's documented example response, corrupted in the docs ("JKAx").
constexpr char kSeed001CorruptedExample[] =
    "JKAxNWxvY2F0aW9uIG9uZXpvbmUKMDAzYmlkZW50aWZpZXIgOEhmSEFSSGdrbHFCa1pWSTRs"
    "Nk1CVHZTU3Z0OThwcHA2OTQ4czhRN1NPawowMDFhY2lkIHRpbWUgPCAxNDk2MTQwMTQ0CjAw"
    "MmZzaWduYXR1cmUg88OIBmav38YI0Z2-dw-fvrZ3XP-J0HjCN0taT3_WungK";

std::string Hex(const uint8_t* bytes, size_t size) {
  static const char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (size_t i = 0; i < size; ++i) {
    hex.push_back(kDigits[bytes[i] >> 4]);
    hex.push_back(kDigits[bytes[i] & 0xf]);
  }
  return hex;
}

std::string Hex(const Digest& digest) {
  return Hex(digest.data(), digest.size());
}

// Raw-byte builders written from the format description, not from the code
// under test, for inputs no library would produce (limits, broken layouts).
std::string V1Packet(const std::string& key, const std::string& value) {
  static const char kDigits[] = "0123456789abcdef";
  size_t length = 4 + key.size() + 1 + value.size() + 1;
  std::string packet;
  for (int shift = 12; shift >= 0; shift -= 4) {
    packet.push_back(kDigits[(length >> shift) & 0xf]);
  }
  return packet + key + " " + value + "\n";
}

const std::string kFakeSignature(32, 'S');

std::string V1Bytes(const std::string& location, const std::string& identifier,
                    const std::vector<std::string>& caveats) {
  std::string bytes =
      V1Packet("location", location) + V1Packet("identifier", identifier);
  for (const std::string& caveat : caveats) bytes += V1Packet("cid", caveat);
  return bytes + V1Packet("signature", kFakeSignature);
}

std::string V2Varint(size_t n) {
  std::string out;
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
  return out;
}

std::string V2Field(int type, const std::string& value) {
  return std::string(1, static_cast<char>(type)) + V2Varint(value.size()) +
         value;
}

const std::string kV2End(1, '\0');

std::string V2Bytes(const std::string& location, const std::string& identifier,
                    const std::vector<std::string>& caveats) {
  std::string bytes =
      "\x02" + V2Field(1, location) + V2Field(2, identifier) + kV2End;
  for (const std::string& caveat : caveats)
    bytes += V2Field(2, caveat) + kV2End;
  return bytes + kV2End + V2Field(6, kFakeSignature);
}

std::vector<std::string> ManyCaveats(size_t count) {
  std::vector<std::string> caveats;
  for (size_t i = 0; i < count; ++i) {
    caveats.push_back("time < " + std::to_string(4102444800 + i));
  }
  return caveats;
}

// Whether two macaroons say the same under their signature: locations
// are hints that no macaroon signs (libmacaroons neither), so they may
// differ.
bool SameSignedContent(const Macaroon& a, const Macaroon& b) {
  if (a.identifier != b.identifier ||
      a.signature != b.signature || a.caveats.size() != b.caveats.size()) {
    return false;
  }
  for (size_t i = 0; i < a.caveats.size(); ++i) {
    if (a.caveats[i].id != b.caveats[i].id ||
        a.caveats[i].verification_id != b.caveats[i].verification_id) {
      return false;
    }
  }
  return true;
}

Code DecodeCode(const std::string& text) {
  Macaroon macaroon;
  return DecodeToken(text, &macaroon).code();
}

Code ParseCode(const std::string& bytes) {
  Macaroon macaroon;
  return ParseMacaroonBytes(bytes, &macaroon).code();
}

std::string Describe(Code code) { return ErrorIdOf(code); }

#define ASSERT_CODE(expected, actual) \
  CPPUNIT_ASSERT_EQUAL(Describe(expected), Describe(actual))

}  // namespace

class MacaroonTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(MacaroonTest);
  CPPUNIT_TEST(testDerivesTheKeyAsLibmacaroonsDoes);
  CPPUNIT_TEST(testMintSignsTheIdentifierWithTheDerivedKey);
  CPPUNIT_TEST(testAddFirstPartyCaveatGivesThePymacaroonsSignature);
  CPPUNIT_TEST(testEncodeTokenIsByteExactOnezoneEscapedV1);
  CPPUNIT_TEST(testParsesTheRealTokenOfSeed001);
  CPPUNIT_TEST(testReencodesTheSeed001TokenByteForByte);
  CPPUNIT_TEST(testRejectsTheCorruptedExampleOfSeed001);
  CPPUNIT_TEST(testDecodesOnezoneEscapedToken);
  CPPUNIT_TEST(testDecodesPlainBase64UrlToken);
  CPPUNIT_TEST(testDecodesBase64UrlTokenWithPadding);
  CPPUNIT_TEST(testDecodesStandardBase64TokenWithPadding);
  CPPUNIT_TEST(testDecodesStandardBase64TokenWithoutPadding);
  CPPUNIT_TEST(testDecodesOnezoneEscapedStandardBase64Token);
  CPPUNIT_TEST(testDecodesTokenWithSurroundingWhitespace);
  CPPUNIT_TEST(testRejectsWhitespaceInsideToken);
  CPPUNIT_TEST(testRejectsEmptyOrBlankToken);
  CPPUNIT_TEST(testEncodedTokenDecodesToTheSameMacaroon);
  CPPUNIT_TEST(testParsesPymacaroonsV2TokenWithSeveralCaveats);
  CPPUNIT_TEST(testParsesPymacaroonsV2TokenWithoutCaveats);
  CPPUNIT_TEST(testParsesV1ThirdPartyCaveatPackets);
  CPPUNIT_TEST(testParsesV2ThirdPartyCaveatFields);
  CPPUNIT_TEST(testRejectsEveryTruncationOfATokenText);
  CPPUNIT_TEST(testRejectsEveryTruncationOfV1Bytes);
  CPPUNIT_TEST(testRejectsEveryTruncationOfV2Bytes);
  CPPUNIT_TEST(testRejectsTokenTextLongerThanTheLimit);
  CPPUNIT_TEST(testLimitCountsWhitespaceBeforeTrimming);
  CPPUNIT_TEST(testAcceptsExactlyTheMaximumNumberOfCaveats);
  CPPUNIT_TEST(testRejectsMoreThanTheMaximumNumberOfV1Caveats);
  CPPUNIT_TEST(testRejectsMoreThanTheMaximumNumberOfV2Caveats);
  CPPUNIT_TEST(testDescribesWhyAnEscapedTokenIsRejected);
  CPPUNIT_TEST(testAcceptsFieldsExactlyAtTheirLimits);
  CPPUNIT_TEST(testRejectsV1FieldsLongerThanTheirLimits);
  CPPUNIT_TEST(testRejectsV2FieldsLongerThanTheirLimits);
  CPPUNIT_TEST(testRejectsV1PacketsOutOfOrder);
  CPPUNIT_TEST(testRejectsV1ThirdPartyPacketBeforeAnyCaveat);
  CPPUNIT_TEST(testRejectsV1UnknownPacket);
  CPPUNIT_TEST(testRejectsV1BrokenPacketFraming);
  CPPUNIT_TEST(testRejectsSignatureThatIsNot32Bytes);
  CPPUNIT_TEST(testRejectsDataAfterTheSignature);
  CPPUNIT_TEST(testRejectsRandomBytesWithoutCrashing);
  CPPUNIT_TEST(testRejectsRandomBase64TextWithoutCrashing);
  CPPUNIT_TEST(testNoRandomMutationOfATokenGivesAnotherValidToken);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testDerivesTheKeyAsLibmacaroonsDoes() {
    SecretKey key = DeriveMacaroonKey(kRootSecret);
    CPPUNIT_ASSERT_EQUAL(std::string(kDerivedKeyHex),
                         Hex(key.data(), key.size()));
  }

  void testMintSignsTheIdentifierWithTheDerivedKey() {
    Macaroon macaroon = Mint();
    CPPUNIT_ASSERT_EQUAL(std::string("onezone"), macaroon.location);
    CPPUNIT_ASSERT_EQUAL(std::string(kIdentifier), macaroon.identifier);
    CPPUNIT_ASSERT(macaroon.caveats.empty());
    CPPUNIT_ASSERT_EQUAL(std::string(kMintSignatureHex),
                         Hex(macaroon.signature));
  }

  void testAddFirstPartyCaveatGivesThePymacaroonsSignature() {
    Macaroon macaroon = Mint();
    AddFirstPartyCaveat(&macaroon, kTimeCaveat);
    CPPUNIT_ASSERT_EQUAL(std::string(kOneCaveatSignatureHex),
                         Hex(macaroon.signature));
    AddFirstPartyCaveat(&macaroon, kAccountCaveat);
    CPPUNIT_ASSERT_EQUAL(std::string(kTwoCaveatsSignatureHex),
                         Hex(macaroon.signature));
    CPPUNIT_ASSERT_EQUAL(size_t{2}, macaroon.caveats.size());
    CPPUNIT_ASSERT_EQUAL(std::string(kAccountCaveat), macaroon.caveats[1].id);
    CPPUNIT_ASSERT(!macaroon.caveats[1].third_party());
  }

  void testEncodeTokenIsByteExactOnezoneEscapedV1() {
    Macaroon macaroon = MintTwoCaveats();
    CPPUNIT_ASSERT_EQUAL(std::string(kTwoCaveatsEscaped),
                         EncodeToken(macaroon));
    CPPUNIT_ASSERT_EQUAL(std::string(kTwoCaveatsUrl),
                         Base64UrlEncode(SerializeV1(macaroon)));
  }

  void testParsesTheRealTokenOfSeed001() {
    Macaroon macaroon;
    Status status = DecodeToken(kSeed001Token, &macaroon);
    CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
    CPPUNIT_ASSERT_EQUAL(std::string("onezone"), macaroon.location);
    CPPUNIT_ASSERT_EQUAL(size_t{43}, macaroon.identifier.size());
    CPPUNIT_ASSERT_EQUAL(std::string(kIdentifier), macaroon.identifier);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, macaroon.caveats.size());
    CPPUNIT_ASSERT_EQUAL(std::string("time < 1522358333"),
                         macaroon.caveats[0].id);
    CPPUNIT_ASSERT_EQUAL(std::string(kSeed001SignatureHex),
                         Hex(macaroon.signature));
  }

  void testReencodesTheSeed001TokenByteForByte() {
    Macaroon macaroon;
    CPPUNIT_ASSERT(DecodeToken(kSeed001Token, &macaroon).ok());
    CPPUNIT_ASSERT_EQUAL(std::string(kSeed001Token), EncodeToken(macaroon));
  }

  void testRejectsTheCorruptedExampleOfSeed001() {
    ASSERT_CODE(Code::kBadToken, DecodeCode(kSeed001CorruptedExample));
  }

  void testDecodesOnezoneEscapedToken() {
    AssertDecodesTwoCaveats(kTwoCaveatsEscaped);
  }
  void testDecodesPlainBase64UrlToken() {
    AssertDecodesTwoCaveats(kTwoCaveatsUrl);
  }
  void testDecodesBase64UrlTokenWithPadding() {
    AssertDecodesTwoCaveats(kTwoCaveatsUrlPadded);
  }
  void testDecodesStandardBase64TokenWithPadding() {
    AssertDecodesTwoCaveats(kTwoCaveatsStandardPadded);
  }
  void testDecodesStandardBase64TokenWithoutPadding() {
    std::string unpadded = kTwoCaveatsStandardPadded;
    unpadded.resize(unpadded.size() - 2);
    AssertDecodesTwoCaveats(unpadded);
  }
  void testDecodesOnezoneEscapedStandardBase64Token() {
    AssertDecodesTwoCaveats(kTwoCaveatsStandardEscaped);
  }

  void testDecodesTokenWithSurroundingWhitespace() {
    AssertDecodesTwoCaveats(std::string("  ") + kTwoCaveatsEscaped + "\r\n");
    AssertDecodesTwoCaveats(std::string("\t") + kTwoCaveatsUrl + " \n");
    AssertDecodesTwoCaveats(std::string("\n") + kTwoCaveatsStandardPadded +
                            "\t");
  }

  void testRejectsWhitespaceInsideToken() {
    std::string text = kTwoCaveatsEscaped;
    text.insert(40, " ");
    ASSERT_CODE(Code::kBadToken, DecodeCode(text));
  }

  void testRejectsEmptyOrBlankToken() {
    ASSERT_CODE(Code::kBadToken, DecodeCode(""));
    ASSERT_CODE(Code::kBadToken, DecodeCode(" \t\r\n"));
    ASSERT_CODE(Code::kBadToken, ParseCode(""));
  }

  void testEncodedTokenDecodesToTheSameMacaroon() {
    Macaroon original = MintTwoCaveats();
    AddFirstPartyCaveat(&original, "name = a b\tc\x01\xff");
    Macaroon decoded;
    CPPUNIT_ASSERT(DecodeToken(EncodeToken(original), &decoded).ok());
    CPPUNIT_ASSERT_EQUAL(original.location, decoded.location);
    CPPUNIT_ASSERT_EQUAL(original.identifier, decoded.identifier);
    CPPUNIT_ASSERT_EQUAL(original.caveats.size(), decoded.caveats.size());
    for (size_t i = 0; i < original.caveats.size(); ++i) {
      CPPUNIT_ASSERT_EQUAL(original.caveats[i].id, decoded.caveats[i].id);
    }
    CPPUNIT_ASSERT_EQUAL(Hex(original.signature), Hex(decoded.signature));
  }

  void testParsesPymacaroonsV2TokenWithSeveralCaveats() {
    Macaroon macaroon;
    Status status = DecodeToken(kV2ThreeCaveats, &macaroon);
    CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
    CPPUNIT_ASSERT_EQUAL(std::string("onezone"), macaroon.location);
    CPPUNIT_ASSERT_EQUAL(std::string(kIdentifier), macaroon.identifier);
    CPPUNIT_ASSERT_EQUAL(size_t{3}, macaroon.caveats.size());
    CPPUNIT_ASSERT_EQUAL(std::string("time < 1522358333"),
                         macaroon.caveats[0].id);
    CPPUNIT_ASSERT_EQUAL(std::string("time < 4102444800"),
                         macaroon.caveats[1].id);
    CPPUNIT_ASSERT_EQUAL(std::string("account = 105"), macaroon.caveats[2].id);
    for (const Caveat& caveat : macaroon.caveats) {
      CPPUNIT_ASSERT(!caveat.third_party());
      CPPUNIT_ASSERT(caveat.location.empty());
    }
    CPPUNIT_ASSERT_EQUAL(std::string(kV2ThreeCaveatsSignatureHex),
                         Hex(macaroon.signature));
    // Clients may send V2 Onezone-escaped too.
    CPPUNIT_ASSERT(DecodeToken(OnezoneEscape(kV2ThreeCaveats), &macaroon).ok());
    CPPUNIT_ASSERT_EQUAL(size_t{3}, macaroon.caveats.size());
  }

  void testParsesPymacaroonsV2TokenWithoutCaveats() {
    Macaroon macaroon;
    Status status = DecodeToken(kV2NoCaveats, &macaroon);
    CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
    CPPUNIT_ASSERT_EQUAL(std::string("onezone"), macaroon.location);
    CPPUNIT_ASSERT_EQUAL(std::string(kIdentifier), macaroon.identifier);
    CPPUNIT_ASSERT(macaroon.caveats.empty());
    CPPUNIT_ASSERT_EQUAL(std::string(kMintSignatureHex),
                         Hex(macaroon.signature));
  }

  void testParsesV1ThirdPartyCaveatPackets() {
    AssertParsesThirdPartyCaveat(kThirdPartyV1);
  }

  void testParsesV2ThirdPartyCaveatFields() {
    AssertParsesThirdPartyCaveat(kThirdPartyV2);
  }

  void testRejectsEveryTruncationOfATokenText() {
    for (const std::string text :
         {kTwoCaveatsEscaped, kTwoCaveatsUrl, kTwoCaveatsStandardPadded,
          kV2ThreeCaveats}) {
      for (size_t length = 0; length < text.size(); ++length) {
        // Dropping only padding still leaves a whole token.
        if (text.find_first_not_of('=', length) == std::string::npos) continue;
        ASSERT_CODE(Code::kBadToken, DecodeCode(text.substr(0, length)));
      }
    }
  }

  void testRejectsEveryTruncationOfV1Bytes() {
    std::string bytes = SerializeV1(MintTwoCaveats());
    for (size_t length = 0; length < bytes.size(); ++length) {
      ASSERT_CODE(Code::kBadToken, ParseCode(bytes.substr(0, length)));
    }
  }

  void testRejectsEveryTruncationOfV2Bytes() {
    std::string bytes;
    CPPUNIT_ASSERT(Base64DecodeLenient(kV2ThreeCaveats, &bytes));
    for (size_t length = 0; length < bytes.size(); ++length) {
      ASSERT_CODE(Code::kBadToken, ParseCode(bytes.substr(0, length)));
    }
  }

  void testRejectsTokenTextLongerThanTheLimit() {
    ASSERT_CODE(Code::kBadToken,
                DecodeCode(std::string(kMaxTokenBytes + 1, 'A')));
    // A token within every other limit is refused for its size alone.
    std::vector<std::string> caveats(20,
                                     std::string(kMaxCaveatBytes - 96, 'c'));
    std::string bytes = V1Bytes("onezone", "id", caveats);
    ASSERT_CODE(Code::kOk, ParseCode(bytes));
    std::string text = Base64UrlEncode(bytes);
    CPPUNIT_ASSERT(text.size() > kMaxTokenBytes);
    ASSERT_CODE(Code::kBadToken, DecodeCode(text));
  }

  void testLimitCountsWhitespaceBeforeTrimming() {
    std::string text = kTwoCaveatsEscaped;
    std::string at_limit =
        text + std::string(kMaxTokenBytes - text.size(), ' ');
    ASSERT_CODE(Code::kOk, DecodeCode(at_limit));
    ASSERT_CODE(Code::kBadToken, DecodeCode(at_limit + " "));
  }

  void testAcceptsExactlyTheMaximumNumberOfCaveats() {
    Macaroon macaroon;
    CPPUNIT_ASSERT(
        ParseMacaroonBytes(V1Bytes("onezone", "id", ManyCaveats(kMaxCaveats)),
                           &macaroon)
            .ok());
    CPPUNIT_ASSERT_EQUAL(kMaxCaveats, macaroon.caveats.size());
    CPPUNIT_ASSERT(
        ParseMacaroonBytes(V2Bytes("onezone", "id", ManyCaveats(kMaxCaveats)),
                           &macaroon)
            .ok());
    CPPUNIT_ASSERT_EQUAL(kMaxCaveats, macaroon.caveats.size());
  }

  void testRejectsMoreThanTheMaximumNumberOfV1Caveats() {
    std::string bytes = V1Bytes("onezone", "id", ManyCaveats(kMaxCaveats + 1));
    ASSERT_CODE(Code::kBadToken, ParseCode(bytes));
    ASSERT_CODE(Code::kBadToken, DecodeCode(Base64UrlEncode(bytes)));
    ASSERT_CODE(Code::kBadToken,
                DecodeCode(OnezoneEscape(Base64UrlEncode(bytes))));
  }

  void testRejectsMoreThanTheMaximumNumberOfV2Caveats() {
    std::string bytes = V2Bytes("onezone", "id", ManyCaveats(kMaxCaveats + 1));
    ASSERT_CODE(Code::kBadToken, ParseCode(bytes));
    ASSERT_CODE(Code::kBadToken, DecodeCode(Base64UrlEncode(bytes)));
  }

  void testDescribesWhyAnEscapedTokenIsRejected() {
    // macaroon.h: "Errors are kBadToken with a description of what is
    // wrong". For the escaped form Onezone itself sends, the reason must be
    // the one found in the escaped reading, not in the plain-base64 reading
    // tried after it.
    std::string too_many =
        V1Bytes("onezone", "id", ManyCaveats(kMaxCaveats + 1));
    std::string too_long =
        V1Bytes("onezone", "id", {std::string(kMaxCaveatBytes + 1, 'c')});
    for (const std::string& bytes : {too_many, too_long}) {
      Macaroon macaroon;
      Status plain = DecodeToken(Base64UrlEncode(bytes), &macaroon);
      Status escaped =
          DecodeToken(OnezoneEscape(Base64UrlEncode(bytes)), &macaroon);
      ASSERT_CODE(Code::kBadToken, escaped.code());
      CPPUNIT_ASSERT_EQUAL(plain.description(), escaped.description());
    }
  }

  void testAcceptsFieldsExactlyAtTheirLimits() {
    const std::string location(kMaxLocationBytes, 'l');
    const std::string identifier(kMaxIdentifierBytes, 'i');
    const std::string caveat(kMaxCaveatBytes, 'c');
    ASSERT_CODE(Code::kOk, ParseCode(V1Bytes(location, identifier, {caveat})));
    ASSERT_CODE(Code::kOk, ParseCode(V2Bytes(location, identifier, {caveat})));
  }

  void testRejectsV1FieldsLongerThanTheirLimits() {
    const std::string location(kMaxLocationBytes + 1, 'l');
    const std::string identifier(kMaxIdentifierBytes + 1, 'i');
    const std::string caveat(kMaxCaveatBytes + 1, 'c');
    ASSERT_CODE(Code::kBadToken, ParseCode(V1Bytes(location, "id", {})));
    ASSERT_CODE(Code::kBadToken, ParseCode(V1Bytes("onezone", identifier, {})));
    ASSERT_CODE(Code::kBadToken, ParseCode(V1Bytes("onezone", "id", {caveat})));
    ASSERT_CODE(
        Code::kBadToken,
        DecodeCode(Base64UrlEncode(V1Bytes("onezone", "id", {caveat}))));
    // Third-party fields share the caveat limit.
    std::string base = V1Packet("location", "onezone") +
                       V1Packet("identifier", "id") + V1Packet("cid", "third");
    ASSERT_CODE(Code::kBadToken,
                ParseCode(base + V1Packet("vid", caveat) + V1Packet("cl", "x") +
                          V1Packet("signature", kFakeSignature)));
    ASSERT_CODE(Code::kBadToken,
                ParseCode(base + V1Packet("vid", "v") + V1Packet("cl", caveat) +
                          V1Packet("signature", kFakeSignature)));
  }

  void testRejectsV2FieldsLongerThanTheirLimits() {
    const std::string location(kMaxLocationBytes + 1, 'l');
    const std::string identifier(kMaxIdentifierBytes + 1, 'i');
    const std::string caveat(kMaxCaveatBytes + 1, 'c');
    ASSERT_CODE(Code::kBadToken, ParseCode(V2Bytes(location, "id", {})));
    ASSERT_CODE(Code::kBadToken, ParseCode(V2Bytes("onezone", identifier, {})));
    ASSERT_CODE(Code::kBadToken, ParseCode(V2Bytes("onezone", "id", {caveat})));
    std::string head =
        "\x02" + V2Field(1, "onezone") + V2Field(2, "id") + kV2End;
    std::string tail = kV2End + V2Field(6, kFakeSignature);
    ASSERT_CODE(Code::kBadToken,
                ParseCode(head + V2Field(1, location) + V2Field(2, "c") +
                          V2Field(4, "v") + kV2End + tail));
    ASSERT_CODE(Code::kBadToken,
                ParseCode(head + V2Field(1, "x") + V2Field(2, "c") +
                          V2Field(4, caveat) + kV2End + tail));
  }

  void testRejectsV1PacketsOutOfOrder() {
    std::string signature = V1Packet("signature", kFakeSignature);
    ASSERT_CODE(Code::kBadToken,
                ParseCode(V1Packet("identifier", "id") +
                          V1Packet("location", "l") + signature));
    ASSERT_CODE(Code::kBadToken,
                ParseCode(V1Packet("location", "l") + V1Packet("cid", "c") +
                          V1Packet("identifier", "id") + signature));
    ASSERT_CODE(
        Code::kBadToken,
        ParseCode(V1Packet("location", "l") + V1Packet("identifier", "id") +
                  V1Packet("location", "l") + signature));
  }

  void testRejectsV1ThirdPartyPacketBeforeAnyCaveat() {
    std::string head = V1Packet("location", "l") + V1Packet("identifier", "id");
    std::string signature = V1Packet("signature", kFakeSignature);
    ASSERT_CODE(Code::kBadToken,
                ParseCode(head + V1Packet("vid", "v") + signature));
    ASSERT_CODE(Code::kBadToken,
                ParseCode(head + V1Packet("cl", "c") + signature));
  }

  void testRejectsV1UnknownPacket() {
    std::string head = V1Packet("location", "l") + V1Packet("identifier", "id");
    ASSERT_CODE(Code::kBadToken,
                ParseCode(head + V1Packet("cav", "time < 1") +
                          V1Packet("signature", kFakeSignature)));
  }

  void testRejectsV1BrokenPacketFraming() {
    std::string good = V1Bytes("onezone", "id", {"time < 1"});
    ASSERT_CODE(Code::kOk, ParseCode(good));
    // Length field not hexadecimal, zero, too small, longer than the input.
    ASSERT_CODE(Code::kBadToken, ParseCode("00x5" + good.substr(4)));
    ASSERT_CODE(Code::kBadToken, ParseCode("0000" + good.substr(4)));
    ASSERT_CODE(Code::kBadToken, ParseCode("0005" + good.substr(4)));
    ASSERT_CODE(Code::kBadToken, ParseCode("ffff" + good.substr(4)));
    // A packet that does not end in a newline, and one without a space.
    std::string no_newline = good;
    no_newline[V1Packet("location", "onezone").size() - 1] = 'X';
    ASSERT_CODE(Code::kBadToken, ParseCode(no_newline));
    ASSERT_CODE(Code::kBadToken,
                ParseCode("0010locationxyz\n" + good.substr(0x15)));
  }

  void testRejectsSignatureThatIsNot32Bytes() {
    std::string head = V1Packet("location", "l") + V1Packet("identifier", "id");
    ASSERT_CODE(Code::kBadToken,
                ParseCode(head + V1Packet("signature", std::string(31, 'S'))));
    ASSERT_CODE(Code::kBadToken,
                ParseCode(head + V1Packet("signature", std::string(33, 'S'))));
    std::string v2 = "\x02" + V2Field(2, "id") + kV2End + kV2End;
    ASSERT_CODE(Code::kOk, ParseCode(v2 + V2Field(6, std::string(32, 'S'))));
    ASSERT_CODE(Code::kBadToken,
                ParseCode(v2 + V2Field(6, std::string(31, 'S'))));
    ASSERT_CODE(Code::kBadToken,
                ParseCode(v2 + V2Field(6, std::string(33, 'S'))));
  }

  void testRejectsDataAfterTheSignature() {
    ASSERT_CODE(Code::kBadToken, ParseCode(V1Bytes("l", "id", {}) + "x"));
    ASSERT_CODE(Code::kBadToken, ParseCode(V1Bytes("l", "id", {}) +
                                           V1Packet("cid", "time < 1")));
    ASSERT_CODE(Code::kBadToken, ParseCode(V2Bytes("l", "id", {}) + kV2End));
  }

  void testRejectsRandomBytesWithoutCrashing() {
    std::mt19937 random(20180329);
    for (int round = 0; round < 3000; ++round) {
      std::string bytes(random() % 300, '\0');
      for (char& c : bytes) c = static_cast<char>(random());
      // Also steer half the inputs into each layout's parser.
      if (round % 3 == 1 && !bytes.empty()) bytes[0] = '\x02';
      if (round % 3 == 2 && bytes.size() > 4) bytes.replace(0, 4, "0015");
      ASSERT_CODE(Code::kBadToken, ParseCode(bytes));
      ASSERT_CODE(Code::kBadToken, DecodeCode(bytes));
    }
  }

  void testRejectsRandomBase64TextWithoutCrashing() {
    static const char kChars[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=";
    std::mt19937 random(20200202);
    for (int round = 0; round < 3000; ++round) {
      std::string text(random() % 400, 'A');
      for (char& c : text) c = kChars[random() % (sizeof(kChars) - 1)];
      if (round % 2 == 0 && text.size() >= 4) text.replace(0, 4, "MDAx");
      if (round % 4 == 1 && text.size() >= 2) text.replace(0, 2, "Ag");
      ASSERT_CODE(Code::kBadToken, DecodeCode(text));
    }
  }

  // A mutated token either fails to parse (kBadToken, never a crash or
  // another error) or parses; what parses says the same under its
  // signature, or its signature no longer verifies. No edit of a token's
  // text yields a different token that is still valid.
  void testNoRandomMutationOfATokenGivesAnotherValidToken() {
    std::mt19937 random(1522358333);
    const SecretKey key = DeriveMacaroonKey(kRootSecret);
    MacaroonVerifier signature_only;
    signature_only.AddChecker(
        [](std::string_view) { return CaveatResult::kSatisfied; });
    int changed = 0;
    for (const std::string original_text : {kTwoCaveatsEscaped, kV2ThreeCaveats}) {
      Macaroon original;
      CPPUNIT_ASSERT(DecodeToken(original_text, &original).ok());
      CPPUNIT_ASSERT(signature_only.Verify(original, key).ok());
      for (int round = 0; round < 2000; ++round) {
        std::string text = original_text;
        int edits = 1 + random() % 3;
        for (int i = 0; i < edits; ++i) {
          size_t at = random() % text.size();
          switch (random() % 3) {
            case 0:
              text[at] = static_cast<char>(random());
              break;
            case 1:
              text.erase(at, 1);
              break;
            default:
              text.insert(at, 1, static_cast<char>(random()));
              break;
          }
        }
        Macaroon mutated;
        Status status = DecodeToken(text, &mutated);
        if (!status.ok()) {
          ASSERT_CODE(Code::kBadToken, status.code());
          continue;
        }
        Status verified = signature_only.Verify(mutated, key);
        if (SameSignedContent(mutated, original)) {
          CPPUNIT_ASSERT_MESSAGE(text, verified.ok());
        } else {
          ++changed;
          ASSERT_CODE(Code::kTokenInvalid, verified.code());
        }
      }
    }
    // The property was put to the test: many edits parse as another
    // macaroon (a changed signature or caveat byte).
    CPPUNIT_ASSERT_MESSAGE(std::to_string(changed), changed >= 100);
  }

 private:
  static Macaroon Mint() {
    return MintMacaroon(DeriveMacaroonKey(kRootSecret), "onezone", kIdentifier);
  }

  static Macaroon MintTwoCaveats() {
    Macaroon macaroon = Mint();
    AddFirstPartyCaveat(&macaroon, kTimeCaveat);
    AddFirstPartyCaveat(&macaroon, kAccountCaveat);
    return macaroon;
  }

  static void AssertDecodesTwoCaveats(const std::string& text) {
    Macaroon macaroon;
    Status status = DecodeToken(text, &macaroon);
    CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
    CPPUNIT_ASSERT_EQUAL(std::string("onezone"), macaroon.location);
    CPPUNIT_ASSERT_EQUAL(std::string(kIdentifier), macaroon.identifier);
    CPPUNIT_ASSERT_EQUAL(size_t{2}, macaroon.caveats.size());
    CPPUNIT_ASSERT_EQUAL(std::string(kTimeCaveat), macaroon.caveats[0].id);
    CPPUNIT_ASSERT_EQUAL(std::string(kAccountCaveat), macaroon.caveats[1].id);
    CPPUNIT_ASSERT_EQUAL(std::string(kTwoCaveatsSignatureHex),
                         Hex(macaroon.signature));
  }

  static void AssertParsesThirdPartyCaveat(const char* text) {
    Macaroon macaroon;
    Status status = DecodeToken(text, &macaroon);
    CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
    CPPUNIT_ASSERT_EQUAL(size_t{2}, macaroon.caveats.size());
    CPPUNIT_ASSERT_EQUAL(std::string("color = red"), macaroon.caveats[0].id);
    CPPUNIT_ASSERT(!macaroon.caveats[0].third_party());
    const Caveat& third = macaroon.caveats[1];
    CPPUNIT_ASSERT_EQUAL(std::string("user = alice"), third.id);
    CPPUNIT_ASSERT(third.third_party());
    CPPUNIT_ASSERT_EQUAL(size_t{72}, third.verification_id.size());
    CPPUNIT_ASSERT_EQUAL(std::string("https://auth.example.org"),
                         third.location);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MacaroonTest);

}  // namespace tokend
