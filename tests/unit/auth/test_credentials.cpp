// Unit tests for credentials.h: which header's credentials a request is
// authenticated with (Onezone 19.02+ precedence), and what is handed on.
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "tokend/auth/credentials.h"

namespace tokend {
namespace {

using Kind = Credentials::Kind;

Request WithHeaders(std::map<std::string, std::string> headers) {
  Request request;
  request.headers = std::move(headers);
  return request;
}

void AssertCredentials(Kind kind, const std::string& text,
                       std::map<std::string, std::string> headers) {
  std::string described;
  for (const auto& header : headers) {
    described += header.first + ": " + header.second + "; ";
  }
  Credentials got = ReadCredentials(WithHeaders(std::move(headers)));
  CPPUNIT_ASSERT_MESSAGE(described, got.kind == kind);
  CPPUNIT_ASSERT_EQUAL_MESSAGE(described, text, got.text);
}

class CredentialsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(CredentialsTest);
  CPPUNIT_TEST(testNoHeadersIsNoCredentials);
  CPPUNIT_TEST(testEachTokenHeaderGivesItsToken);
  CPPUNIT_TEST(testXAuthTokenWinsOverBearerWhichWinsOverMacaroon);
  CPPUNIT_TEST(testAnyTokenWinsOverBasic);
  CPPUNIT_TEST(testSchemesAreCaseInsensitiveAndNeedASpace);
  CPPUNIT_TEST(testAnotherSchemeIsUnsupported);
  CPPUNIT_TEST(testAnyNumberOfSpacesFollowsTheScheme);
  CPPUNIT_TEST(testATabIsNoSpace);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testNoHeadersIsNoCredentials() {
    AssertCredentials(Kind::kNone, "", {});
    AssertCredentials(Kind::kNone, "", {{"x-other", "t"}});
  }

  void testEachTokenHeaderGivesItsToken() {
    AssertCredentials(Kind::kToken, "t1", {{"x-auth-token", "t1"}});
    AssertCredentials(Kind::kToken, "t2", {{"authorization", "Bearer t2"}});
    AssertCredentials(Kind::kToken, "t3", {{"macaroon", "t3"}});
    // A bare scheme is an empty, hence bad, token, not a missing one.
    AssertCredentials(Kind::kToken, "", {{"authorization", "Bearer"}});
    AssertCredentials(Kind::kToken, "", {{"x-auth-token", ""}});
  }

  void testXAuthTokenWinsOverBearerWhichWinsOverMacaroon() {
    AssertCredentials(Kind::kToken, "x",
                       {{"x-auth-token", "x"}, {"authorization", "Bearer b"},
                         {"macaroon", "m"}});
    AssertCredentials(Kind::kToken, "b",
                       {{"authorization", "Bearer b"}, {"macaroon", "m"}});
  }

  void testAnyTokenWinsOverBasic() {
    AssertCredentials(Kind::kToken, "m",
                       {{"macaroon", "m"}, {"authorization", "Basic YTpi"}});
    AssertCredentials(Kind::kBasic, "YTpi", {{"authorization", "Basic YTpi"}});
  }

  void testSchemesAreCaseInsensitiveAndNeedASpace() {
    AssertCredentials(Kind::kToken, "t", {{"authorization", "bEaReR t"}});
    AssertCredentials(Kind::kBasic, "YTpi", {{"authorization", "BASIC YTpi"}});
    AssertCredentials(Kind::kUnsupported, "", {{"authorization", "Bearert"}});
    AssertCredentials(Kind::kUnsupported, "", {{"authorization", "BasicYTpi"}});
  }

  void testAnotherSchemeIsUnsupported() {
    AssertCredentials(Kind::kUnsupported, "", {{"authorization", "Digest x"}});
    AssertCredentials(Kind::kUnsupported, "", {{"authorization", ""}});
    // ...unless a token header says who is calling.
    AssertCredentials(Kind::kToken, "m",
                       {{"authorization", "Digest x"}, {"macaroon", "m"}});
  }

  // RFC 9110 11.4: credentials = auth-scheme [ 1*SP ( token68 / ... ) ].
  void testAnyNumberOfSpacesFollowsTheScheme() {
    AssertCredentials(Kind::kBasic, "YTpi", {{"authorization", "Basic  YTpi"}});
    AssertCredentials(Kind::kBasic, "YTpi", {{"authorization", "basic     YTpi"}});
    AssertCredentials(Kind::kToken, "t", {{"authorization", "Bearer   t"}});
    // Only spaces: an empty, hence bad, token or password.
    AssertCredentials(Kind::kToken, "", {{"authorization", "Bearer   "}});
    AssertCredentials(Kind::kBasic, "", {{"authorization", "Basic  "}});
  }

  void testATabIsNoSpace() {
    AssertCredentials(Kind::kUnsupported, "", {{"authorization", "Basic\tYTpi"}});
    AssertCredentials(Kind::kUnsupported, "", {{"authorization", "Bearer\tt"}});
    // What follows the spaces is handed on as it is.
    AssertCredentials(Kind::kBasic, "\tYTpi", {{"authorization", "Basic \tYTpi"}});
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CredentialsTest);

}  // namespace
}  // namespace tokend
