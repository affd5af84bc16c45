// Unit tests for the values of a named token: its name (token_name.h, by
// Onezone's rule), its caveats between JSON and macaroon strings
// (caveats_json.h), and its identifier (token_ref.h, Onezone's
// "2/nmd/usr-<userId>/<act|idn>/<tokenId>", and a temporary token's
// "2/tmp-<generation>/usr-...").
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>
#include <json/json.h>

#include <string>
#include <vector>

#include "tokend/api/caveats_json.h"
#include "tokend/api/token_name.h"
#include "tokend/common/limits.h"
#include "tokend/token/macaroon.h"
#include "tokend/token/token_check.h"
#include "tokend/token/token_ref.h"

namespace tokend {
namespace {

constexpr int64_t kNow = 1700000000;
const std::string kUser = "0123456789abcdef0123456789abcdef";
const std::string kId = "fedcba9876543210fedcba9876543210";

Json::Value Parse(const std::string& text) {
  Json::Value value;
  Json::CharReaderBuilder builder;
  std::string errors;
  std::unique_ptr<Json::CharReader> reader(builder.newCharReader());
  CPPUNIT_ASSERT(reader->parse(text.data(), text.data() + text.size(), &value,
                               &errors));
  return value;
}

Status ParseCaveats(const std::string& json, std::vector<std::string>* out) {
  return ParseCaveatsJson(Parse(json), kNow, out);
}

class NamedTokenValuesTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(NamedTokenValuesTest);
  CPPUNIT_TEST(testNamesFollowOnezonesRule);
  CPPUNIT_TEST(testNamesCountCharactersNotBytes);
  CPPUNIT_TEST(testTimeCaveatsBecomeMacaroonCaveatsAndBack);
  CPPUNIT_TEST(testBadCaveatsAreBadValueCaveatNamingThem);
  CPPUNIT_TEST(testCaveatsAreBounded);
  CPPUNIT_TEST(testTheEarliestTimeCaveatRules);
  CPPUNIT_TEST(testNamedIdentifiersRoundTripInOnezonesForm);
  CPPUNIT_TEST(testMalformedNamedIdentifiersAreRefused);
  CPPUNIT_TEST(testTemporaryIdentifiersCarryTheirGeneration);
  CPPUNIT_TEST(testInvitationIdentifiersNameTheSpaceAndNeverAuthenticate);
  CPPUNIT_TEST(testANamedTokenVerifiesWithItsCaveatsAndOnlyAccessAuthenticates);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testNamesFollowOnezonesRule() {
    for (const char* good : {"ab", "my token", "legacy token 3", "a.b-c d_e",
                             "(x)", "_a_", "Zażółć gęślą", "名前", "v1.2"}) {
      CPPUNIT_ASSERT_MESSAGE(good, CheckTokenName(good).ok());
    }
    for (const char* bad : {"", "a", " ab", "ab ", "-ab", "ab-", ".ab", "ab.",
                            "a/b", "a\tb", "a:b", "a\"b", "a\xff", "a\xe2\x80\xa2"
                            "b"}) {
      Status status = CheckTokenName(bad);
      CPPUNIT_ASSERT_MESSAGE(bad, status.code() == Code::kBadValueName);
      CPPUNIT_ASSERT_EQUAL(std::string("name"), status.details()[0].value);
    }
  }

  void testNamesCountCharactersNotBytes() {
    std::string fifty, fifty_one;
    for (int i = 0; i < 50; ++i) fifty += "ż";  // 2 bytes each
    fifty_one = fifty + "ż";
    CPPUNIT_ASSERT(CheckTokenName(fifty).ok());
    CPPUNIT_ASSERT(CheckTokenName(fifty_one).code() == Code::kBadValueName);
  }

  void testTimeCaveatsBecomeMacaroonCaveatsAndBack() {
    std::vector<std::string> caveats;
    CPPUNIT_ASSERT(ParseCaveats("[{\"type\": \"time\", \"validUntil\": 1800000000},"
                                " {\"validUntil\": 1750000000, \"type\": \"time\"}]",
                                &caveats)
                       .ok());
    CPPUNIT_ASSERT_EQUAL(size_t{2}, caveats.size());
    CPPUNIT_ASSERT_EQUAL(std::string("time < 1800000000"), caveats[0]);
    Json::Value json = CaveatJson(caveats[1]);
    CPPUNIT_ASSERT_EQUAL(std::string("time"), json["type"].asString());
    CPPUNIT_ASSERT_EQUAL(Json::Int64(1750000000), json["validUntil"].asInt64());
    CPPUNIT_ASSERT(ParseCaveats("[]", &caveats).ok());
  }

