// Unit tests for access_token.h and token_keys.h: access-token identifiers,
// user ids, minting, per-token key derivation from the master secret, and
// the master secret file.
//
// Known answers were computed independently of this code with Python's
// hmac and hashlib (/usr/bin/python3, Debian 12):
//   master = bytes(range(32))
//   nonce  = base64url-nopad(bytes(range(12)))    # 12 bytes, 16 characters
//   ident  = "acc.0123456789abcdef0123456789abcdef.AAECAwQFBgcICQoL"
//   root   = hmac.new(master, b"onezone-tokend/v1 root\x00" + ident.encode(),
//                     hashlib.sha256).digest()
//   chain  = hmac.new(b"macaroons-key-generator".ljust(32, b"\0"), root,
//                     hashlib.sha256).digest()
//   sig    = hmac(hmac(chain, ident), b"time < 1900000000")
//   token  = Onezone-escape(base64url-nopad(V1 packets location, identifier,
//            cid, signature))
// and the token checked against pymacaroons (Macaroon(location, ident,
// key=root) with the same caveat serializes to the same V1 bytes, and its
// Verifier accepts it).
//   user id of NAME = hashlib.sha256(b"onezone-tokend user id\n" +
//                                    NAME.encode()).hexdigest()[:32]
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "../temporary_directory.h"
#include "tokend/common/crypto.h"
#include "tokend/common/text.h"
#include "tokend/token/macaroon.h"
#include "tokend/token/token_check.h"
#include "tokend/token/token_keys.h"
#include "tokend/token/token_ref.h"
#include "tokend/token/verifier.h"

namespace tokend {
namespace {

constexpr char kUserId[] = "0123456789abcdef0123456789abcdef";
constexpr char kNonce[] = "AAECAwQFBgcICQoL";  // base64url of bytes 0..11
constexpr char kIdentifier[] =
    "acc.0123456789abcdef0123456789abcdef.AAECAwQFBgcICQoL";
constexpr char kRootSecretHex[] =
    "9e0cb725acf709539b717ad22f9709077e2fb17df6e8d0a5821bb4db3a5a39e8";
constexpr char kChainKeyHex[] =
    "bebe0923a8eea098b6a2293cbf7ae3c6e69bb983c1bc7882f261856114651a92";
constexpr int64_t kExpiry = 1900000000;
constexpr char kToken[] =
    "MDAxNWxvY2F00aW9uIG9uZXpvbmUKMDA00NWlkZW500aWZpZXIgYWNjLjAxMjM00NTY3ODlh"
    "YmNkZWYwMTIzNDU2Nzg5YWJjZGVmLkFBRUNBd1FGQmdjSUNRb00wKMDAxYWNpZCB00aW1lIDwg"
    "MTkwMDAwMDAwMAowMDJmc2lnbmF00dXJlIKDPlOsio56w6UByP100xvJdaBqd02qNK301Sc00"
    "t5Jv022xnCg";
// The identifier of the same token as minted before nonces were shortened
// (16 random bytes, 22 characters): now malformed.
constexpr char kOldLengthIdentifier[] =
    "acc.0123456789abcdef0123456789abcdef.AAECAwQFBgcICQoLDA0ODw";

SecretKey MasterFrom(uint8_t first) {
  Digest bytes;
  for (size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = static_cast<uint8_t>(first + i);
  }
  return SecretKey(bytes);
}

std::string Hex(const SecretKey& key) {
  return HexEncode(key.data(), key.size());
}

AccessTokenId KnownId() { return AccessTokenId{kUserId, kNonce}; }

std::string Describe(Code code) { return ErrorIdOf(code); }

Macaroon Decode(const std::string& token) {
  Macaroon macaroon;
  Status status = DecodeToken(token, &macaroon);
  CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
  return macaroon;
}

MacaroonVerifier VerifierAt(int64_t now) {
  MacaroonVerifier verifier;
  verifier.AddChecker(
      [now](std::string_view caveat) { return CheckTimeCaveat(caveat, now); });
  return verifier;
}

}  // namespace

class AccessTokenTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(AccessTokenTest);
  CPPUNIT_TEST(testIdentifierHasKindUserIdAndNonce);
  CPPUNIT_TEST(testIdentifierRoundTrips);
  CPPUNIT_TEST(testFreshNonceMakesAParsableIdentifier);
  CPPUNIT_TEST(testFreshNoncesAreBase64UrlAndDistinct);
  CPPUNIT_TEST(testForkedWorkersDrawDifferentNonces);
  CPPUNIT_TEST(testRejectsIdentifierWithWrongPrefix);
  CPPUNIT_TEST(testRejectsIdentifierWithBadUserId);
  CPPUNIT_TEST(testRejectsIdentifierWithBadNonce);
  CPPUNIT_TEST(testRejectsTokensWithNoncesOfTheFormerLength);
  CPPUNIT_TEST(testRejectsIdentifierWithMisplacedSeparators);
  CPPUNIT_TEST(testRejectsIdentifierWithSurroundingBytes);
  CPPUNIT_TEST(testUserNameDigestIs32LowercaseHexDigits);
  CPPUNIT_TEST(testUserNameDigestIsStableAcrossVersions);
  CPPUNIT_TEST(testUserNameDigestDiffersBetweenNames);
  CPPUNIT_TEST(testMintedTokenDecodesToLocationIdentifierAndOneTimeCaveat);
  CPPUNIT_TEST(testMintedTokenVerifiesWithTheChainKeyOfItsIdentifier);
  CPPUNIT_TEST(testMintedTokenExpiresAtItsDeadline);
  CPPUNIT_TEST(testMintedTokenFailsWithAnotherIdentifiersKey);
  CPPUNIT_TEST(testSameInputsMintTheSameToken);
  CPPUNIT_TEST(testMintedTokenMatchesKnownAnswer);
  CPPUNIT_TEST(testDifferentMasterSecretGivesDifferentSignature);
  CPPUNIT_TEST(testDifferentExpiryOrLocationGivesDifferentToken);
  CPPUNIT_TEST(testRootSecretMatchesKnownAnswer);
  CPPUNIT_TEST(testChainKeyMatchesKnownAnswer);
  CPPUNIT_TEST(testRootSecretsDifferPerIdentifierAndMaster);
  CPPUNIT_TEST(testTokenIdentifierNamesItsKind);
  CPPUNIT_TEST(testParsesIdentifiersOfBothKinds);
  CPPUNIT_TEST(testAccessParserRejectsInvitationIdentifier);
  CPPUNIT_TEST(testInvitationCannotPassForAccessTokenOfSameOwnerAndNonce);
  CPPUNIT_TEST(testMintAccessTokenIsMintTokenOfTheAccessKind);
  CPPUNIT_TEST(testNewRandomIdsAre32HexDigitsAndDistinct);
  CPPUNIT_TEST(testAppendedCaveatsAreSignedAndEnforced);
  CPPUNIT_TEST(testLegacyTokenIdIsEightZerosAndTheNoncesHex);
  CPPUNIT_TEST(testParsesOnlyLegacyTokenIds);
  CPPUNIT_TEST(testTemporaryTokenIdsCarryTheirMintedCaveatCount);
  CPPUNIT_TEST(testTemporaryTokenIdsWithoutTheMarkerCountNone);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testIdentifierHasKindUserIdAndNonce() {
    CPPUNIT_ASSERT_EQUAL(std::string(kIdentifier), AccessIdentifier(KnownId()));
  }

