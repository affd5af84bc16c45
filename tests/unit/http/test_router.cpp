// Unit tests for router.h on a table of its own (the API's table is tested
// in api/test_routes.cpp): patterns, mounts, the order routes are tried in,
// how rows fold into routes, and the names it gives them.
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

#include "tokend/http/router.h"

namespace tokend {
namespace {

const std::vector<RouteRow> kRows = {
    {"/base", "/things/{id}", "GET"},         // row 0
    {"/base", "/things/new", "GET"},          // row 1
    {"/base", "/things", "POST"},             // row 2
    {"/base", "/things/{id}", "DELETE"},      // row 3
    {"/base", "/things", "GET"},              // row 4
    {"/base", "/files/{path*}", "GET"},       // row 5
    {"/base", "/things/{id}/parts", "GET"},   // row 6
    {"", "/ping", "GET"},                     // row 7
    {"/base", "/make", "GET", false},         // row 8: creates on GET
    {"/base/deeper", "/x/{rest*}", "GET"},    // row 9
};

class RouterTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(RouterTest);
  CPPUNIT_TEST(testRoutesAreNumberedInTheOrderTheirFirstRowAppears);
  CPPUNIT_TEST(testRowsOfOnePathFoldIntoOneRouteWithEveryMethodAllowed);
  CPPUNIT_TEST(testFixedPathsWinOverParametersWhateverTheTableOrder);
  CPPUNIT_TEST(testASegmentParameterIsOneNonEmptySegment);
  CPPUNIT_TEST(testARestParameterTakesSlashesAndIsNamedWithoutTheStar);
  CPPUNIT_TEST(testAMountIsAPrefixAndTheRootMountTakesWholePaths);
  CPPUNIT_TEST(testAnUnknownMethodFindsTheRouteButNoRow);
  CPPUNIT_TEST(testAnEmptyTableFindsNothing);
  CPPUNIT_TEST(testAGetRowServesHeadUnlessItSaysNot);
  CPPUNIT_TEST(testARowOfItsOwnServesHeadWhenGetDoesNot);
  CPPUNIT_TEST(testEncodedUnreservedCharactersAreDecoded);
  CPPUNIT_TEST(testOtherEscapesStayAsSent);
  CPPUNIT_TEST(testDotSegmentsAreRemovedBelowAMount);
  CPPUNIT_TEST(testDotSegmentsNeverClimbAboveTheMount);
  CPPUNIT_TEST(testDotSegmentsAtTheRootNameNoRoute);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testRoutesAreNumberedInTheOrderTheirFirstRowAppears() {
    Router router(kRows);
    const std::vector<std::string> expected = {
        "unknown", "/things/{id}", "/things/new", "/things",
        "/files/{path}", "/things/{id}/parts", "/ping", "/make", "/x/{rest}"};
    CPPUNIT_ASSERT(expected == router.route_names());
    CPPUNIT_ASSERT_EQUAL(3, router.Find("/base/things", "GET").route);
    CPPUNIT_ASSERT_EQUAL(1, router.Find("/base/things/7", "GET").route);
  }

  void testRowsOfOnePathFoldIntoOneRouteWithEveryMethodAllowed() {
    Router router(kRows);
    Router::Match post = router.Find("/base/things", "POST");
    Router::Match get = router.Find("/base/things", "GET");
    CPPUNIT_ASSERT_EQUAL(post.route, get.route);
    CPPUNIT_ASSERT_EQUAL(2, post.row);
    CPPUNIT_ASSERT_EQUAL(4, get.row);
    CPPUNIT_ASSERT_EQUAL(std::string("POST, GET, HEAD"), std::string(get.allow));
    CPPUNIT_ASSERT_EQUAL(std::string("GET, HEAD, DELETE"),
                         std::string(router.Find("/base/things/7", "PUT").allow));
    CPPUNIT_ASSERT_EQUAL(3, router.Find("/base/things/7", "DELETE").row);
  }