  void testBadCaveatsAreBadValueCaveatNamingThem() {
    for (const char* bad :
         {"[{\"type\": \"time\", \"validUntil\": 1700000000}]",  // now: passed
          "[{\"type\": \"time\", \"validUntil\": 1}]",
          "[{\"type\": \"time\", \"validUntil\": \"1800000000\"}]",
          "[{\"type\": \"time\", \"validUntil\": 1.8e9}]",
          "[{\"type\": \"time\"}]",
          "[{\"type\": \"time\", \"validUntil\": 1800000000, \"x\": 1}]",
          "[{\"type\": \"ip\", \"whitelist\": [\"10.0.0.300/8\"]}]",
          "[{\"validUntil\": 1800000000}]", "[\"time < 1800000000\"]", "[7]"}) {
      std::vector<std::string> caveats;
      Status status = ParseCaveats(bad, &caveats);
      CPPUNIT_ASSERT_MESSAGE(bad, status.code() == Code::kBadValueCaveat);
      CPPUNIT_ASSERT_EQUAL(std::string("caveat"), status.details()[0].key);
      // Onezone's details.caveat is the caveat's JSON, not a string of it.
      CPPUNIT_ASSERT_MESSAGE(bad, status.details()[0].json);
    }
    for (const char* not_a_list : {"{}", "\"time < 1\"", "null"}) {
      std::vector<std::string> caveats;
      Status status = ParseCaveats(not_a_list, &caveats);
      CPPUNIT_ASSERT_MESSAGE(not_a_list, status.code() == Code::kBadValueJSON);
    }
  }

  void testCaveatsAreBounded() {
    std::string list = "[";
    for (size_t i = 0; i <= kMaxNamedTokenCaveats; ++i) {
      list += std::string(i ? "," : "") +
              "{\"type\": \"time\", \"validUntil\": 1800000000}";
    }
    std::vector<std::string> caveats;
    CPPUNIT_ASSERT(ParseCaveats(list + "]", &caveats).code() ==
                   Code::kBadValueCaveat);
    caveats.clear();
    CPPUNIT_ASSERT(ParseCaveats("[" + list.substr(list.find('{')) + "]", &caveats)
                       .code() == Code::kBadValueCaveat);
  }

  void testTheEarliestTimeCaveatRules() {
    CPPUNIT_ASSERT_EQUAL(int64_t{0}, EarliestTimeCaveat({}));
    CPPUNIT_ASSERT_EQUAL(int64_t{1750000000},
                         EarliestTimeCaveat({"time < 1800000000",
                                             "time < 1750000000"}));
  }

  void testNamedIdentifiersRoundTripInOnezonesForm() {
    TokenRef ref{TokenKind::kNamed, kUser, kId};
    CPPUNIT_ASSERT_EQUAL("2/nmd/usr-" + kUser + "/act/" + kId,
                         TokenIdentifier(ref));
    ref.identity = true;
    CPPUNIT_ASSERT_EQUAL("2/nmd/usr-" + kUser + "/idn/" + kId,
                         TokenIdentifier(ref));
    TokenRef parsed;
    CPPUNIT_ASSERT(ParseTokenIdentifier(TokenIdentifier(ref), &parsed));
    CPPUNIT_ASSERT(parsed.kind == TokenKind::kNamed);
    CPPUNIT_ASSERT_EQUAL(kUser, parsed.owner_id);
    CPPUNIT_ASSERT_EQUAL(kId, parsed.nonce);
    CPPUNIT_ASSERT(parsed.identity);
    CPPUNIT_ASSERT(!parsed.authenticates());
    ref.identity = false;
    CPPUNIT_ASSERT(ParseTokenIdentifier(TokenIdentifier(ref), &parsed));
    CPPUNIT_ASSERT(parsed.authenticates() && !parsed.identity);
  }

  void testMalformedNamedIdentifiersAreRefused() {
    const std::string good = "2/nmd/usr-" + kUser + "/act/" + kId;
    TokenRef ref;
    CPPUNIT_ASSERT(ParseTokenIdentifier(good, &ref));
    for (const std::string& bad :
         {good + "0", good.substr(0, good.size() - 1),
          "2/tmp/usr-" + kUser + "/act/" + kId,
          "2/nmd/grp-" + kUser + "/act/" + kId,
          "2/nmd/usr-" + kUser + "/inv/" + kId,
          "2/nmd/usr-" + kUser + "/act:" + kId,
          "2/nmd/usr-" + kUser + "/act/" + std::string(32, 'G'),
          "2/nmd/usr-" + std::string(32, 'A') + "/act/" + kId,
          "1/nmd/usr-" + kUser + "/act/" + kId}) {
      CPPUNIT_ASSERT_MESSAGE(bad, !ParseTokenIdentifier(bad, &ref));
    }
  }

  void testTemporaryIdentifiersCarryTheirGeneration() {
    TokenRef ref{TokenKind::kTemporary, kUser, kId};
    ref.generation = 42;
    CPPUNIT_ASSERT_EQUAL("2/tmp-42/usr-" + kUser + "/act/" + kId,
                         TokenIdentifier(ref));
    TokenRef parsed;
    CPPUNIT_ASSERT(ParseTokenIdentifier(TokenIdentifier(ref), &parsed));
    CPPUNIT_ASSERT(parsed.kind == TokenKind::kTemporary);
    CPPUNIT_ASSERT_EQUAL(int64_t{42}, parsed.generation);
    CPPUNIT_ASSERT(parsed.authenticates());
    ref.generation = 0;
    CPPUNIT_ASSERT(ParseTokenIdentifier(TokenIdentifier(ref), &parsed));
    CPPUNIT_ASSERT_EQUAL(int64_t{0}, parsed.generation);
    // One spelling per generation, and a number.
    for (const std::string& bad :
         {"2/tmp-042/usr-" + kUser + "/act/" + kId,
          "2/tmp-/usr-" + kUser + "/act/" + kId,
          "2/tmp--1/usr-" + kUser + "/act/" + kId,
          "2/tmp-1x/usr-" + kUser + "/act/" + kId,
          "2/tmp-1234567890123456789/usr-" + kUser + "/act/" + kId,
          "2/tmp-1/usr-" + kUser + "/act/" + kId + "/"}) {
      CPPUNIT_ASSERT_MESSAGE(bad, !ParseTokenIdentifier(bad, &parsed));
    }
  }