  // Known answer: bytes(range(12)) is "AAECAwQFBgcICQoL" in base64url.
  void testLegacyTokenIdIsEightZerosAndTheNoncesHex() {
    CPPUNIT_ASSERT_EQUAL(std::string("00000000000102030405060708090a0b"),
                         LegacyTokenId("AAECAwQFBgcICQoL"));
    std::string nonce;
    CPPUNIT_ASSERT(ParseLegacyTokenId("00000000000102030405060708090a0b", &nonce));
    CPPUNIT_ASSERT_EQUAL(std::string("AAECAwQFBgcICQoL"), nonce);
    for (int i = 0; i < 20; ++i) {
      const std::string fresh = NewTokenNonce();
      const std::string id = LegacyTokenId(fresh);
      CPPUNIT_ASSERT(IsHexId(id));
      CPPUNIT_ASSERT(ParseLegacyTokenId(id, &nonce));
      CPPUNIT_ASSERT_EQUAL(fresh, nonce);
    }
    // Not a nonce: no id.
    CPPUNIT_ASSERT_EQUAL(std::string(""), LegacyTokenId("AAECAwQFBgcICQo"));
    CPPUNIT_ASSERT_EQUAL(std::string(""), LegacyTokenId("AAECAwQFBgcICQo!"));
    CPPUNIT_ASSERT_EQUAL(std::string(""), LegacyTokenId("AAECAwQFBgcICQ+L"));
  }

  void testTemporaryTokenIdsCarryTheirMintedCaveatCount() {
    for (size_t count : {0, 1, 2, 15, 16, 200, 255}) {
      const std::string id = NewTemporaryTokenId(count);
      CPPUNIT_ASSERT(IsHexId(id));
      CPPUNIT_ASSERT_EQUAL(count, MintedCaveatsOfTemporaryToken(id));
    }
    // More than two hex digits hold: counted as fewer, which confines more.
    CPPUNIT_ASSERT_EQUAL(size_t(255),
                         MintedCaveatsOfTemporaryToken(NewTemporaryTokenId(300)));
    // Random beyond the count.
    CPPUNIT_ASSERT(NewTemporaryTokenId(1) != NewTemporaryTokenId(1));
  }

