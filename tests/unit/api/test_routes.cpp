// Unit tests for router.h: which paths reach which route, what each route
// allows, and that the token path parameter is handed over raw.
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "tokend/http/router.h"

namespace tokend {
namespace {

const std::string kBase = kApiBasePath;

std::string Describe(Route route) {
  switch (route) {
    case Route::kNone:
      return "none";
    case Route::kUser:
      return "user";
    case Route::kClientTokenLegacy:
      return "client_token";
    case Route::kClientTokens:
      return "client_tokens";
    case Route::kClientTokenByValue:
      return "client_tokens/{token}";
    case Route::kUserSpaces:
      return "user/spaces";
    case Route::kUserDefaultSpace:
      return "user/spaces/default";
    case Route::kUserSpaceInvite:
      return "user/spaces/token";
    case Route::kUserSpaceJoin:
      return "user/spaces/join";
    case Route::kUserSpace:
      return "user/spaces/{id}";
    case Route::kSpaceUsers:
      return "spaces/{id}/users";
    case Route::kSpaceUserInvite:
      return "spaces/{id}/users/token";
    case Route::kHealth:
      return "health";
    case Route::kMetrics:
      return "metrics";
    case Route::kRouteCountMarker:
      break;
  }
  return "route #" + std::to_string(static_cast<int>(route));
}

#define ASSERT_ROUTE(expected, path)                                  \
  CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string(path), Describe(expected), \
                               Describe(MatchRoute(path).route))

}  // namespace

class RouterTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(RouterTest);
  CPPUNIT_TEST(testMatchesEveryRouteBelowTheBasePath);
  CPPUNIT_TEST(testAcceptsOneTrailingSlashOnFixedRoutes);
  CPPUNIT_TEST(testRejectsTwoTrailingSlashesOnFixedRoutes);
  CPPUNIT_TEST(testPathsOutsideTheBasePathAreUnknown);
  CPPUNIT_TEST(testBasePathItselfIsUnknown);
  CPPUNIT_TEST(testNearMissesOfRoutesAreUnknown);
  CPPUNIT_TEST(testPathMatchingIsCaseSensitive);
  CPPUNIT_TEST(testTokenParameterIsPassedOnRawAndStillEncoded);
  CPPUNIT_TEST(testEmptyTokenParameterIsTheListRouteNotTheDeleteRoute);
  CPPUNIT_TEST(testFixedRoutesCarryNoParameter);
  CPPUNIT_TEST(testUnknownPathHasNoNameAndAllowsNothing);
  CPPUNIT_TEST(testRouteNamesNeverContainTheToken);
  CPPUNIT_TEST(testAllowListsNameTheMethodsOfEachRoute);
  CPPUNIT_TEST(testRouteAllowsExactlyTheListedMethods);
  CPPUNIT_TEST(testRouteAllowsComparesMethodsCaseSensitively);
  CPPUNIT_TEST(testRouteAllowsRejectsPartsAndCombinationsOfMethods);
  CPPUNIT_TEST(testMatchesEverySpaceRoute);
  CPPUNIT_TEST(testFixedSpacePathsWinOverTheSpaceIdRoute);
  CPPUNIT_TEST(testSpaceIdIsExactlyOneNonEmptySegment);
  CPPUNIT_TEST(testSpaceRoutesAllowTheirMethods);
  CPPUNIT_TEST(testSpaceRouteNamesNeverContainTheId);
  CPPUNIT_TEST(testHealthIsBelowTheBasePath);
  CPPUNIT_TEST(testMetricsIsAtTheServerRootOnly);
  CPPUNIT_TEST(testEveryRouteHasANameAndAnAllowList);
  CPPUNIT_TEST(testRouteNameAgreesWithTheMatchedName);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testMatchesEveryRouteBelowTheBasePath() {
    ASSERT_ROUTE(Route::kUser, kBase + "/user");
    ASSERT_ROUTE(Route::kClientTokenLegacy, kBase + "/user/client_token");
    ASSERT_ROUTE(Route::kClientTokens, kBase + "/user/client_tokens");
    ASSERT_ROUTE(Route::kClientTokenByValue,
                 kBase + "/user/client_tokens/MDAxNWxvY2F00aW9u");
  }

  void testAcceptsOneTrailingSlashOnFixedRoutes() {
    ASSERT_ROUTE(Route::kUser, kBase + "/user/");
    ASSERT_ROUTE(Route::kClientTokenLegacy, kBase + "/user/client_token/");
    ASSERT_ROUTE(Route::kClientTokens, kBase + "/user/client_tokens/");
  }

  void testRejectsTwoTrailingSlashesOnFixedRoutes() {
    ASSERT_ROUTE(Route::kNone, kBase + "/user//");
    ASSERT_ROUTE(Route::kNone, kBase + "/user/client_token//");
  }

  void testPathsOutsideTheBasePathAreUnknown() {
    ASSERT_ROUTE(Route::kNone, "/user");
    ASSERT_ROUTE(Route::kNone, "/user/client_tokens");
    ASSERT_ROUTE(Route::kNone, "/api/v3/user/client_tokens");
    ASSERT_ROUTE(Route::kNone, "/api/v2/onezone/user/client_tokens");
    ASSERT_ROUTE(Route::kNone, "/prefix/api/v3/onezone/user");
    ASSERT_ROUTE(Route::kNone, "");
    ASSERT_ROUTE(Route::kNone, "/");
  }

  void testBasePathItselfIsUnknown() {
    ASSERT_ROUTE(Route::kNone, kBase);
    ASSERT_ROUTE(Route::kNone, kBase + "/");
  }

  void testNearMissesOfRoutesAreUnknown() {
    // The base path must end at a segment boundary.
    ASSERT_ROUTE(Route::kNone, kBase + "x/user");
    ASSERT_ROUTE(Route::kNone, kBase + "/users");
    ASSERT_ROUTE(Route::kNone, kBase + "/user/client");
    ASSERT_ROUTE(Route::kNone, kBase + "/user/client_tokensx");
    ASSERT_ROUTE(Route::kNone, kBase + "/user/client_tokenx");
    ASSERT_ROUTE(Route::kNone, kBase + "//user");
    ASSERT_ROUTE(Route::kNone, kBase + "/user?x=1");
  }

  void testPathMatchingIsCaseSensitive() {
    ASSERT_ROUTE(Route::kNone, kBase + "/User");
    ASSERT_ROUTE(Route::kNone, kBase + "/user/Client_Tokens");
    ASSERT_ROUTE(Route::kNone, "/API/v3/onezone/user");
  }

  void testTokenParameterIsPassedOnRawAndStillEncoded() {
    RouteMatch match = MatchRoute(kBase + "/user/client_tokens/MDAx%2Bab%3D");
    CPPUNIT_ASSERT_EQUAL(Describe(Route::kClientTokenByValue),
                         Describe(match.route));
    CPPUNIT_ASSERT_EQUAL(std::string("MDAx%2Bab%3D"), match.parameter);

    const std::string token(5000, 'A');
    match = MatchRoute(kBase + "/user/client_tokens/" + token);
    CPPUNIT_ASSERT_EQUAL(token, match.parameter);
  }

  void testEmptyTokenParameterIsTheListRouteNotTheDeleteRoute() {
    RouteMatch match = MatchRoute(kBase + "/user/client_tokens/");
    CPPUNIT_ASSERT_EQUAL(Describe(Route::kClientTokens), Describe(match.route));
    CPPUNIT_ASSERT(match.parameter.empty());
  }

  void testFixedRoutesCarryNoParameter() {
    for (const char* path : {"/user", "/user/", "/user/client_token",
                             "/user/client_tokens", "/user/client_tokens/"}) {
      RouteMatch match = MatchRoute(kBase + path);
      CPPUNIT_ASSERT_MESSAGE(path, match.route != Route::kNone);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(path, std::string(), match.parameter);
    }
  }

  void testUnknownPathHasNoNameAndAllowsNothing() {
    RouteMatch match = MatchRoute("/nowhere");
    CPPUNIT_ASSERT_EQUAL(std::string("unknown"), std::string(match.name));
    CPPUNIT_ASSERT_EQUAL(std::string(), std::string(match.allow));
    CPPUNIT_ASSERT(match.parameter.empty());
    for (const char* method : {"GET", "POST", "DELETE", "PUT", ""}) {
      CPPUNIT_ASSERT_MESSAGE(method, !RouteAllows(match, method));
    }
  }

  void testRouteNamesNeverContainTheToken() {
    const std::string token = "MDAxNWxvY2F00aW9uIG9uZXpvbmUK";
    RouteMatch match = MatchRoute(kBase + "/user/client_tokens/" + token);
    CPPUNIT_ASSERT_EQUAL(std::string("/user/client_tokens/{token}"),
                         std::string(match.name));
    CPPUNIT_ASSERT(std::string(match.name).find(token) == std::string::npos);
    CPPUNIT_ASSERT_EQUAL(std::string("/user"),
                         std::string(MatchRoute(kBase + "/user").name));
    CPPUNIT_ASSERT_EQUAL(
        std::string("/user/client_tokens"),
        std::string(MatchRoute(kBase + "/user/client_tokens/").name));
  }

  void testAllowListsNameTheMethodsOfEachRoute() {
    CPPUNIT_ASSERT_EQUAL(std::string("GET"),
                         std::string(MatchRoute(kBase + "/user").allow));
    CPPUNIT_ASSERT_EQUAL(
        std::string("GET"),
        std::string(MatchRoute(kBase + "/user/client_token").allow));
    CPPUNIT_ASSERT_EQUAL(
        std::string("GET, POST"),
        std::string(MatchRoute(kBase + "/user/client_tokens").allow));
    CPPUNIT_ASSERT_EQUAL(
        std::string("DELETE"),
        std::string(MatchRoute(kBase + "/user/client_tokens/abc").allow));
  }

  void testRouteAllowsExactlyTheListedMethods() {
    RouteMatch user = MatchRoute(kBase + "/user");
    CPPUNIT_ASSERT(RouteAllows(user, "GET"));
    CPPUNIT_ASSERT(!RouteAllows(user, "POST"));
    CPPUNIT_ASSERT(!RouteAllows(user, "DELETE"));

    RouteMatch legacy = MatchRoute(kBase + "/user/client_token");
    CPPUNIT_ASSERT(RouteAllows(legacy, "GET"));
    CPPUNIT_ASSERT(!RouteAllows(legacy, "POST"));

    RouteMatch list = MatchRoute(kBase + "/user/client_tokens");
    CPPUNIT_ASSERT(RouteAllows(list, "GET"));
    CPPUNIT_ASSERT(RouteAllows(list, "POST"));
    CPPUNIT_ASSERT(!RouteAllows(list, "DELETE"));
    CPPUNIT_ASSERT(!RouteAllows(list, "PUT"));
    CPPUNIT_ASSERT(!RouteAllows(list, "HEAD"));

    RouteMatch one = MatchRoute(kBase + "/user/client_tokens/abc");
    CPPUNIT_ASSERT(RouteAllows(one, "DELETE"));
    CPPUNIT_ASSERT(!RouteAllows(one, "GET"));
    CPPUNIT_ASSERT(!RouteAllows(one, "POST"));
  }

  void testRouteAllowsComparesMethodsCaseSensitively() {
    RouteMatch list = MatchRoute(kBase + "/user/client_tokens");
    CPPUNIT_ASSERT(!RouteAllows(list, "get"));
    CPPUNIT_ASSERT(!RouteAllows(list, "Post"));
  }

  void testRouteAllowsRejectsPartsAndCombinationsOfMethods() {
    RouteMatch list = MatchRoute(kBase + "/user/client_tokens");
    for (const char* method : {"", "G", "GE", "GETX", "POS", "OST", "GET, POST",
                               "GET,", ", ", " POST", "POST "}) {
      CPPUNIT_ASSERT_MESSAGE(std::string("\"") + method + "\"",
                             !RouteAllows(list, method));
    }
  }

  void testMatchesEverySpaceRoute() {
    ASSERT_ROUTE(Route::kUserSpaces, kBase + "/user/spaces");
    ASSERT_ROUTE(Route::kUserSpaces, kBase + "/user/spaces/");
    ASSERT_ROUTE(Route::kUserDefaultSpace, kBase + "/user/spaces/default");
    ASSERT_ROUTE(Route::kUserSpaceInvite, kBase + "/user/spaces/token");
    ASSERT_ROUTE(Route::kUserSpaceJoin, kBase + "/user/spaces/join");

    RouteMatch space = MatchRoute(kBase + "/user/spaces/0123abcd");
    CPPUNIT_ASSERT_EQUAL(Describe(Route::kUserSpace), Describe(space.route));
    CPPUNIT_ASSERT_EQUAL(std::string("0123abcd"), space.parameter);

    RouteMatch users = MatchRoute(kBase + "/spaces/0123abcd/users");
    CPPUNIT_ASSERT_EQUAL(Describe(Route::kSpaceUsers), Describe(users.route));
    CPPUNIT_ASSERT_EQUAL(std::string("0123abcd"), users.parameter);

    RouteMatch invite = MatchRoute(kBase + "/spaces/0123abcd/users/token");
    CPPUNIT_ASSERT_EQUAL(Describe(Route::kSpaceUserInvite),
                         Describe(invite.route));
    CPPUNIT_ASSERT_EQUAL(std::string("0123abcd"), invite.parameter);
  }

  void testFixedSpacePathsWinOverTheSpaceIdRoute() {
    for (const char* fixed : {"default", "token", "join"}) {
      RouteMatch match = MatchRoute(kBase + "/user/spaces/" + fixed);
      CPPUNIT_ASSERT_MESSAGE(fixed, match.route != Route::kUserSpace);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(fixed, std::string(), match.parameter);
    }
    // Only the exact words: a longer id that starts with one is an id.
    RouteMatch match = MatchRoute(kBase + "/user/spaces/defaults");
    CPPUNIT_ASSERT_EQUAL(Describe(Route::kUserSpace), Describe(match.route));
    CPPUNIT_ASSERT_EQUAL(std::string("defaults"), match.parameter);
  }

  void testSpaceIdIsExactlyOneNonEmptySegment() {
    ASSERT_ROUTE(Route::kNone, kBase + "/user/spaces/a/b");
    ASSERT_ROUTE(Route::kNone, kBase + "/user/spaces//");
    ASSERT_ROUTE(Route::kNone, kBase + "/spaces//users");
    ASSERT_ROUTE(Route::kNone, kBase + "/spaces/users");
    ASSERT_ROUTE(Route::kNone, kBase + "/spaces/a/b/users");
    ASSERT_ROUTE(Route::kNone, kBase + "/spaces/a/b/users/token");
    ASSERT_ROUTE(Route::kNone, kBase + "/spaces/abc");
    ASSERT_ROUTE(Route::kNone, kBase + "/spaces/abc/user");
    ASSERT_ROUTE(Route::kNone, kBase + "/spaces/abc/users/tokens");
    ASSERT_ROUTE(Route::kNone, kBase + "/spaces");
    // The id stays percent-encoded, as the token does.
    RouteMatch match = MatchRoute(kBase + "/spaces/a%2Fb/users");
    CPPUNIT_ASSERT_EQUAL(Describe(Route::kSpaceUsers), Describe(match.route));
    CPPUNIT_ASSERT_EQUAL(std::string("a%2Fb"), match.parameter);
  }

  void testSpaceRoutesAllowTheirMethods() {
    RouteMatch spaces = MatchRoute(kBase + "/user/spaces");
    CPPUNIT_ASSERT_EQUAL(std::string("GET, POST"), std::string(spaces.allow));
    CPPUNIT_ASSERT(RouteAllows(spaces, "POST"));
    CPPUNIT_ASSERT(!RouteAllows(spaces, "DELETE"));

    RouteMatch default_space = MatchRoute(kBase + "/user/spaces/default");
    CPPUNIT_ASSERT(RouteAllows(default_space, "GET"));
    CPPUNIT_ASSERT(RouteAllows(default_space, "PUT"));
    CPPUNIT_ASSERT(!RouteAllows(default_space, "DELETE"));

    RouteMatch invite = MatchRoute(kBase + "/user/spaces/token");
    CPPUNIT_ASSERT(RouteAllows(invite, "GET"));
    CPPUNIT_ASSERT(!RouteAllows(invite, "POST"));

    RouteMatch join = MatchRoute(kBase + "/user/spaces/join");
    CPPUNIT_ASSERT(RouteAllows(join, "POST"));
    CPPUNIT_ASSERT(!RouteAllows(join, "GET"));

    RouteMatch space = MatchRoute(kBase + "/user/spaces/abc");
    CPPUNIT_ASSERT(RouteAllows(space, "GET"));
    CPPUNIT_ASSERT(RouteAllows(space, "DELETE"));
    CPPUNIT_ASSERT(!RouteAllows(space, "POST"));

    CPPUNIT_ASSERT(RouteAllows(MatchRoute(kBase + "/spaces/abc/users"), "GET"));
    CPPUNIT_ASSERT(
        !RouteAllows(MatchRoute(kBase + "/spaces/abc/users"), "POST"));
    CPPUNIT_ASSERT(
        RouteAllows(MatchRoute(kBase + "/spaces/abc/users/token"), "POST"));
    CPPUNIT_ASSERT(
        !RouteAllows(MatchRoute(kBase + "/spaces/abc/users/token"), "GET"));
  }

  void testSpaceRouteNamesNeverContainTheId() {
    const std::string id = "5f1c0e9a7b";
    for (const std::string& path :
         {"/user/spaces/" + id, "/spaces/" + id + "/users",
          "/spaces/" + id + "/users/token"}) {
      RouteMatch match = MatchRoute(kBase + path);
      CPPUNIT_ASSERT_MESSAGE(path, match.route != Route::kNone);
      CPPUNIT_ASSERT_MESSAGE(
          path, std::string(match.name).find(id) == std::string::npos);
      CPPUNIT_ASSERT_MESSAGE(
          path, std::string(match.name).find("{id}") != std::string::npos);
    }
  }

  void testHealthIsBelowTheBasePath() {
    RouteMatch health = MatchRoute(kBase + "/health");
    CPPUNIT_ASSERT_EQUAL(Describe(Route::kHealth), Describe(health.route));
    CPPUNIT_ASSERT(RouteAllows(health, "GET"));
    CPPUNIT_ASSERT(!RouteAllows(health, "POST"));
    ASSERT_ROUTE(Route::kHealth, kBase + "/health/");
    ASSERT_ROUTE(Route::kNone, "/health");
  }

  void testMetricsIsAtTheServerRootOnly() {
    RouteMatch metrics = MatchRoute("/metrics");
    CPPUNIT_ASSERT_EQUAL(Describe(Route::kMetrics), Describe(metrics.route));
    CPPUNIT_ASSERT(RouteAllows(metrics, "GET"));
    CPPUNIT_ASSERT(!RouteAllows(metrics, "POST"));
    CPPUNIT_ASSERT(metrics.parameter.empty());
    ASSERT_ROUTE(Route::kMetrics, "/metrics/");
    ASSERT_ROUTE(Route::kNone, kBase + "/metrics");
    ASSERT_ROUTE(Route::kNone, "/metricsx");
    ASSERT_ROUTE(Route::kNone, "/metrics/x");
  }

  void testEveryRouteHasANameAndAnAllowList() {
    CPPUNIT_ASSERT_EQUAL(std::string("unknown"),
                         std::string(RouteName(Route::kNone)));
    for (int value = 1; value < kRouteCount; ++value) {
      Route route = static_cast<Route>(value);
      std::string name = RouteName(route);
      CPPUNIT_ASSERT_MESSAGE(Describe(route), name != "unknown");
      CPPUNIT_ASSERT_MESSAGE(Describe(route), !name.empty() && name[0] == '/');
    }
  }

  void testRouteNameAgreesWithTheMatchedName() {
    for (const std::string& path :
         {kBase + "/user", kBase + "/user/client_token",
          kBase + "/user/client_tokens", kBase + "/user/client_tokens/tok",
          kBase + "/user/spaces", kBase + "/user/spaces/default",
          kBase + "/user/spaces/token", kBase + "/user/spaces/join",
          kBase + "/user/spaces/abc", kBase + "/spaces/abc/users",
          kBase + "/spaces/abc/users/token", kBase + "/health",
          std::string("/metrics")}) {
      RouteMatch match = MatchRoute(path);
      CPPUNIT_ASSERT_MESSAGE(path, match.route != Route::kNone);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(path, std::string(match.name),
                                   std::string(RouteName(match.route)));
      CPPUNIT_ASSERT_MESSAGE(path, std::string(match.allow) != "");
    }
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RouterTest);

}  // namespace tokend