  void testInvitationIdentifiersNameTheSpaceAndNeverAuthenticate() {
    const std::string space = "00112233445566778899aabbccddeeff";
    TokenRef ref{TokenKind::kNamed, kUser, kId};
    ref.invite_space_id = space;
    CPPUNIT_ASSERT_EQUAL("2/nmd/usr-" + kUser + "/ujs:" + space + "/" + kId,
                         TokenIdentifier(ref));
    TokenRef parsed;
    CPPUNIT_ASSERT(ParseTokenIdentifier(TokenIdentifier(ref), &parsed));
    CPPUNIT_ASSERT(parsed.kind == TokenKind::kNamed);
    CPPUNIT_ASSERT_EQUAL(space, parsed.invite_space_id);
    CPPUNIT_ASSERT_EQUAL(kUser, parsed.owner_id);
    CPPUNIT_ASSERT_EQUAL(kId, parsed.nonce);
    CPPUNIT_ASSERT(!parsed.identity && parsed.invitation());
    CPPUNIT_ASSERT(!parsed.authenticates());
    ref.kind = TokenKind::kTemporary;
    ref.generation = 7;
    CPPUNIT_ASSERT_EQUAL("2/tmp-7/usr-" + kUser + "/ujs:" + space + "/" + kId,
                         TokenIdentifier(ref));
    CPPUNIT_ASSERT(ParseTokenIdentifier(TokenIdentifier(ref), &parsed));
    CPPUNIT_ASSERT(parsed.kind == TokenKind::kTemporary &&
                   parsed.generation == 7 && parsed.invite_space_id == space);
    CPPUNIT_ASSERT(!parsed.authenticates());
    // An access token parsed into the same value loses the space.
    CPPUNIT_ASSERT(ParseTokenIdentifier("2/nmd/usr-" + kUser + "/act/" + kId,
                                        &parsed));
    CPPUNIT_ASSERT(parsed.invite_space_id.empty() && parsed.authenticates() &&
                   !parsed.invitation());
    for (const std::string& bad :
         {"2/nmd/usr-" + kUser + "/ujs:/" + kId,
          "2/nmd/usr-" + kUser + "/ujs:" + space + "0/" + kId,
          "2/nmd/usr-" + kUser + "/ujs:" + space.substr(1) + "/" + kId,
          "2/nmd/usr-" + kUser + "/ujs-" + space + "/" + kId,
          "2/nmd/usr-" + kUser + "/ujs:" + std::string(32, 'A') + "/" + kId,
          "2/nmd/usr-" + kUser + "/gjs:" + space + "/" + kId,
          "2/nmd/usr-" + kUser + "/ujs:" + space + "/act/" + kId}) {
      CPPUNIT_ASSERT_MESSAGE(bad, !ParseTokenIdentifier(bad, &parsed));
    }
  }

  void testANamedTokenVerifiesWithItsCaveatsAndOnlyAccessAuthenticates() {
    Digest bytes;
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i);
    TokenKeys keys{SecretKey(bytes)};
    TokenRef ref{TokenKind::kNamed, kUser, kId};
    const std::vector<std::string> caveats = {"time < 1800000000",
                                              "time < 1750000000"};
    std::string token = MintTokenWithCaveats(keys, "onezone", ref, caveats);
    TokenRef parsed;
    int64_t expires_at = 0;
    CPPUNIT_ASSERT(CheckIssuedToken(keys, token, kNow, CaveatPolicy::kEnforce,
                                    &parsed, &expires_at)
                       .ok());
    CPPUNIT_ASSERT_EQUAL(int64_t{1750000000}, expires_at);
    CPPUNIT_ASSERT(parsed.kind == TokenKind::kNamed && parsed.nonce == kId);
    // Past the earlier caveat it no longer holds.
    CPPUNIT_ASSERT(CheckIssuedToken(keys, token, 1750000000,
                                    CaveatPolicy::kEnforce, &parsed)
                       .code() == Code::kTokenCaveatUnverified);
    // No caveats: a token that never expires.
    std::string forever = MintTokenWithCaveats(keys, "onezone", ref, {});
    CPPUNIT_ASSERT(CheckIssuedToken(keys, forever, kNow, CaveatPolicy::kEnforce,
                                    &parsed)
                       .ok());
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(NamedTokenValuesTest);

}  // namespace
}  // namespace tokend
