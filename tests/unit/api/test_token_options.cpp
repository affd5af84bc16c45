// Unit tests for token_options.h: the body of POST /user/client_tokens is
// empty, {} or {"ttl": N}; anything else is an error naming the problem with
// Onezone's ids and details.
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "tokend/api/token_options.h"
#include "tokend/http/response.h"

namespace tokend {
namespace {

constexpr int64_t kMaxTtl = 31536000;

std::string Describe(Code code) { return ErrorIdOf(code); }

std::string DetailOf(const Status& status, const std::string& key) {
  for (const Status::Detail& detail : status.details()) {
    if (detail.key == key) return detail.value;
  }
  return "<no detail " + key + ">";
}

bool IsNumberDetail(const Status& status, const std::string& key) {
  for (const Status::Detail& detail : status.details()) {
    if (detail.key == key) return detail.number;
  }
  return false;
}

// Parses `body` into fresh options that start from a sentinel ttl, so a
// parse that forgets to reset them shows.
Status Parse(const std::string& body, TokenOptions* options,
             int64_t max_ttl = kMaxTtl) {
  options->ttl = -12345;
  return ParseTokenOptions(body, max_ttl, options);
}

#define ASSERT_CODE_FOR(expected, body)                                      \
  do {                                                                       \
    TokenOptions options_once;                                               \
    const Status status_once = Parse(body, &options_once);                   \
    CPPUNIT_ASSERT_EQUAL_MESSAGE(                                            \
        std::string("body: ") + (body) + " -> " + status_once.description(), \
        Describe(expected), Describe(status_once.code()));                   \
  } while (0)

}  // namespace

class TokenOptionsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(TokenOptionsTest);
  CPPUNIT_TEST(testEmptyBodyMeansTheDefaultTtl);
  CPPUNIT_TEST(testBlankBodyMeansTheDefaultTtl);
  CPPUNIT_TEST(testEmptyObjectMeansTheDefaultTtl);
  CPPUNIT_TEST(testReadsTtlInSeconds);
  CPPUNIT_TEST(testAcceptsTtlOfOneAndTtlEqualToTheMaximum);
  CPPUNIT_TEST(testToleratesWhitespaceAroundTheObject);
  CPPUNIT_TEST(testRejectsTtlAboveTheMaximumNamingTheLimit);
  CPPUNIT_TEST(testRejectsHugeUnsignedTtlAsTooHigh);
  CPPUNIT_TEST(testRejectsZeroAndNegativeTtlAsTooLow);
  CPPUNIT_TEST(testRejectsTtlThatIsNotAJsonInteger);
  CPPUNIT_TEST(testRejectsUnknownKeyNamingIt);
  CPPUNIT_TEST(testRejectsUnknownKeyBesideAValidTtl);
  CPPUNIT_TEST(testRejectsBodyThatIsNotJsonAsMalformed);
  CPPUNIT_TEST(testRejectsDuplicateKeysAsMalformed);
  CPPUNIT_TEST(testRejectsTrailingDataAndCommentsAsMalformed);
  CPPUNIT_TEST(testRejectsJsonThatIsNotAnObject);
  CPPUNIT_TEST(testRejectsDeeplyNestedBodyWithoutCrashing);
  CPPUNIT_TEST(testErrorsLeaveTheOptionsAtTheirDefaults);
  CPPUNIT_TEST(testErrorsUseOnezoneHttpStatuses);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testEmptyBodyMeansTheDefaultTtl() {
    TokenOptions options;
    CPPUNIT_ASSERT(Parse("", &options).ok());
    CPPUNIT_ASSERT_EQUAL(int64_t{0}, options.ttl);
  }

  void testBlankBodyMeansTheDefaultTtl() {
    for (const char* body : {" ", "\n", "\r\n", " \t \n "}) {
      TokenOptions options;
      CPPUNIT_ASSERT_MESSAGE(body, Parse(body, &options).ok());
      CPPUNIT_ASSERT_EQUAL(int64_t{0}, options.ttl);
    }
  }

  void testEmptyObjectMeansTheDefaultTtl() {
    for (const char* body : {"{}", "{ }", "{\n}"}) {
      TokenOptions options;
      CPPUNIT_ASSERT_MESSAGE(body, Parse(body, &options).ok());
      CPPUNIT_ASSERT_EQUAL(int64_t{0}, options.ttl);
    }
  }