  void testFixedPathsWinOverParametersWhateverTheTableOrder() {
    Router router(kRows);
    Router::Match fixed = router.Find("/base/things/new", "GET");
    CPPUNIT_ASSERT_EQUAL(1, fixed.row);
    CPPUNIT_ASSERT_EQUAL(std::string(), fixed.parameter);
    // One trailing slash still names the fixed route; a longer word is an id.
    CPPUNIT_ASSERT_EQUAL(1, router.Find("/base/things/new/", "GET").row);
    Router::Match id = router.Find("/base/things/newer", "GET");
    CPPUNIT_ASSERT_EQUAL(0, id.row);
    CPPUNIT_ASSERT_EQUAL(std::string("newer"), id.parameter);
  }

  void testASegmentParameterIsOneNonEmptySegment() {
    Router router(kRows);
    CPPUNIT_ASSERT_EQUAL(Router::kNoRoute, router.Find("/base/things/a/b", "GET").route);
    CPPUNIT_ASSERT_EQUAL(Router::kNoRoute, router.Find("/base/things//parts", "GET").route);
    Router::Match parts = router.Find("/base/things/a%2Fb/parts", "GET");
    CPPUNIT_ASSERT_EQUAL(6, parts.row);
    CPPUNIT_ASSERT_EQUAL(std::string("a%2Fb"), parts.parameter);
    CPPUNIT_ASSERT_EQUAL(std::string("/things/{id}/parts"), std::string(parts.name));
  }

  void testARestParameterTakesSlashesAndIsNamedWithoutTheStar() {
    Router router(kRows);
    Router::Match file = router.Find("/base/files/a/b/c", "GET");
    CPPUNIT_ASSERT_EQUAL(5, file.row);
    CPPUNIT_ASSERT_EQUAL(std::string("a/b/c"), file.parameter);
    CPPUNIT_ASSERT_EQUAL(std::string("/files/{path}"), std::string(file.name));
    CPPUNIT_ASSERT_EQUAL(Router::kNoRoute, router.Find("/base/files/", "GET").route);
  }

  void testAMountIsAPrefixAndTheRootMountTakesWholePaths() {
    Router router(kRows);
    CPPUNIT_ASSERT_EQUAL(7, router.Find("/ping", "GET").row);
    CPPUNIT_ASSERT_EQUAL(7, router.Find("/ping/", "GET").row);
    CPPUNIT_ASSERT_EQUAL(Router::kNoRoute, router.Find("/base/ping", "GET").route);
    CPPUNIT_ASSERT_EQUAL(Router::kNoRoute, router.Find("/things", "POST").route);
    CPPUNIT_ASSERT_EQUAL(Router::kNoRoute, router.Find("/basex/things", "POST").route);
    CPPUNIT_ASSERT_EQUAL(Router::kNoRoute, router.Find("/base", "GET").route);
  }

  void testAnUnknownMethodFindsTheRouteButNoRow() {
    Router router(kRows);
    Router::Match match = router.Find("/base/things", "DELETE");
    CPPUNIT_ASSERT(match.route != Router::kNoRoute);
    CPPUNIT_ASSERT_EQUAL(-1, match.row);
    CPPUNIT_ASSERT_EQUAL(-1, router.Find("/base/things", "get").row);
    Router::Match none = router.Find("/nowhere", "GET");
    CPPUNIT_ASSERT_EQUAL(Router::kNoRoute, none.route);
    CPPUNIT_ASSERT_EQUAL(-1, none.row);
    CPPUNIT_ASSERT_EQUAL(std::string("unknown"), std::string(none.name));
    CPPUNIT_ASSERT_EQUAL(std::string(), std::string(none.allow));
  }

  void testAnEmptyTableFindsNothing() {
    Router router({});
    CPPUNIT_ASSERT_EQUAL(size_t{1}, router.route_names().size());
    CPPUNIT_ASSERT_EQUAL(Router::kNoRoute, router.Find("/", "GET").route);
  }

