// Unit tests for response.h's head of an answer: the reason phrase of every
// status the service answers with, and what every head carries (the cache
// headers, Content-Length).
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include <map>
#include <string>

#include "tokend/common/status.h"
#include "tokend/http/response.h"

namespace tokend {
namespace {

// RFC 9110 section 15, written out independently of response.cpp.
const std::map<int, std::string> kRfcPhrases = {
    {200, "OK"},
    {201, "Created"},
    {204, "No Content"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {409, "Conflict"},
    {413, "Payload Too Large"},  // RFC 9110 renamed it "Content Too Large"
    {429, "Too Many Requests"},       // RFC 6585
    {431, "Request Header Fields Too Large"},  // RFC 6585
    {500, "Internal Server Error"},
    {503, "Service Unavailable"},
};

class ResponseTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ResponseTest);
  CPPUNIT_TEST(testEveryStatusOfACodeHasItsReasonPhrase);
  CPPUNIT_TEST(testTheSuccessStatusesHaveTheirReasonPhrases);
  CPPUNIT_TEST(testTheHeadStartsWithTheStatusAndItsReason);
  CPPUNIT_TEST(testEveryHeadForbidsCaching);
  CPPUNIT_TEST(testTheHeadCountsTheBodyButFor204);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testEveryStatusOfACodeHasItsReasonPhrase() {
    for (int code = 0; code <= static_cast<int>(Code::kInternal); ++code) {
      int status = HttpStatusOf(static_cast<Code>(code));
      auto expected = kRfcPhrases.find(status);
      CPPUNIT_ASSERT_MESSAGE(std::to_string(status) + " is not in the test's list",
                             expected != kRfcPhrases.end());
      CPPUNIT_ASSERT_EQUAL_MESSAGE(std::to_string(status), expected->second,
                                   std::string(ReasonPhrase(status)));
    }
  }

  void testTheSuccessStatusesHaveTheirReasonPhrases() {
    for (int status : {200, 201, 204}) {
      CPPUNIT_ASSERT_EQUAL(kRfcPhrases.at(status), std::string(ReasonPhrase(status)));
    }
  }

  void testTheHeadStartsWithTheStatusAndItsReason() {
    Response response;
    response.status = 431;
    std::string head = CgiHead(response);
    CPPUNIT_ASSERT_EQUAL(std::string("Status: 431 Request Header Fields Too Large\r\n"),
                         head.substr(0, head.find('\n') + 1));
    CPPUNIT_ASSERT_EQUAL(std::string("\r\n\r\n"), head.substr(head.size() - 4));
  }

  void testEveryHeadForbidsCaching() {
    for (int status : {200, 204, 401, 404, 503}) {
      Response response;
      response.status = status;
      response.AddHeader("Content-Type", "application/json");
      std::string head = CgiHead(response);
      CPPUNIT_ASSERT_MESSAGE(head, head.find("\r\nCache-Control: no-store\r\n") !=
                                       std::string::npos);
      CPPUNIT_ASSERT_MESSAGE(head, head.find("\r\nPragma: no-cache\r\n") !=
                                       std::string::npos);
      CPPUNIT_ASSERT_MESSAGE(head, head.find("\r\nContent-Type: application/json\r\n") !=
                                       std::string::npos);
    }
  }

  void testTheHeadCountsTheBodyButFor204() {
    Response response;
    response.body = "{\"a\":1}";
    CPPUNIT_ASSERT(CgiHead(response).find("\r\nContent-Length: 7\r\n") !=
                   std::string::npos);
    response.status = 204;
    response.body.clear();
    CPPUNIT_ASSERT(CgiHead(response).find("Content-Length") == std::string::npos);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ResponseTest);

}  // namespace
}  // namespace tokend
