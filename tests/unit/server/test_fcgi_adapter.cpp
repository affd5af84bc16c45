// The socket-free half of the FastCGI adapter (RequestFromParams) and the
// per-worker BoundedCache.
#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "tokend/common/bounded_cache.h"
#include "tokend/common/limits.h"
#include "tokend/server/fcgi_adapter.h"

namespace tokend {
namespace {

// Builds a Request from "NAME=value" strings and a body.
Request Build(const std::vector<std::string>& params, const std::string& body) {
  std::vector<const char*> array;
  for (const std::string& param : params) array.push_back(param.c_str());
  array.push_back(nullptr);
  size_t offset = 0;
  return RequestFromParams(array.data(), [&](char* buffer, int wanted) {
    size_t n = std::min(body.size() - offset, static_cast<size_t>(wanted));
    std::memcpy(buffer, body.data() + offset, n);
    offset += n;
    return static_cast<int>(n);
  });
}

class RequestAdapterTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(RequestAdapterTest);
  CPPUNIT_TEST(testSplitsTheRawUriIntoPathAndQuery);
  CPPUNIT_TEST(testTurnsCgiHeaderNamesIntoLowercaseDashedNames);
  CPPUNIT_TEST(testJoinsRepeatedHeadersInsteadOfKeepingTheLast);
  CPPUNIT_TEST(testReadsTheBodyUpToTheCapAndFlagsMore);
  CPPUNIT_TEST(testRefusesADeclaredBodyOverTheCapWithoutReadingIt);
  CPPUNIT_TEST(testReadsNginxsWordThatTheHeadersWereTooLarge);
  CPPUNIT_TEST(testTheFirstOfARepeatedParameterCountsAndOthersAreIgnored);
  CPPUNIT_TEST(testBoundedCacheStartsAfreshWhenFull);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testSplitsTheRawUriIntoPathAndQuery() {
    Request request = Build({"REQUEST_METHOD=DELETE",
                             "REQUEST_URI=/api/v3/onezone/user/client_tokens/a%2Fb?x=1",
                             "REQUEST_ID=abc", "REMOTE_ADDR=127.0.0.1"},
                            "");
    CPPUNIT_ASSERT_EQUAL(std::string("DELETE"), request.method);
    CPPUNIT_ASSERT_EQUAL(std::string("/api/v3/onezone/user/client_tokens/a%2Fb"),
                         request.path);  // still percent-encoded
    CPPUNIT_ASSERT_EQUAL(std::string("x=1"), request.query);
    CPPUNIT_ASSERT_EQUAL(std::string("abc"), request.request_id);
    CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"), request.remote_addr);
  }

  void testTurnsCgiHeaderNamesIntoLowercaseDashedNames() {
    Request request = Build({"HTTP_X_AUTH_TOKEN=t", "HTTP_AUTHORIZATION=Basic x",
                             "CONTENT_TYPE=application/json"},
                            "");
    CPPUNIT_ASSERT(request.Header("x-auth-token") != nullptr);
    CPPUNIT_ASSERT_EQUAL(std::string("t"), *request.Header("x-auth-token"));
    CPPUNIT_ASSERT_EQUAL(std::string("Basic x"), *request.Header("authorization"));
    CPPUNIT_ASSERT_EQUAL(std::string("application/json"),
                         *request.Header("content-type"));
    CPPUNIT_ASSERT(request.Header("macaroon") == nullptr);
  }

  void testJoinsRepeatedHeadersInsteadOfKeepingTheLast() {
    Request request = Build({"HTTP_X_AUTH_TOKEN=garbage", "HTTP_X_AUTH_TOKEN=good"}, "");
    CPPUNIT_ASSERT_EQUAL(std::string("garbage, good"),
                         *request.Header("x-auth-token"));
  }

  void testReadsTheBodyUpToTheCapAndFlagsMore() {
    std::string body = "{\"ttl\": 60}";
    Request request = Build({"CONTENT_LENGTH=" + std::to_string(body.size())}, body);
    CPPUNIT_ASSERT_EQUAL(body, request.body);
    CPPUNIT_ASSERT(!request.body_too_large);

    std::string at_cap(kMaxBodyBytes, 'x');
    request = Build({"CONTENT_LENGTH=" + std::to_string(at_cap.size())}, at_cap);
    CPPUNIT_ASSERT_EQUAL(kMaxBodyBytes, request.body.size());
    CPPUNIT_ASSERT(!request.body_too_large);

    // A stream longer than its declared length is read only to it; a
    // shorter one (the client went away) gives what came.
    request = Build({"CONTENT_LENGTH=3"}, "abcdef");
    CPPUNIT_ASSERT_EQUAL(std::string("abc"), request.body);
    CPPUNIT_ASSERT(!request.body_too_large);
    request = Build({"CONTENT_LENGTH=" + std::to_string(kMaxBodyBytes)},
                    std::string(kMaxBodyBytes + 10, 'y'));
    CPPUNIT_ASSERT_EQUAL(kMaxBodyBytes, request.body.size());
    CPPUNIT_ASSERT(!request.body_too_large);
    request = Build({"CONTENT_LENGTH=10"}, "abc");
    CPPUNIT_ASSERT_EQUAL(std::string("abc"), request.body);
  }