  void testReadsTtlInSeconds() {
    TokenOptions options;
    CPPUNIT_ASSERT(Parse("{\"ttl\": 3600}", &options).ok());
    CPPUNIT_ASSERT_EQUAL(int64_t{3600}, options.ttl);
  }

  void testAcceptsTtlOfOneAndTtlEqualToTheMaximum() {
    TokenOptions options;
    CPPUNIT_ASSERT(Parse("{\"ttl\":1}", &options).ok());
    CPPUNIT_ASSERT_EQUAL(int64_t{1}, options.ttl);
    CPPUNIT_ASSERT(Parse("{\"ttl\":31536000}", &options).ok());
    CPPUNIT_ASSERT_EQUAL(kMaxTtl, options.ttl);
    // A maximum beyond 32 bits works too.
    CPPUNIT_ASSERT(
        Parse("{\"ttl\":5000000000}", &options, int64_t{5000000000}).ok());
    CPPUNIT_ASSERT_EQUAL(int64_t{5000000000}, options.ttl);
  }

  void testToleratesWhitespaceAroundTheObject() {
    TokenOptions options;
    CPPUNIT_ASSERT(Parse(" \n{ \"ttl\" : 60 }\n ", &options).ok());
    CPPUNIT_ASSERT_EQUAL(int64_t{60}, options.ttl);
  }

  void testRejectsTtlAboveTheMaximumNamingTheLimit() {
    TokenOptions options;
    Status status = Parse("{\"ttl\": 31536001}", &options);
    CPPUNIT_ASSERT_EQUAL(Describe(Code::kBadValueTooHigh),
                         Describe(status.code()));
    CPPUNIT_ASSERT_EQUAL(std::string("ttl"), DetailOf(status, "key"));
    CPPUNIT_ASSERT_EQUAL(std::string("31536000"), DetailOf(status, "limit"));
    CPPUNIT_ASSERT(IsNumberDetail(status, "limit"));
    CPPUNIT_ASSERT(status.description().find("31536000") != std::string::npos);

    status = Parse("{\"ttl\": 61}", &options, 60);
    CPPUNIT_ASSERT_EQUAL(Describe(Code::kBadValueTooHigh),
                         Describe(status.code()));
    CPPUNIT_ASSERT_EQUAL(std::string("60"), DetailOf(status, "limit"));
  }

  void testRejectsHugeUnsignedTtlAsTooHigh() {
    // Fits uint64 but not int64: still an integer, just far too large.
    TokenOptions options;
    Status status = Parse("{\"ttl\": 18446744073709551615}", &options);
    CPPUNIT_ASSERT_EQUAL(Describe(Code::kBadValueTooHigh),
                         Describe(status.code()));
    CPPUNIT_ASSERT_EQUAL(std::string("31536000"), DetailOf(status, "limit"));
    ASSERT_CODE_FOR(Code::kBadValueTooHigh, "{\"ttl\": 9223372036854775807}");
  }

  void testRejectsZeroAndNegativeTtlAsTooLow() {
    for (const char* body : {"{\"ttl\": 0}", "{\"ttl\": -1}", "{\"ttl\": -0}",
                             "{\"ttl\": -9223372036854775808}"}) {
      TokenOptions options;
      Status status = Parse(body, &options);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(body, Describe(Code::kBadValueTooLow),
                                   Describe(status.code()));
      CPPUNIT_ASSERT_EQUAL(std::string("ttl"), DetailOf(status, "key"));
      CPPUNIT_ASSERT_EQUAL(std::string("1"), DetailOf(status, "limit"));
      CPPUNIT_ASSERT(IsNumberDetail(status, "limit"));
    }
  }

  void testRejectsTtlThatIsNotAJsonInteger() {
    for (const char* body :
         {"{\"ttl\": 60.0}", "{\"ttl\": 1.5}", "{\"ttl\": 1e3}",
          "{\"ttl\": 1e30}", "{\"ttl\": \"60\"}", "{\"ttl\": true}",
          "{\"ttl\": null}", "{\"ttl\": []}", "{\"ttl\": {}}",
          "{\"ttl\": [60]}"}) {
      TokenOptions options;
      Status status = Parse(body, &options);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(body, Describe(Code::kBadValueInteger),
                                   Describe(status.code()));
      CPPUNIT_ASSERT_EQUAL_MESSAGE(body, std::string("ttl"),
                                   DetailOf(status, "key"));
    }
  }