  // Ids made before they held a count: every caveat is a holder's.
  void testTemporaryTokenIdsWithoutTheMarkerCountNone() {
    CPPUNIT_ASSERT_EQUAL(size_t(0), MintedCaveatsOfTemporaryToken(NewRandomId()));
    CPPUNIT_ASSERT_EQUAL(size_t(0), MintedCaveatsOfTemporaryToken(
                                        "0123456789abcdef012345c4ea7c0b03"));
    // Not an id at all.
    CPPUNIT_ASSERT_EQUAL(size_t(0), MintedCaveatsOfTemporaryToken(
                                        "0123456789abcdef012345C4EA7C0A03"));
    CPPUNIT_ASSERT_EQUAL(size_t(0),
                         MintedCaveatsOfTemporaryToken("c4ea7c0a03"));
    CPPUNIT_ASSERT_EQUAL(size_t(3), MintedCaveatsOfTemporaryToken(
                                        "0123456789abcdef012345c4ea7c0a03"));
  }

  void testParsesOnlyLegacyTokenIds() {
    std::string nonce = "unchanged";
    CPPUNIT_ASSERT(!ParseLegacyTokenId("10000000000102030405060708090a0b", &nonce));
    CPPUNIT_ASSERT(!ParseLegacyTokenId("00000000000102030405060708090a0", &nonce));
    CPPUNIT_ASSERT(!ParseLegacyTokenId("00000000000102030405060708090A0B", &nonce));
    CPPUNIT_ASSERT(!ParseLegacyTokenId("", &nonce));
    CPPUNIT_ASSERT_EQUAL(std::string("unchanged"), nonce);
  }

  void testIdentifierRoundTrips() {
    AccessTokenId parsed;
    CPPUNIT_ASSERT(ParseAccessIdentifier(kIdentifier, &parsed));
    CPPUNIT_ASSERT_EQUAL(std::string(kUserId), parsed.user_id);
    CPPUNIT_ASSERT_EQUAL(std::string(kNonce), parsed.nonce);
    CPPUNIT_ASSERT_EQUAL(std::string(kIdentifier), AccessIdentifier(parsed));
  }

  void testFreshNonceMakesAParsableIdentifier() {
    AccessTokenId id{UserNameDigest("alice"), NewTokenNonce()};
    AccessTokenId parsed;
    CPPUNIT_ASSERT(ParseAccessIdentifier(AccessIdentifier(id), &parsed));
    CPPUNIT_ASSERT_EQUAL(id.user_id, parsed.user_id);
    CPPUNIT_ASSERT_EQUAL(id.nonce, parsed.nonce);
  }