  void testAGetRowServesHeadUnlessItSaysNot() {
    Router router(kRows);
    CPPUNIT_ASSERT_EQUAL(4, router.Find("/base/things", "HEAD").row);
    CPPUNIT_ASSERT_EQUAL(0, router.Find("/base/things/7", "HEAD").row);
    CPPUNIT_ASSERT_EQUAL(7, router.Find("/ping", "HEAD").row);
    CPPUNIT_ASSERT_EQUAL(-1, router.Find("/base/things", "head").row);
    Router::Match make = router.Find("/base/make", "HEAD");
    CPPUNIT_ASSERT_EQUAL(-1, make.row);
    CPPUNIT_ASSERT_EQUAL(std::string("GET"), std::string(make.allow));
    CPPUNIT_ASSERT_EQUAL(8, router.Find("/base/make", "GET").row);
    // Only GET brings HEAD along.
    Router post_only({{"", "/p", "POST"}});
    CPPUNIT_ASSERT_EQUAL(-1, post_only.Find("/p", "HEAD").row);
    CPPUNIT_ASSERT_EQUAL(std::string("POST"),
                         std::string(post_only.Find("/p", "HEAD").allow));
  }

  void testARowOfItsOwnServesHeadWhenGetDoesNot() {
    // (Beside a GET that serves HEAD, such a row is a table error: the
    // router aborts on a method listed twice.)
    Router own_head({{"", "/p", "GET", false}, {"", "/p", "HEAD"}});
    CPPUNIT_ASSERT_EQUAL(0, own_head.Find("/p", "GET").row);
    CPPUNIT_ASSERT_EQUAL(1, own_head.Find("/p", "HEAD").row);
    CPPUNIT_ASSERT_EQUAL(std::string("GET, HEAD"),
                         std::string(own_head.Find("/p", "PUT").allow));
  }

  void testEncodedUnreservedCharactersAreDecoded() {
    Router router(kRows);
    CPPUNIT_ASSERT_EQUAL(4, router.Find("/base/%74hings", "GET").row);
    CPPUNIT_ASSERT_EQUAL(4, router.Find("/%62%61%73%65/things", "GET").row);
    CPPUNIT_ASSERT_EQUAL(1, router.Find("/base/things/n%65%77", "GET").row);
    CPPUNIT_ASSERT_EQUAL(7, router.Find("/%70ing", "GET").row);
    // Either case of hex digit; every unreserved character.
    Router::Match id = router.Find("/base/things/%41%7a%2D%2e%5F%7E%30", "GET");
    CPPUNIT_ASSERT_EQUAL(0, id.row);
    CPPUNIT_ASSERT_EQUAL(std::string("Az-._~0"), id.parameter);
    // One level only: %25 is '%', which is not unreserved.
    CPPUNIT_ASSERT_EQUAL(Router::kNoRoute, router.Find("/base/%2574hings", "GET").route);
  }

  void testOtherEscapesStayAsSent() {
    Router router(kRows);
    // An encoded slash is no separator.
    CPPUNIT_ASSERT_EQUAL(Router::kNoRoute, router.Find("/base%2Fthings", "GET").route);
    CPPUNIT_ASSERT_EQUAL(Router::kNoRoute, router.Find("/base/things%2fnew", "GET").route);
    Router::Match id = router.Find("/base/things/a%2Fb%2B%3D%00%zz%", "GET");
    CPPUNIT_ASSERT_EQUAL(0, id.row);
    CPPUNIT_ASSERT_EQUAL(std::string("a%2Fb%2B%3D%00%zz%"), id.parameter);
    // Not ASCII: stays encoded.
    CPPUNIT_ASSERT_EQUAL(std::string("%C3%A9"),
                         router.Find("/base/things/%C3%A9", "GET").parameter);
  }

