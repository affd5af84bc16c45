// Unit tests for request_log.h: the request and audit lines, whole, and
// what they make of text a client sent.
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include <cstdio>
#include <string>

#include "tokend/http/request_log.h"

namespace tokend {
namespace {

class RequestLogTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(RequestLogTest);
  CPPUNIT_TEST(testRequestLineNamesTheRouteStatusUserAndTime);
  CPPUNIT_TEST(testLatencyIsRoundedAsPrintfRoundsIt);
  CPPUNIT_TEST(testMissingRequestIdAndUserAreDashes);
  CPPUNIT_TEST(testClientTextIsCutAndLosesControlCharactersAndQuotes);
  CPPUNIT_TEST(testOneAuditLinePerEventWithTheRequestId);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testRequestLineNamesTheRouteStatusUserAndTime() {
    Request request;
    request.method = "POST";
    request.request_id = "abc123";
    Outcome outcome;
    outcome.route = "/user/client_tokens";
    outcome.response.status = 200;
    outcome.user_id = "0123abcd";
    CPPUNIT_ASSERT_EQUAL(
        std::string("request id=abc123 method=POST route=/user/client_tokens "
                    "status=200 user=0123abcd ms=1.24"),
        FormatRequestLog(request, outcome, 1.236));
    outcome.error_detail = "redis: connection refused";
    CPPUNIT_ASSERT_EQUAL(
        std::string("request id=abc123 method=POST route=/user/client_tokens "
                    "status=200 user=0123abcd ms=0.00 "
                    "error=\"redis: connection refused\""),
        FormatRequestLog(request, outcome, 0.001));
  }

  // The latency is written with to_chars, which must round as "%.2f" did:
  // correctly, the exact binary value, ties to even.
  void testLatencyIsRoundedAsPrintfRoundsIt() {
    Request request;
    Outcome outcome;
    for (double ms : {0.0, 0.004, 0.005, 0.015, 0.125, 0.375, 1.005, 2.675,
                      9.995, 99.999, 1234.5678, 1e6 + 0.125, 123456789.987}) {
      char expected[64];
      std::snprintf(expected, sizeof(expected), "%.2f", ms);
      const std::string line = FormatRequestLog(request, outcome, ms);
      CPPUNIT_ASSERT_EQUAL(std::string(" ms=") + expected,
                           line.substr(line.find(" ms=")));
    }
    const std::string line = FormatRequestLog(request, outcome, 0.125);
    CPPUNIT_ASSERT_EQUAL(std::string(" ms=0.12"), line.substr(line.find(" ms=")));
  }

  void testMissingRequestIdAndUserAreDashes() {
    Request request;
    request.method = "GET";
    Outcome outcome;
    outcome.response.status = 404;
    CPPUNIT_ASSERT_EQUAL(
        std::string("request id=- method=GET route=unknown status=404 user=- "
                    "ms=12.50"),
        FormatRequestLog(request, outcome, 12.5));
  }

  void testClientTextIsCutAndLosesControlCharactersAndQuotes() {
    Request request;
    request.method = std::string("GE\nT\"\x01\xff", 7) + std::string(20, 'X');
    request.request_id = std::string(70, 'i') + "\r\n";
    Outcome outcome;
    outcome.response.status = 405;
    outcome.error_detail = std::string(250, 'e');
    CPPUNIT_ASSERT_EQUAL(
        "request id=" + std::string(64, 'i') + " method=GE?T???" +
            std::string(9, 'X') + " route=unknown status=405 user=- ms=0.50" +
            " error=\"" + std::string(200, 'e') + "\"",
        FormatRequestLog(request, outcome, 0.5));
  }

  void testOneAuditLinePerEventWithTheRequestId() {
    Request request;
    request.request_id = "r1";
    Outcome outcome;
    CPPUNIT_ASSERT_EQUAL(std::string(), FormatAuditLines(request, outcome));
    outcome.Audit("event=token.created user=u token=acc.u.n1");
    outcome.Audit("event=token.revoked user=u token=acc.u.n2");
    CPPUNIT_ASSERT_EQUAL(
        std::string("audit id=r1 event=token.created user=u token=acc.u.n1\n"
                    "audit id=r1 event=token.revoked user=u token=acc.u.n2\n"),
        FormatAuditLines(request, outcome));
    request.request_id.clear();
    CPPUNIT_ASSERT_EQUAL(std::string("audit id=- event=token.created user=u "
                                     "token=acc.u.n1\naudit id=- "
                                     "event=token.revoked user=u "
                                     "token=acc.u.n2\n"),
                         FormatAuditLines(request, outcome));
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RequestLogTest);

}  // namespace
}  // namespace tokend