  void testFreshNoncesAreBase64UrlAndDistinct() {
    std::set<std::string> seen;
    for (int i = 0; i < 200; ++i) {
      std::string nonce = NewTokenNonce();
      CPPUNIT_ASSERT_EQUAL(size_t{16}, nonce.size());  // 12 bytes
      CPPUNIT_ASSERT_EQUAL(
          std::string::npos,
          nonce.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
                                  "qrstuvwxyz0123456789-_"));
      seen.insert(nonce);
    }
    CPPUNIT_ASSERT_EQUAL(size_t{200}, seen.size());
  }

  void testRejectsIdentifierWithWrongPrefix() {
    const std::string rest = std::string(kIdentifier).substr(3);  // ".0123..."
    for (const std::string& identifier :
         {"ACC" + rest, "acd" + rest, "inv" + rest, "xyz" + rest,
          "ac" + rest + "A", std::string("acc:") + kUserId + "." + kNonce}) {
      AccessTokenId parsed;
      CPPUNIT_ASSERT_MESSAGE(identifier,
                             !ParseAccessIdentifier(identifier, &parsed));
    }
  }

  void testRejectsIdentifierWithBadUserId() {
    const std::string nonce = kNonce;
    for (const std::string& user_id :
         {std::string("0123456789ABCDEF0123456789abcdef"),   // uppercase
          std::string("0123456789abcdeg0123456789abcdef"),   // not hex
          std::string("0123456789abcdef0123456789abcde"),    // 31 digits
          std::string("0123456789abcdef0123456789abcdef0"),  // 33 digits
          std::string("0123456789abcdef 123456789abcdef"),
          std::string("0123456789abcdef-123456789abcdef"), std::string(32, '.'),
          std::string()}) {
      AccessTokenId parsed;
      std::string identifier = "acc." + user_id + "." + nonce;
      CPPUNIT_ASSERT_MESSAGE(identifier,
                             !ParseAccessIdentifier(identifier, &parsed));
    }
  }

  void testRejectsIdentifierWithBadNonce() {
    const std::string prefix = std::string("acc.") + kUserId + ".";
    for (const std::string& nonce :
         {std::string("AAECAwQFBgcICQo"),    // 15 characters
          std::string("AAECAwQFBgcICQoLD"),  // 17 characters
          std::string("AAECAwQFBgcICQoLDA0ODw"),  // 22: the former length
          std::string("AAECAwQFBgcICQoLDA0OD"),   // 21
          std::string("AAECAwQFBgcICQoLDA0ODwA"),  // 23
          std::string("AAECAwQFBgcICQo+"),   // standard alphabet
          std::string("AAECAwQFBgcICQo/"),
          std::string("AAECAwQFBgcICQo="),  // padding
          std::string("AAECAwQFBgcICQo."),
          std::string("AAECAwQFBgcICQo "),
          std::string("AAECAwQFBgcICQo\0", 16), std::string()}) {
      AccessTokenId parsed;
      CPPUNIT_ASSERT_MESSAGE(prefix + nonce,
                             !ParseAccessIdentifier(prefix + nonce, &parsed));
    }
  }

  void testRejectsTokensWithNoncesOfTheFormerLength() {
    // Tokens issued before nonces were shortened carry 22-character nonces;
    // their identifiers are malformed now, of either kind, and a token
    // with one is "not valid" even though its signature is good, exactly
    // like a token whose nonce has any other wrong length.
    const std::string old_identifier = kOldLengthIdentifier;
    AccessTokenId access;
    CPPUNIT_ASSERT(!ParseAccessIdentifier(old_identifier, &access));
    TokenRef ref;
    CPPUNIT_ASSERT(!ParseTokenIdentifier(old_identifier, &ref));
    CPPUNIT_ASSERT(!ParseTokenIdentifier("inv" + old_identifier.substr(3), &ref));
    TokenKeys keys(MasterFrom(0));
    for (const std::string& identifier :
         {old_identifier, std::string(kIdentifier) + "A",
          std::string(kIdentifier).substr(0, sizeof(kIdentifier) - 2)}) {
      Macaroon macaroon =
          MintMacaroon(keys.ChainKeyFor(identifier), "onezone", identifier);
      AddFirstPartyCaveat(&macaroon, "time < " + std::to_string(kExpiry));
      const std::string text = EncodeToken(macaroon);
      CPPUNIT_ASSERT(VerifierAt(kExpiry - 1)
                         .Verify(Decode(text), keys.ChainKeyFor(identifier))
                         .ok());
      for (CaveatPolicy policy : {CaveatPolicy::kEnforce, CaveatPolicy::kIgnore}) {
        Status status =
            CheckIssuedToken(keys, text, kExpiry - 1, policy, &ref, nullptr);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(identifier, Describe(Code::kTokenInvalid),
                                     Describe(status.code()));
      }
    }
    // The same token with the current nonce length passes the same check.
    Status status = CheckIssuedToken(
        keys, MintAccessToken(keys, "onezone", KnownId(), kExpiry), kExpiry - 1,
        CaveatPolicy::kEnforce, &ref, nullptr);
    CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
  }

  void testRejectsIdentifierWithMisplacedSeparators() {
    const std::string good = kIdentifier;
    std::string no_first_dot = good;
    no_first_dot[3] = 'x';
    std::string no_second_dot = good;
    no_second_dot[36] = 'A';
    std::string shifted =
        "acc." + std::string(kUserId).substr(1) + ".A" + kNonce;
    for (const std::string& identifier :
         {no_first_dot, no_second_dot, shifted, std::string("acc..") + kNonce,
          std::string("acc.") + kUserId + kNonce}) {
      AccessTokenId parsed;
      CPPUNIT_ASSERT_MESSAGE(identifier,
                             !ParseAccessIdentifier(identifier, &parsed));
    }
  }

  void testRejectsIdentifierWithSurroundingBytes() {
    const std::string good = kIdentifier;
    for (const std::string& identifier :
         {" " + good, good + " ", good + "\n", good + std::string(1, '\0'),
          std::string(), std::string("acc"), std::string("acc.."),
          good + good}) {
      AccessTokenId parsed;
      CPPUNIT_ASSERT_MESSAGE(identifier,
                             !ParseAccessIdentifier(identifier, &parsed));
    }
  }

  void testUserNameDigestIs32LowercaseHexDigits() {
    for (const char* name :
         {"alice", "", "a much longer user name with spaces"}) {
      std::string id = UserNameDigest(name);
      CPPUNIT_ASSERT_EQUAL(size_t{32}, id.size());
      CPPUNIT_ASSERT_EQUAL(std::string::npos,
                           id.find_first_not_of("0123456789abcdef"));
    }
  }

  void testUserNameDigestIsStableAcrossVersions() {
    // The name keys derive from these, and users made before ids became
    // random have them as ids: a change would orphan every user.
    CPPUNIT_ASSERT_EQUAL(std::string("2ab1fdb2fc19fc5a19b4d1905d93ddc4"),
                         UserNameDigest("alice"));
    CPPUNIT_ASSERT_EQUAL(std::string("0d0bfc48660432aec3bc2d92360eeb61"),
                         UserNameDigest(""));
    CPPUNIT_ASSERT_EQUAL(std::string("384ae62c34deac2dc1e406ff903b16ae"),
                         UserNameDigest("Zo\xc3\xab"));
    CPPUNIT_ASSERT_EQUAL(UserNameDigest("alice"), UserNameDigest("alice"));
  }

  void testUserNameDigestDiffersBetweenNames() {
    std::set<std::string> ids;
    for (const char* name : {"alice", "Alice", "alice ", "bob", "alic"}) {
      ids.insert(UserNameDigest(name));
    }
    CPPUNIT_ASSERT_EQUAL(size_t{5}, ids.size());
  }

  void testMintedTokenDecodesToLocationIdentifierAndOneTimeCaveat() {
    TokenKeys keys(MasterFrom(0));
    std::string token = MintAccessToken(keys, "onezone", KnownId(), kExpiry);
    CPPUNIT_ASSERT_EQUAL(std::string("MDAxNWxvY2F00aW9u"), token.substr(0, 17));
    Macaroon macaroon = Decode(token);
    CPPUNIT_ASSERT_EQUAL(std::string("onezone"), macaroon.location);
    CPPUNIT_ASSERT_EQUAL(std::string(kIdentifier), macaroon.identifier);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, macaroon.caveats.size());
    CPPUNIT_ASSERT_EQUAL(std::string("time < 1900000000"),
                         macaroon.caveats[0].id);
    CPPUNIT_ASSERT(!macaroon.caveats[0].third_party());
    AccessTokenId parsed;
    CPPUNIT_ASSERT(ParseAccessIdentifier(macaroon.identifier, &parsed));
    CPPUNIT_ASSERT_EQUAL(std::string(kUserId), parsed.user_id);
  }

  void testMintedTokenVerifiesWithTheChainKeyOfItsIdentifier() {
    TokenKeys keys(MasterFrom(0));
    Macaroon macaroon =
        Decode(MintAccessToken(keys, "onezone", KnownId(), kExpiry));
    Status status =
        VerifierAt(kExpiry - 1).Verify(macaroon, keys.ChainKeyFor(kIdentifier));
    CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
  }

  void testAppendedCaveatsAreSignedAndEnforced() {
    TokenKeys keys(MasterFrom(0));
    const std::string minted = MintAccessToken(keys, "onezone", KnownId(), kExpiry);
    CPPUNIT_ASSERT_EQUAL(minted, AppendCaveats(minted, {}));
    const std::string earlier = "time < " + std::to_string(kExpiry - 100);
    const std::string confined = AppendCaveats(minted, {earlier});
    Macaroon macaroon = Decode(confined);
    CPPUNIT_ASSERT_EQUAL(size_t{2}, macaroon.caveats.size());
    CPPUNIT_ASSERT_EQUAL(earlier, macaroon.caveats[1].id);
    // The chain holds (any holder could have appended it) and the new
    // caveat binds: the token dies at the earlier deadline.
    TokenRef ref;
    int64_t expires_at = 0;
    Status status = CheckIssuedToken(keys, confined, kExpiry - 101,
                                     CaveatPolicy::kEnforce, &ref, &expires_at);
    CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
    CPPUNIT_ASSERT_EQUAL(kExpiry - 100, expires_at);
    status = CheckIssuedToken(keys, confined, kExpiry - 100,
                              CaveatPolicy::kEnforce, &ref, &expires_at);
    CPPUNIT_ASSERT_EQUAL(Describe(Code::kTokenCaveatUnverified),
                         Describe(status.code()));
  }

  void testMintedTokenExpiresAtItsDeadline() {
    TokenKeys keys(MasterFrom(0));
    Macaroon macaroon =
        Decode(MintAccessToken(keys, "onezone", KnownId(), kExpiry));
    Status status =
        VerifierAt(kExpiry).Verify(macaroon, keys.ChainKeyFor(kIdentifier));
    CPPUNIT_ASSERT_EQUAL(Describe(Code::kTokenCaveatUnverified),
                         Describe(status.code()));
  }

  void testMintedTokenFailsWithAnotherIdentifiersKey() {
    TokenKeys keys(MasterFrom(0));
    Macaroon macaroon =
        Decode(MintAccessToken(keys, "onezone", KnownId(), kExpiry));
    AccessTokenId other{kUserId, "BAECAwQFBgcICQoL"};
    Status status =
        VerifierAt(kExpiry - 1)
            .Verify(macaroon, keys.ChainKeyFor(AccessIdentifier(other)));
    CPPUNIT_ASSERT_EQUAL(Describe(Code::kTokenInvalid),
                         Describe(status.code()));
    // The root secret itself is not the chain key.
    status = VerifierAt(kExpiry - 1)
                 .Verify(macaroon, keys.RootSecretFor(kIdentifier));
    CPPUNIT_ASSERT_EQUAL(Describe(Code::kTokenInvalid),
                         Describe(status.code()));
  }

  void testSameInputsMintTheSameToken() {
    // The list endpoint relies on re-minting the very strings it issued.
    TokenKeys keys(MasterFrom(0));
    TokenKeys same_master(MasterFrom(0));
    std::string first = MintAccessToken(keys, "onezone", KnownId(), kExpiry);
    CPPUNIT_ASSERT_EQUAL(first,
                         MintAccessToken(keys, "onezone", KnownId(), kExpiry));
    CPPUNIT_ASSERT_EQUAL(
        first, MintAccessToken(same_master, "onezone", KnownId(), kExpiry));
  }

  void testMintedTokenMatchesKnownAnswer() {
    TokenKeys keys(MasterFrom(0));
    CPPUNIT_ASSERT_EQUAL(std::string(kToken),
                         MintAccessToken(keys, "onezone", KnownId(), kExpiry));
  }

  void testDifferentMasterSecretGivesDifferentSignature() {
    Macaroon first = Decode(MintAccessToken(TokenKeys(MasterFrom(0)), "onezone",
                                            KnownId(), kExpiry));
    Macaroon second = Decode(MintAccessToken(TokenKeys(MasterFrom(1)),
                                             "onezone", KnownId(), kExpiry));
    CPPUNIT_ASSERT_EQUAL(first.identifier, second.identifier);
    CPPUNIT_ASSERT_EQUAL(first.caveats[0].id, second.caveats[0].id);
    CPPUNIT_ASSERT(first.signature != second.signature);
    // And the other master's keys do not verify it.
    Status status =
        VerifierAt(kExpiry - 1)
            .Verify(first, TokenKeys(MasterFrom(1)).ChainKeyFor(kIdentifier));
    CPPUNIT_ASSERT_EQUAL(Describe(Code::kTokenInvalid),
                         Describe(status.code()));
  }

  void testDifferentExpiryOrLocationGivesDifferentToken() {
    TokenKeys keys(MasterFrom(0));
    std::string token = MintAccessToken(keys, "onezone", KnownId(), kExpiry);
    CPPUNIT_ASSERT(token !=
                   MintAccessToken(keys, "onezone", KnownId(), kExpiry + 1));
    std::string elsewhere =
        MintAccessToken(keys, "elsewhere", KnownId(), kExpiry);
    CPPUNIT_ASSERT(token != elsewhere);
    CPPUNIT_ASSERT_EQUAL(std::string("elsewhere"), Decode(elsewhere).location);
  }

  void testRootSecretMatchesKnownAnswer() {
    TokenKeys keys(MasterFrom(0));
    CPPUNIT_ASSERT_EQUAL(std::string(kRootSecretHex),
                         Hex(keys.RootSecretFor(kIdentifier)));
  }

  void testChainKeyMatchesKnownAnswer() {
    TokenKeys keys(MasterFrom(0));
    CPPUNIT_ASSERT_EQUAL(std::string(kChainKeyHex),
                         Hex(keys.ChainKeyFor(kIdentifier)));
    // The libmacaroons derivation applied to the root secret.
    SecretKey root = keys.RootSecretFor(kIdentifier);
    CPPUNIT_ASSERT_EQUAL(
        std::string(kChainKeyHex),
        Hex(DeriveMacaroonKey(std::string_view(
            reinterpret_cast<const char*>(root.data()), root.size()))));
  }

  void testRootSecretsDifferPerIdentifierAndMaster() {
    TokenKeys keys(MasterFrom(0));
    std::string other_identifier =
        AccessIdentifier(AccessTokenId{kUserId, "BAECAwQFBgcICQoL"});
    CPPUNIT_ASSERT(Hex(keys.RootSecretFor(kIdentifier)) !=
                   Hex(keys.RootSecretFor(other_identifier)));
    CPPUNIT_ASSERT(Hex(keys.RootSecretFor(kIdentifier)) !=
                   Hex(TokenKeys(MasterFrom(1)).RootSecretFor(kIdentifier)));
    // The root secret is never the master itself.
    CPPUNIT_ASSERT(Hex(keys.RootSecretFor("")) != Hex(MasterFrom(0)));
  }

  void testTokenIdentifierNamesItsKind() {
    CPPUNIT_ASSERT_EQUAL(
        std::string(kIdentifier),
        TokenIdentifier({TokenKind::kAccess, kUserId, kNonce}));
    CPPUNIT_ASSERT_EQUAL(
        std::string("inv.") + kUserId + "." + kNonce,
        TokenIdentifier({TokenKind::kInvite, kUserId, kNonce}));
  }

  void testParsesIdentifiersOfBothKinds() {
    for (TokenKind kind : {TokenKind::kAccess, TokenKind::kInvite}) {
      TokenRef ref;
      ref.kind =
          kind == TokenKind::kAccess ? TokenKind::kInvite : TokenKind::kAccess;
      CPPUNIT_ASSERT(
          ParseTokenIdentifier(TokenIdentifier({kind, kUserId, kNonce}), &ref));
      CPPUNIT_ASSERT(ref.kind == kind);
      CPPUNIT_ASSERT_EQUAL(std::string(kUserId), ref.owner_id);
      CPPUNIT_ASSERT_EQUAL(std::string(kNonce), ref.nonce);
    }
    TokenRef ref;
    const std::string rest = std::string(".") + kUserId + "." + kNonce;
    for (const char* kind : {"ACC", "INV", "adm", "in", "invv"}) {
      CPPUNIT_ASSERT_MESSAGE(kind, !ParseTokenIdentifier(kind + rest, &ref));
    }
  }

  void testAccessParserRejectsInvitationIdentifier() {
    AccessTokenId parsed;
    CPPUNIT_ASSERT(!ParseAccessIdentifier(
        TokenIdentifier({TokenKind::kInvite, kUserId, kNonce}), &parsed));
  }

  void testInvitationCannotPassForAccessTokenOfSameOwnerAndNonce() {
    TokenKeys keys(MasterFrom(0));
    const std::string invite_text = MintToken(
        keys, "onezone", {TokenKind::kInvite, kUserId, kNonce}, kExpiry);
    CPPUNIT_ASSERT(invite_text !=
                   MintAccessToken(keys, "onezone", KnownId(), kExpiry));
    Macaroon invite = Decode(invite_text);
    // Relabelled as an access token, its signature no longer matches.
    invite.identifier = kIdentifier;
    Status status =
        VerifierAt(kExpiry - 1).Verify(invite, keys.ChainKeyFor(kIdentifier));
    CPPUNIT_ASSERT_EQUAL(Describe(Code::kTokenInvalid),
                         Describe(status.code()));
  }

  void testMintAccessTokenIsMintTokenOfTheAccessKind() {
    TokenKeys keys(MasterFrom(0));
    CPPUNIT_ASSERT_EQUAL(
        MintAccessToken(keys, "onezone", KnownId(), kExpiry),
        MintToken(keys, "onezone", {TokenKind::kAccess, kUserId, kNonce},
                  kExpiry));
  }

  void testForkedWorkersDrawDifferentNonces() {
    // Workers are forked from one parent: a generator whose state the fork
    // copied would hand both the same nonces.
    NewTokenNonce();  // whatever state there is, made before the fork
    int fds[2];
    CPPUNIT_ASSERT_EQUAL(0, pipe(fds));
    pid_t child = fork();
    CPPUNIT_ASSERT(child >= 0);
    if (child == 0) {
      std::string nonce = NewTokenNonce();
      _exit(write(fds[1], nonce.data(), nonce.size()) ==
                    static_cast<ssize_t>(nonce.size())
                ? 0
                : 1);
    }
    close(fds[1]);
    std::string parent = NewTokenNonce();
    char buffer[64];
    ssize_t got = read(fds[0], buffer, sizeof(buffer));
    close(fds[0]);
    int status = 0;
    waitpid(child, &status, 0);
    CPPUNIT_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CPPUNIT_ASSERT_EQUAL(static_cast<ssize_t>(16), got);
    CPPUNIT_ASSERT(parent != std::string(buffer, static_cast<size_t>(got)));
  }

  void testNewRandomIdsAre32HexDigitsAndDistinct() {
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) {
      std::string id = NewRandomId();
      CPPUNIT_ASSERT_EQUAL(size_t{32}, id.size());
      CPPUNIT_ASSERT_EQUAL(std::string::npos,
                           id.find_first_not_of("0123456789abcdef"));
      seen.insert(id);
    }
    CPPUNIT_ASSERT_EQUAL(size_t{100}, seen.size());
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(AccessTokenTest);

class MasterSecretTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(MasterSecretTest);
  CPPUNIT_TEST(testCreatesA32ByteFileReadableOnlyByItsOwner);
  CPPUNIT_TEST(testReadsTheSameSecretBackTheSecondTime);
  CPPUNIT_TEST(testCreatesTheParentFolderPrivately);
  CPPUNIT_TEST(testLeavesNoTemporaryFileBehind);
  CPPUNIT_TEST(testTwoCreatedSecretsDiffer);
  CPPUNIT_TEST(testRefusesAFileOthersCanRead);
  CPPUNIT_TEST(testRefusesAFileOfTheWrongSize);
  CPPUNIT_TEST(testReadsAnExistingSecretVerbatim);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    dir_.Create("tokend-master-test");
  }

  void tearDown() override {
    dir_.Remove();
  }

  void testCreatesA32ByteFileReadableOnlyByItsOwner() {
    std::string path = dir_.path() + "/master.key";
    SecretKey master;
    Status status = LoadOrCreateMasterSecret(path, &master);
    CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
    struct stat info;
    CPPUNIT_ASSERT_EQUAL(0, stat(path.c_str(), &info));
    CPPUNIT_ASSERT(S_ISREG(info.st_mode));
    CPPUNIT_ASSERT_EQUAL(static_cast<off_t>(32), info.st_size);
    CPPUNIT_ASSERT_EQUAL(0600, static_cast<int>(info.st_mode & 0777));
    CPPUNIT_ASSERT_EQUAL(Hex(master), Hex(SecretKey(ReadFile(path))));
    CPPUNIT_ASSERT(Hex(master) != Hex(SecretKey()));  // not all zero
  }

  void testReadsTheSameSecretBackTheSecondTime() {
    std::string path = dir_.path() + "/master.key";
    SecretKey first, second;
    CPPUNIT_ASSERT(LoadOrCreateMasterSecret(path, &first).ok());
    CPPUNIT_ASSERT(LoadOrCreateMasterSecret(path, &second).ok());
    CPPUNIT_ASSERT_EQUAL(Hex(first), Hex(second));
    // So tokens minted before a restart still verify after it.
    CPPUNIT_ASSERT_EQUAL(Hex(TokenKeys(first).ChainKeyFor(kIdentifier)),
                         Hex(TokenKeys(second).ChainKeyFor(kIdentifier)));
  }

  void testCreatesTheParentFolderPrivately() {
    std::string folder = dir_.path() + "/state";
    SecretKey master;
    Status status = LoadOrCreateMasterSecret(folder + "/master.key", &master);
    CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
    struct stat info;
    CPPUNIT_ASSERT_EQUAL(0, stat(folder.c_str(), &info));
    CPPUNIT_ASSERT(S_ISDIR(info.st_mode));
    CPPUNIT_ASSERT_EQUAL(0700, static_cast<int>(info.st_mode & 0777));
  }

  void testLeavesNoTemporaryFileBehind() {
    SecretKey master;
    CPPUNIT_ASSERT(
        LoadOrCreateMasterSecret(dir_.path() + "/master.key", &master).ok());
    int entries = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
      CPPUNIT_ASSERT_EQUAL(std::string("master.key"),
                           entry.path().filename().string());
      ++entries;
    }
    CPPUNIT_ASSERT_EQUAL(1, entries);
  }

  void testTwoCreatedSecretsDiffer() {
    SecretKey first, second;
    CPPUNIT_ASSERT(LoadOrCreateMasterSecret(dir_.path() + "/one.key", &first).ok());
    CPPUNIT_ASSERT(LoadOrCreateMasterSecret(dir_.path() + "/two.key", &second).ok());
    CPPUNIT_ASSERT(Hex(first) != Hex(second));
  }

  void testRefusesAFileOthersCanRead() {
    for (mode_t mode :
         {mode_t{0644}, mode_t{0640}, mode_t{0604}, mode_t{0660}}) {
      std::string path = dir_.path() + "/master.key";
      WriteFile(path, std::string(32, 'k'), mode);
      SecretKey master;
      Status status = LoadOrCreateMasterSecret(path, &master);
      CPPUNIT_ASSERT_MESSAGE(std::to_string(mode), !status.ok());
      CPPUNIT_ASSERT(status.description().find(path) != std::string::npos);
      // Refused, not "fixed": the file is left as it was.
      CPPUNIT_ASSERT_EQUAL(std::string(32, 'k'), ReadAll(path));
    }
  }

  void testRefusesAFileOfTheWrongSize() {
    for (size_t size :
         {size_t{0}, size_t{16}, size_t{31}, size_t{33}, size_t{64}}) {
      std::string path = dir_.path() + "/master.key";
      WriteFile(path, std::string(size, 'k'), 0600);
      SecretKey master;
      Status status = LoadOrCreateMasterSecret(path, &master);
      CPPUNIT_ASSERT_MESSAGE(std::to_string(size), !status.ok());
      CPPUNIT_ASSERT_EQUAL(size, ReadAll(path).size());  // not overwritten
    }
  }

  void testReadsAnExistingSecretVerbatim() {
    std::string path = dir_.path() + "/master.key";
    std::string bytes;
    for (int i = 0; i < 32; ++i) bytes.push_back(static_cast<char>(i));
    WriteFile(path, bytes, 0400);
    SecretKey master;
    Status status = LoadOrCreateMasterSecret(path, &master);
    CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
    CPPUNIT_ASSERT_EQUAL(Hex(MasterFrom(0)), Hex(master));
    CPPUNIT_ASSERT_EQUAL(std::string(kRootSecretHex),
                         Hex(TokenKeys(master).RootSecretFor(kIdentifier)));
  }

 private:
  static void WriteFile(const std::string& path, const std::string& bytes,
                        mode_t mode) {
    unlink(path.c_str());
    {
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out << bytes;
    }
    CPPUNIT_ASSERT_EQUAL(0, chmod(path.c_str(), mode));
  }

  static std::string ReadAll(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in),
                       std::istreambuf_iterator<char>());
  }

  static Digest ReadFile(const std::string& path) {
    std::string bytes = ReadAll(path);
    CPPUNIT_ASSERT_EQUAL(size_t{32}, bytes.size());
    Digest digest;
    for (size_t i = 0; i < digest.size(); ++i) {
      digest[i] = static_cast<uint8_t>(bytes[i]);
    }
    return digest;
  }

  test::TemporaryDirectory dir_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(MasterSecretTest);

}  // namespace tokend