  void testRefusesADeclaredBodyOverTheCapWithoutReadingIt() {
    bool read = false;
    std::string length = "CONTENT_LENGTH=" + std::to_string(kMaxBodyBytes + 1);
    const char* params[] = {length.c_str(), nullptr};
    Request request = RequestFromParams(params, [&](char*, int) {
      read = true;
      return 0;
    });
    CPPUNIT_ASSERT(request.body_too_large);
    CPPUNIT_ASSERT(!read);
  }

  void testReadsNginxsWordThatTheHeadersWereTooLarge() {
    CPPUNIT_ASSERT(Build({"HEADERS_TOO_LARGE=1"}, "").headers_too_large);
    CPPUNIT_ASSERT(!Build({"HEADERS_TOO_LARGE=0"}, "").headers_too_large);
    CPPUNIT_ASSERT(!Build({}, "").headers_too_large);
    // A client's header of that name is HTTP_HEADERS_TOO_LARGE, not it.
    CPPUNIT_ASSERT(!Build({"HTTP_HEADERS_TOO_LARGE=1"}, "").headers_too_large);
  }

  // RequestFromParams reads every parameter in one pass: the first copy of
  // each it reads counts (as a lookup by name found it), names that only
  // begin or end like one are not it, an address and an id are cut at 64
  // bytes, and CONTENT_TYPE replaces a client's Content-Type header only
  // when it is not empty.
  void testTheFirstOfARepeatedParameterCountsAndOthersAreIgnored() {
    Request request = Build(
        {"REQUEST_METHODX=PUT", "REQUEST_METHO=PUT", "XREQUEST_METHOD=PUT",
         "REQUEST_METHOD=GET", "REQUEST_METHOD=POST",
         "REQUEST_URI=/a?b=c?d", "REQUEST_URI=/other",
         "REMOTE_ADDR=" + std::string(70, '1'), "REMOTE_ADDR=2",
         "REQUEST_ID=first", "REQUEST_ID=second", "NO_EQUALS_SIGN",
         "HEADERS_TOO_LARGE=1", "HEADERS_TOO_LARGE=0",
         "HTTP_CONTENT_TYPE=text/plain", "CONTENT_TYPE=",
         "CONTENT_LENGTH=2", "CONTENT_LENGTH=5", "HTTP_=empty",
         "HTTP_MIXED_Case_9=v"},
        "abcdef");
    CPPUNIT_ASSERT_EQUAL(std::string("GET"), request.method);
    CPPUNIT_ASSERT_EQUAL(std::string("/a"), request.path);
    CPPUNIT_ASSERT_EQUAL(std::string("b=c?d"), request.query);
    CPPUNIT_ASSERT_EQUAL(std::string(64, '1'), request.remote_addr);
    CPPUNIT_ASSERT_EQUAL(std::string("first"), request.request_id);
    CPPUNIT_ASSERT(request.headers_too_large);
    CPPUNIT_ASSERT_EQUAL(std::string("text/plain"), *request.Header("content-type"));
    CPPUNIT_ASSERT_EQUAL(std::string("ab"), request.body);
    CPPUNIT_ASSERT_EQUAL(std::string("empty"), *request.Header(""));
    CPPUNIT_ASSERT_EQUAL(std::string("v"), *request.Header("mixed-case-9"));
    CPPUNIT_ASSERT_EQUAL(size_t{3}, request.headers.size());

    request = Build({"HTTP_CONTENT_TYPE=text/plain", "CONTENT_TYPE=application/json",
                     "REQUEST_URI=/plain"},
                    "");
    CPPUNIT_ASSERT_EQUAL(std::string("application/json"),
                         *request.Header("content-type"));
    CPPUNIT_ASSERT_EQUAL(std::string("/plain"), request.path);
    CPPUNIT_ASSERT_EQUAL(std::string(), request.query);
    CPPUNIT_ASSERT_EQUAL(std::string(), request.method);
  }

  void testBoundedCacheStartsAfreshWhenFull() {
    BoundedCache<int> cache(2);
    cache.Put("a", 1);
    cache.Put("b", 2);
    CPPUNIT_ASSERT_EQUAL(2, *cache.Find("b"));
    cache.Put("b", 3);  // replacing an entry never clears
    CPPUNIT_ASSERT_EQUAL(size_t{2}, cache.size());
    CPPUNIT_ASSERT_EQUAL(3, *cache.Find("b"));
    cache.Put("c", 4);  // a third key: the cache starts afresh
    CPPUNIT_ASSERT_EQUAL(size_t{1}, cache.size());
    CPPUNIT_ASSERT(cache.Find("a") == nullptr);
    CPPUNIT_ASSERT_EQUAL(4, *cache.Find("c"));
    cache.Erase("c");
    CPPUNIT_ASSERT(cache.Find("c") == nullptr);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RequestAdapterTest);

}  // namespace
}  // namespace tokend
