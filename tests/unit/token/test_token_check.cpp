// Unit tests for token_check.h: every caveat of an issued token is checked,
// the time caveats once with the signature, the caveats about the request
// (ip, interface, api, ...) against the context of each use; an
// unsatisfied caveat is named in JSON form, an unknown one by its string.
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include <memory>
#include <string>
#include <vector>

#include "tokend/common/crypto.h"
#include "tokend/token/caveat.h"
#include "tokend/token/token_check.h"
#include "tokend/token/token_keys.h"
#include "tokend/token/token_ref.h"

namespace tokend {
namespace {

constexpr int64_t kNow = 1800000000;
constexpr char kUserId[] = "0123456789abcdef0123456789abcdef";

SecretKey Master() {
  Digest bytes;
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i + 7);
  return SecretKey(bytes);
}

std::string Id(Code code) { return ErrorIdOf(code); }

// The JSON text of a status's details.caveat ("" when it has none).
std::string CaveatDetail(const Status& status) {
  for (const Status::Detail& detail : status.details()) {
    if (detail.key == "caveat") return detail.value;
  }
  return "";
}

class TokenCheckTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(TokenCheckTest);
  CPPUNIT_TEST(testAnIpCaveatHoldsOnlyForAddressesInItsRanges);
  CPPUNIT_TEST(testCaveatsAboutTheRequestFailWhenOnlyTheTimeIsKnown);
  CPPUNIT_TEST(testAnExpiredTimeCaveatIsNamedInJsonForm);
  CPPUNIT_TEST(testAnUnknownCaveatIsNamedByItsString);
  CPPUNIT_TEST(testTheMacaroonCheckLeavesRequestCaveatsForEachUse);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override { keys_ = std::make_unique<TokenKeys>(Master()); }

  std::string Named(const std::vector<std::string>& caveats) {
    TokenRef ref{TokenKind::kNamed, kUserId, std::string(32, 'a')};
    return MintTokenWithCaveats(*keys_, "onezone", ref, caveats);
  }

  void testAnIpCaveatHoldsOnlyForAddressesInItsRanges() {
    const std::string token =
        Named({"time < " + std::to_string(kNow + 60), "ip = 10.0.0.0/8|::1"});
    CaveatContext context;
    context.now = kNow;
    TokenRef ref;
    for (const char* inside : {"10.1.2.3", "::1", "::ffff:10.9.9.9"}) {
      context.peer_ip = inside;
      Status status = CheckIssuedToken(*keys_, token, context,
                                       CaveatPolicy::kEnforce, &ref);
      CPPUNIT_ASSERT_MESSAGE(std::string(inside) + ": " + status.description(),
                             status.ok());
    }
    context.peer_ip = "192.0.2.1";
    Status status =
        CheckIssuedToken(*keys_, token, context, CaveatPolicy::kEnforce, &ref);
    CPPUNIT_ASSERT_EQUAL(Id(Code::kTokenCaveatUnverified), Id(status.code()));
    CPPUNIT_ASSERT_EQUAL(
        std::string(R"({"type":"ip","whitelist":["10.0.0.0/8","::1"]})"),
        CaveatDetail(status));
  }

  void testCaveatsAboutTheRequestFailWhenOnlyTheTimeIsKnown() {
    const std::string token = Named({"interface = rest"});
    TokenRef ref;
    Status status =
        CheckIssuedToken(*keys_, token, kNow, CaveatPolicy::kEnforce, &ref);
    CPPUNIT_ASSERT_EQUAL(Id(Code::kTokenCaveatUnverified), Id(status.code()));
    // Ignoring caveats (revoking one's own expired copy) still works.
    status = CheckIssuedToken(*keys_, token, kNow, CaveatPolicy::kIgnore, &ref);
    CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
  }

  void testAnExpiredTimeCaveatIsNamedInJsonForm() {
    const std::string token = Named({"time < " + std::to_string(kNow)});
    TokenRef ref;
    Status status =
        CheckIssuedToken(*keys_, token, kNow, CaveatPolicy::kEnforce, &ref);
    CPPUNIT_ASSERT_EQUAL(Id(Code::kTokenCaveatUnverified), Id(status.code()));
    CPPUNIT_ASSERT_EQUAL(
        std::string(R"({"type":"time","validUntil":)") + std::to_string(kNow) + "}",
        CaveatDetail(status));
  }

  void testAnUnknownCaveatIsNamedByItsString() {
    const std::string token = Named({"colour = blue"});
    TokenRef ref;
    Status status =
        CheckIssuedToken(*keys_, token, kNow, CaveatPolicy::kEnforce, &ref);
    CPPUNIT_ASSERT_EQUAL(Id(Code::kTokenCaveatUnknown), Id(status.code()));
    CPPUNIT_ASSERT_EQUAL(std::string("colour = blue"), CaveatDetail(status));
  }

  void testTheMacaroonCheckLeavesRequestCaveatsForEachUse() {
    const std::string token = Named({"time < " + std::to_string(kNow + 60),
                                     "api = ozw/GET/user", "interface = rest"});
    Macaroon macaroon;
    CPPUNIT_ASSERT(DecodeToken(token, &macaroon).ok());
    TokenRef ref;
    int64_t expires_at = 0;
    std::vector<TokenCaveat> contextual;
    Status status = CheckIssuedMacaroon(*keys_, macaroon, kNow,
                                        CaveatPolicy::kEnforce, &ref,
                                        &expires_at, &contextual);
    CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
    CPPUNIT_ASSERT_EQUAL(kNow + 60, expires_at);
    CPPUNIT_ASSERT_EQUAL(size_t{2}, contextual.size());
    CaveatContext context;
    context.now = kNow;
    context.interface = "rest";
    context.operation = "ozw/GET/user";
    CPPUNIT_ASSERT(CheckContextualCaveats(contextual, context).ok());
    context.operation = "ozw/GET/user/tokens/named";
    CPPUNIT_ASSERT_EQUAL(Id(Code::kTokenCaveatUnverified),
                         Id(CheckContextualCaveats(contextual, context).code()));
    context.operation = "ozw/GET/user";
    context.interface = "oneclient";
    CPPUNIT_ASSERT_EQUAL(Id(Code::kTokenCaveatUnverified),
                         Id(CheckContextualCaveats(contextual, context).code()));
  }

 private:
  std::unique_ptr<TokenKeys> keys_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(TokenCheckTest);

}  // namespace
}  // namespace tokend