  void testRejectsUnknownKeyNamingIt() {
    TokenOptions options;
    Status status = Parse("{\"name\": \"laptop\"}", &options);
    CPPUNIT_ASSERT_EQUAL(Describe(Code::kBadData), Describe(status.code()));
    CPPUNIT_ASSERT_EQUAL(std::string("name"), DetailOf(status, "key"));
    CPPUNIT_ASSERT(status.description().find("\"name\"") != std::string::npos);
    // Key names are compared exactly.
    ASSERT_CODE_FOR(Code::kBadData, "{\"TTL\": 60}");
    ASSERT_CODE_FOR(Code::kBadData, "{\"ttl \": 60}");
    ASSERT_CODE_FOR(Code::kBadData, "{\"\": 60}");
  }

  void testRejectsUnknownKeyBesideAValidTtl() {
    TokenOptions options;
    Status status = Parse("{\"ttl\": 60, \"caveats\": []}", &options);
    CPPUNIT_ASSERT_EQUAL(Describe(Code::kBadData), Describe(status.code()));
    CPPUNIT_ASSERT_EQUAL(std::string("caveats"), DetailOf(status, "key"));
  }

  void testRejectsBodyThatIsNotJsonAsMalformed() {
    for (const char* body :
         {"{", "}", "ttl=60", "{ttl: 60}", "{'ttl': 60}", "{\"ttl\": }",
          "{\"ttl\" 60}", "{\"ttl\": 60,}", "\"unterminated", "nul"}) {
      TokenOptions options;
      Status status = Parse(body, &options);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(body, Describe(Code::kMalformedData),
                                   Describe(status.code()));
      CPPUNIT_ASSERT(status.details().empty());
    }
  }

  void testRejectsDuplicateKeysAsMalformed() {
    // Which of two ttls would win is exactly the ambiguity to refuse.
    ASSERT_CODE_FOR(Code::kMalformedData, "{\"ttl\": 60, \"ttl\": 600000000}");
  }

  void testRejectsTrailingDataAndCommentsAsMalformed() {
    ASSERT_CODE_FOR(Code::kMalformedData, "{} {}");
    ASSERT_CODE_FOR(Code::kMalformedData, "{\"ttl\": 60} x");
    ASSERT_CODE_FOR(Code::kMalformedData, "{} // c");
    ASSERT_CODE_FOR(Code::kMalformedData, "/* c */ {}");
    ASSERT_CODE_FOR(Code::kMalformedData, "{\"ttl\" /* c */ : 60}");
  }

  void testRejectsJsonThatIsNotAnObject() {
    for (const char* body :
         {"[]", "[{\"ttl\": 60}]", "60", "\"ttl\"", "true", "null"}) {
      TokenOptions options;
      Status status = Parse(body, &options);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(body, Describe(Code::kBadValueJSON),
                                   Describe(status.code()));
    }
  }

  void testRejectsDeeplyNestedBodyWithoutCrashing() {
    std::string deep_array(100000, '[');
    deep_array += std::string(100000, ']');
    ASSERT_CODE_FOR(Code::kMalformedData, deep_array);

    std::string deep_value = "{\"ttl\": ";
    for (int i = 0; i < 1000; ++i) deep_value += "{\"a\":";
    deep_value += "1";
    deep_value += std::string(1000, '}');
    deep_value += "}";
    ASSERT_CODE_FOR(Code::kMalformedData, deep_value);
  }

  void testErrorsLeaveTheOptionsAtTheirDefaults() {
    for (const char* body : {"{\"ttl\": 0}", "{\"ttl\": \"5\"}", "{\"x\": 1}",
                             "{", "[]", "{\"ttl\": 99999999999}"}) {
      TokenOptions options;
      CPPUNIT_ASSERT_MESSAGE(body, !Parse(body, &options).ok());
      CPPUNIT_ASSERT_EQUAL_MESSAGE(body, int64_t{0}, options.ttl);
    }
  }

  void testErrorsUseOnezoneHttpStatuses() {
    TokenOptions options;
    for (const char* body : {"{", "[]", "{\"x\": 1}", "{\"ttl\": \"1\"}",
                             "{\"ttl\": 0}", "{\"ttl\": 99999999999}"}) {
      Status status = Parse(body, &options);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(body, 400, HttpStatusOf(status.code()));
      CPPUNIT_ASSERT_MESSAGE(body, !status.description().empty());
    }
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(TokenOptionsTest);

}  // namespace tokend