  void testDotSegmentsAreRemovedBelowAMount() {
    Router router(kRows);
    CPPUNIT_ASSERT_EQUAL(4, router.Find("/base/./things", "GET").row);
    CPPUNIT_ASSERT_EQUAL(4, router.Find("/base/x/../things", "GET").row);
    CPPUNIT_ASSERT_EQUAL(4, router.Find("/base/things/new/..", "GET").row);
    CPPUNIT_ASSERT_EQUAL(4, router.Find("/base/things/.", "GET").row);
    CPPUNIT_ASSERT_EQUAL(4, router.Find("/base/a/b/../../things", "GET").row);
    // Encoded dots are dots (decoded first, RFC 3986 6.2.2).
    CPPUNIT_ASSERT_EQUAL(4, router.Find("/base/x/%2E%2e/things", "GET").row);
    CPPUNIT_ASSERT_EQUAL(4, router.Find("/base/%2E/things", "GET").row);
    // Only whole segments: "..." and ".x" are names.
    CPPUNIT_ASSERT_EQUAL(Router::kNoRoute, router.Find("/base/.../things", "GET").route);
    CPPUNIT_ASSERT_EQUAL(0, router.Find("/base/things/.x", "GET").row);
    CPPUNIT_ASSERT_EQUAL(std::string("..x"),
                         router.Find("/base/things/..x", "GET").parameter);
    // A rest parameter is taken after the dots are gone.
    Router::Match file = router.Find("/base/files/a/../b/./c", "GET");
    CPPUNIT_ASSERT_EQUAL(5, file.row);
    CPPUNIT_ASSERT_EQUAL(std::string("b/c"), file.parameter);
    // Empty segments are kept (RFC 3986 has no merging of slashes).
    CPPUNIT_ASSERT_EQUAL(Router::kNoRoute, router.Find("/base//things/.", "GET").route);
    CPPUNIT_ASSERT_EQUAL(4, router.Find("/base/things//..", "GET").row);
  }

  void testDotSegmentsNeverClimbAboveTheMount() {
    Router router(kRows);
    CPPUNIT_ASSERT_EQUAL(Router::kNoRoute, router.Find("/base/../ping", "GET").route);
    CPPUNIT_ASSERT_EQUAL(Router::kNoRoute, router.Find("/base/../base/things", "GET").route);
    CPPUNIT_ASSERT_EQUAL(Router::kNoRoute, router.Find("/base/x/../../ping", "GET").route);
    CPPUNIT_ASSERT_EQUAL(Router::kNoRoute, router.Find("/base/%2e%2E/ping", "GET").route);
    CPPUNIT_ASSERT_EQUAL(Router::kNoRoute, router.Find("/base/..", "GET").route);
    // The longest mount is the floor: /base/deeper's routes cannot be left
    // for /base's.
    CPPUNIT_ASSERT_EQUAL(9, router.Find("/base/deeper/x/a/../b", "GET").row);
    CPPUNIT_ASSERT_EQUAL(Router::kNoRoute,
                         router.Find("/base/deeper/../things", "GET").route);
    // A mount ends at a segment boundary.
    CPPUNIT_ASSERT_EQUAL(Router::kNoRoute, router.Find("/basex/../base/things", "GET").route);
  }

  void testDotSegmentsAtTheRootNameNoRoute() {
    Router router(kRows);
    CPPUNIT_ASSERT_EQUAL(Router::kNoRoute, router.Find("/x/../ping", "GET").route);
    CPPUNIT_ASSERT_EQUAL(Router::kNoRoute, router.Find("/ping/.", "GET").route);
    CPPUNIT_ASSERT_EQUAL(Router::kNoRoute, router.Find("/./ping", "GET").route);
    // ...nor any route below a mount reached through them.
    CPPUNIT_ASSERT_EQUAL(Router::kNoRoute, router.Find("/ping/../base/things", "GET").route);
    CPPUNIT_ASSERT_EQUAL(Router::kNoRoute, router.Find("/../base/things", "GET").route);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RouterTest);

}  // namespace
}  // namespace tokend
