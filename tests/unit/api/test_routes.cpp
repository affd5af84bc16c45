// Unit tests for the endpoint table and the router built from it
// (endpoints.h, router.h): which paths reach which route, what each route
// allows, which handler serves each row, and that path parameters are
// handed over still encoded (but for unreserved characters).
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include <cstring>
#include <set>
#include <string>

#include "tokend/api/api.h"
#include "tokend/api/endpoints.h"
#include "tokend/common/metrics.h"
#include "tokend/http/router.h"

namespace tokend {
namespace {

const std::string kBase = kApiBasePath;

// A match of the endpoint router that remembers its path, so that a test
// can ask which methods the matched route allows.
struct RouteMatch : Router::Match {
  std::string path;
};

RouteMatch MatchRoute(const std::string& path) {
  RouteMatch match;
  static_cast<Router::Match&>(match) = EndpointRouter().Find(path, "");
  match.path = path;
  return match;
}

// Whether a row of the matched route serves `method`.
bool RouteAllows(const RouteMatch& match, const std::string& method) {
  return EndpointRouter().Find(match.path, method).row >= 0;
}

std::string Describe(int route) { return EndpointRouter().route_names().at(route); }

#define ASSERT_ROUTE(expected, path)                                 \
  CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string(path), std::string(expected), \
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
  CPPUNIT_TEST(testEveryRowIsServedByItsOwnPathAndMethod);
  CPPUNIT_TEST(testRowsNameTheirHandlersAndAccess);
  CPPUNIT_TEST(testHeadIsServedWhereverGetIsButWhereGetCreates);
  CPPUNIT_TEST(testNormalisedPathsReachTheirRoutes);
  CPPUNIT_TEST(testNoPathLeavesTheBasePathOrReachesMetricsThroughDots);
  CPPUNIT_TEST(testATokenInThePathIsHandedOverExactly);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testMatchesEveryRouteBelowTheBasePath() {
    ASSERT_ROUTE("/user", kBase + "/user");
    ASSERT_ROUTE("/user/client_token", kBase + "/user/client_token");
    ASSERT_ROUTE("/user/client_tokens", kBase + "/user/client_tokens");
    ASSERT_ROUTE("/user/client_tokens/{token}",
                 kBase + "/user/client_tokens/MDAxNWxvY2F00aW9u");
  }

  void testAcceptsOneTrailingSlashOnFixedRoutes() {
    ASSERT_ROUTE("/user", kBase + "/user/");
    ASSERT_ROUTE("/user/client_token", kBase + "/user/client_token/");
    ASSERT_ROUTE("/user/client_tokens", kBase + "/user/client_tokens/");
  }

  void testRejectsTwoTrailingSlashesOnFixedRoutes() {
    ASSERT_ROUTE("unknown", kBase + "/user//");
    ASSERT_ROUTE("unknown", kBase + "/user/client_token//");
  }

  void testPathsOutsideTheBasePathAreUnknown() {
    ASSERT_ROUTE("unknown", "/user");
    ASSERT_ROUTE("unknown", "/user/client_tokens");
    ASSERT_ROUTE("unknown", "/api/v3/user/client_tokens");
    ASSERT_ROUTE("unknown", "/api/v2/onezone/user/client_tokens");
    ASSERT_ROUTE("unknown", "/prefix/api/v3/onezone/user");
    ASSERT_ROUTE("unknown", "");
    ASSERT_ROUTE("unknown", "/");
  }

  void testBasePathItselfIsUnknown() {
    ASSERT_ROUTE("unknown", kBase);
    ASSERT_ROUTE("unknown", kBase + "/");
  }

  void testNearMissesOfRoutesAreUnknown() {
    // The base path must end at a segment boundary.
    ASSERT_ROUTE("unknown", kBase + "x/user");
    ASSERT_ROUTE("unknown", kBase + "/users");
    ASSERT_ROUTE("unknown", kBase + "/user/client");
    ASSERT_ROUTE("unknown", kBase + "/user/client_tokensx");
    ASSERT_ROUTE("unknown", kBase + "/user/client_tokenx");
    ASSERT_ROUTE("unknown", kBase + "//user");
    ASSERT_ROUTE("unknown", kBase + "/user?x=1");
  }

  void testPathMatchingIsCaseSensitive() {
    ASSERT_ROUTE("unknown", kBase + "/User");
    ASSERT_ROUTE("unknown", kBase + "/user/Client_Tokens");
    ASSERT_ROUTE("unknown", "/API/v3/onezone/user");
  }

  void testTokenParameterIsPassedOnRawAndStillEncoded() {
    RouteMatch match = MatchRoute(kBase + "/user/client_tokens/MDAx%2Bab%3D");
    CPPUNIT_ASSERT_EQUAL(std::string("/user/client_tokens/{token}"),
                         Describe(match.route));
    CPPUNIT_ASSERT_EQUAL(std::string("MDAx%2Bab%3D"), match.parameter);

    const std::string token(5000, 'A');
    match = MatchRoute(kBase + "/user/client_tokens/" + token);
    CPPUNIT_ASSERT_EQUAL(token, match.parameter);
  }

  void testEmptyTokenParameterIsTheListRouteNotTheDeleteRoute() {
    RouteMatch match = MatchRoute(kBase + "/user/client_tokens/");
    CPPUNIT_ASSERT_EQUAL(std::string("/user/client_tokens"), Describe(match.route));
    CPPUNIT_ASSERT(match.parameter.empty());
  }

  void testFixedRoutesCarryNoParameter() {
    for (const char* path : {"/user", "/user/", "/user/client_token",
                             "/user/client_tokens", "/user/client_tokens/"}) {
      RouteMatch match = MatchRoute(kBase + path);
      CPPUNIT_ASSERT_MESSAGE(path, match.route != Router::kNoRoute);
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
    CPPUNIT_ASSERT_EQUAL(std::string("GET, HEAD"),
                         std::string(MatchRoute(kBase + "/user").allow));
    CPPUNIT_ASSERT_EQUAL(
        std::string("GET"),
        std::string(MatchRoute(kBase + "/user/client_token").allow));
    CPPUNIT_ASSERT_EQUAL(
        std::string("GET, HEAD, POST"),
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
    CPPUNIT_ASSERT(RouteAllows(list, "HEAD"));

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
    ASSERT_ROUTE("/user/spaces", kBase + "/user/spaces");
    ASSERT_ROUTE("/user/spaces", kBase + "/user/spaces/");
    ASSERT_ROUTE("/user/spaces/default", kBase + "/user/spaces/default");
    ASSERT_ROUTE("/user/spaces/token", kBase + "/user/spaces/token");
    ASSERT_ROUTE("/user/spaces/join", kBase + "/user/spaces/join");

    RouteMatch space = MatchRoute(kBase + "/user/spaces/0123abcd");
    CPPUNIT_ASSERT_EQUAL(std::string("/user/spaces/{id}"), Describe(space.route));
    CPPUNIT_ASSERT_EQUAL(std::string("0123abcd"), space.parameter);

    RouteMatch users = MatchRoute(kBase + "/spaces/0123abcd/users");
    CPPUNIT_ASSERT_EQUAL(std::string("/spaces/{id}/users"), Describe(users.route));
    CPPUNIT_ASSERT_EQUAL(std::string("0123abcd"), users.parameter);

    RouteMatch invite = MatchRoute(kBase + "/spaces/0123abcd/users/token");
    CPPUNIT_ASSERT_EQUAL(std::string("/spaces/{id}/users/token"),
                         Describe(invite.route));
    CPPUNIT_ASSERT_EQUAL(std::string("0123abcd"), invite.parameter);
  }

  void testFixedSpacePathsWinOverTheSpaceIdRoute() {
    for (const char* fixed : {"default", "token", "join"}) {
      RouteMatch match = MatchRoute(kBase + "/user/spaces/" + fixed);
      CPPUNIT_ASSERT_MESSAGE(fixed, Describe(match.route) != "/user/spaces/{id}");
      CPPUNIT_ASSERT_EQUAL_MESSAGE(fixed, std::string(), match.parameter);
    }
    // Only the exact words: a longer id that starts with one is an id.
    RouteMatch match = MatchRoute(kBase + "/user/spaces/defaults");
    CPPUNIT_ASSERT_EQUAL(std::string("/user/spaces/{id}"), Describe(match.route));
    CPPUNIT_ASSERT_EQUAL(std::string("defaults"), match.parameter);
  }

  void testSpaceIdIsExactlyOneNonEmptySegment() {
    ASSERT_ROUTE("unknown", kBase + "/user/spaces/a/b");
    ASSERT_ROUTE("unknown", kBase + "/user/spaces//");
    ASSERT_ROUTE("unknown", kBase + "/spaces//users");
    ASSERT_ROUTE("unknown", kBase + "/spaces/users");
    ASSERT_ROUTE("unknown", kBase + "/spaces/a/b/users");
    ASSERT_ROUTE("unknown", kBase + "/spaces/a/b/users/token");
    ASSERT_ROUTE("unknown", kBase + "/spaces/abc");
    ASSERT_ROUTE("unknown", kBase + "/spaces/abc/user");
    ASSERT_ROUTE("unknown", kBase + "/spaces/abc/users/tokens");
    ASSERT_ROUTE("unknown", kBase + "/spaces");
    // The id stays percent-encoded, as the token does.
    RouteMatch match = MatchRoute(kBase + "/spaces/a%2Fb/users");
    CPPUNIT_ASSERT_EQUAL(std::string("/spaces/{id}/users"), Describe(match.route));
    CPPUNIT_ASSERT_EQUAL(std::string("a%2Fb"), match.parameter);
  }

  void testSpaceRoutesAllowTheirMethods() {
    RouteMatch spaces = MatchRoute(kBase + "/user/spaces");
    CPPUNIT_ASSERT_EQUAL(std::string("GET, HEAD, POST"), std::string(spaces.allow));
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
      CPPUNIT_ASSERT_MESSAGE(path, match.route != Router::kNoRoute);
      CPPUNIT_ASSERT_MESSAGE(
          path, std::string(match.name).find(id) == std::string::npos);
      CPPUNIT_ASSERT_MESSAGE(
          path, std::string(match.name).find("{id}") != std::string::npos);
    }
  }

  void testHealthIsBelowTheBasePath() {
    RouteMatch health = MatchRoute(kBase + "/health");
    CPPUNIT_ASSERT_EQUAL(std::string("/health"), Describe(health.route));
    CPPUNIT_ASSERT(RouteAllows(health, "GET"));
    CPPUNIT_ASSERT(!RouteAllows(health, "POST"));
    ASSERT_ROUTE("/health", kBase + "/health/");
    ASSERT_ROUTE("unknown", "/health");
  }

  void testMetricsIsAtTheServerRootOnly() {
    RouteMatch metrics = MatchRoute("/metrics");
    CPPUNIT_ASSERT_EQUAL(std::string("/metrics"), Describe(metrics.route));
    CPPUNIT_ASSERT(RouteAllows(metrics, "GET"));
    CPPUNIT_ASSERT(!RouteAllows(metrics, "POST"));
    CPPUNIT_ASSERT(metrics.parameter.empty());
    ASSERT_ROUTE("/metrics", "/metrics/");
    ASSERT_ROUTE("unknown", kBase + "/metrics");
    ASSERT_ROUTE("unknown", "/metricsx");
    ASSERT_ROUTE("unknown", "/metrics/x");
  }

  void testEveryRouteHasANameAndAnAllowList() {
    const std::vector<std::string>& names = EndpointRouter().route_names();
    CPPUNIT_ASSERT_EQUAL(std::string("unknown"), names.at(Router::kNoRoute));
    std::set<std::string> distinct(names.begin(), names.end());
    CPPUNIT_ASSERT_EQUAL(names.size(), distinct.size());
    CPPUNIT_ASSERT(names.size() <= static_cast<size_t>(kMaxRoutes));
    for (size_t route = 1; route < names.size(); ++route) {
      CPPUNIT_ASSERT_MESSAGE(names[route],
                             !names[route].empty() && names[route][0] == '/');
      CPPUNIT_ASSERT_MESSAGE(names[route],
                             names[route].find('*') == std::string::npos);
    }
    // One route per distinct path of the table, methods folded together.
    std::set<std::string> paths;
    for (const Endpoint& endpoint : Endpoints()) {
      paths.insert(std::string(endpoint.mount) + endpoint.path);
    }
    CPPUNIT_ASSERT_EQUAL(paths.size() + 1, names.size());
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
      CPPUNIT_ASSERT_MESSAGE(path, match.route != Router::kNoRoute);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(path, std::string(match.name),
                                   Describe(match.route));
      CPPUNIT_ASSERT_MESSAGE(path, std::string(match.allow) != "");
    }
  }

  // Each row is reached by its own path and method, and no other row is.
  void testEveryRowIsServedByItsOwnPathAndMethod() {
    const std::vector<Endpoint>& endpoints = Endpoints();
    for (size_t row = 0; row < endpoints.size(); ++row) {
      std::string path = std::string(endpoints[row].mount) + endpoints[row].path;
      for (const char* parameter : {"{token*}", "{id}"}) {
        size_t at = path.find(parameter);
        if (at != std::string::npos) path.replace(at, std::strlen(parameter), "p1");
      }
      Router::Match match = EndpointRouter().Find(path, endpoints[row].method);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(path + " " + endpoints[row].method,
                                   static_cast<int>(row), match.row);
    }
  }

  // HEAD is a safe method (RFC 9110 9.2.1): answered by the GETs that
  // create a token or an invitation, it would create one no one sees.
  void testHeadIsServedWhereverGetIsButWhereGetCreates() {
    auto creates = [](Handler handler) {
      return handler == static_cast<Handler>(&ClientTokensApi::CreateTokenLegacy) ||
             handler == static_cast<Handler>(&SpacesApi::InviteToDefaultSpace);
    };
    const std::vector<Endpoint>& endpoints = Endpoints();
    int served = 0;
    for (size_t row = 0; row < endpoints.size(); ++row) {
      if (std::string(endpoints[row].method) != "GET") continue;
      std::string path = std::string(endpoints[row].mount) + endpoints[row].path;
      size_t at = path.find("{id}");
      if (at != std::string::npos) path.replace(at, 4, "p1");
      Router::Match match = EndpointRouter().Find(path, "HEAD");
      if (creates(endpoints[row].handler)) {
        CPPUNIT_ASSERT_EQUAL_MESSAGE(path, -1, match.row);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(path, std::string("GET"), std::string(match.allow));
      } else {
        CPPUNIT_ASSERT_EQUAL_MESSAGE(path, static_cast<int>(row), match.row);
        ++served;
      }
    }
    CPPUNIT_ASSERT_EQUAL(13, served);  // 8 of the seed API, 5 of the successor one
    CPPUNIT_ASSERT(EndpointRouter().Find(kBase + "/health", "HEAD").row >= 0);
    CPPUNIT_ASSERT(EndpointRouter().Find("/metrics", "HEAD").row >= 0);
    // Nowhere else: HEAD follows GET, never POST, PUT or DELETE.
    CPPUNIT_ASSERT_EQUAL(-1, EndpointRouter().Find(kBase + "/user/spaces/join", "HEAD").row);
    CPPUNIT_ASSERT_EQUAL(-1, EndpointRouter().Find(kBase + "/user/client_tokens/t", "HEAD").row);
  }

  void testNormalisedPathsReachTheirRoutes() {
    ASSERT_ROUTE("/user", kBase + "/%75ser");
    ASSERT_ROUTE("/user", kBase + "/%75%73%65%72");
    ASSERT_ROUTE("/user", "/%61pi/v3/onezone/user");
    ASSERT_ROUTE("/user/client_tokens", kBase + "/user/client%5Ftokens");
    ASSERT_ROUTE("/user", kBase + "/./user");
    ASSERT_ROUTE("/user", kBase + "/user/.");
    ASSERT_ROUTE("/user", kBase + "/user/client_tokens/..");
    ASSERT_ROUTE("/user", kBase + "/spaces/x/../../user");
    ASSERT_ROUTE("/user", kBase + "/x/%2E%2E/user");
    ASSERT_ROUTE("/user/spaces/default", kBase + "/user/spaces/./default");
    ASSERT_ROUTE("/health", kBase + "/h%65alth");
    ASSERT_ROUTE("/metrics", "/%6Detrics");
    // Still not: encoded slashes, double encoding, bytes that are not
    // ASCII, case.
    ASSERT_ROUTE("unknown", kBase + "/user%2Fclient_tokens");
    ASSERT_ROUTE("unknown", kBase + "/%2575ser");
    ASSERT_ROUTE("unknown", kBase + "/user/%c0%ae%c0%ae/user");
    ASSERT_ROUTE("unknown", kBase + "/%55ser");
    ASSERT_ROUTE("unknown", kBase + "//user");
  }

  void testNoPathLeavesTheBasePathOrReachesMetricsThroughDots() {
    for (const std::string& path :
         {kBase + "/../../../metrics", kBase + "/../onezone/user",
          kBase + "/..", kBase + "/%2e%2e/%2e%2e/%2e%2e/metrics",
          kBase + "/user/../../onezone/user", std::string("/metrics/."),
          std::string("/x/../metrics"), std::string("/metrics/../metrics"),
          std::string("/metrics/../api/v3/onezone/user"),
          std::string("/api/v3/x/../onezone/user"), std::string("/../metrics"),
          kBase + "/../../v3/onezone/health"}) {
      ASSERT_ROUTE("unknown", path);
    }
  }

  void testATokenInThePathIsHandedOverExactly() {
    // Base64url, Onezone's escaping, standard base64 encoded or not.
    for (const std::string& token :
         {std::string("MDAxNWxvY2F00aW9uIG9uZXpvbmUK-_x"),
          std::string("MDAx%2Bab%2F%3D%3D"), std::string("MDAx+ab/cd=="),
          std::string("a.b"), std::string("..a")}) {
      Router::Match match =
          EndpointRouter().Find(kBase + "/user/client_tokens/" + token, "DELETE");
      CPPUNIT_ASSERT_EQUAL_MESSAGE(token, std::string("/user/client_tokens/{token}"),
                                   Describe(match.route));
      CPPUNIT_ASSERT_EQUAL_MESSAGE(token, token, match.parameter);
    }
    // An encoded unreserved character arrives decoded, which the handler's
    // percent-decoding would have made of it anyway.
    CPPUNIT_ASSERT_EQUAL(std::string("MDAx-_~"),
                         EndpointRouter()
                             .Find(kBase + "/user/client_tokens/MDAx%2D%5F%7E", "DELETE")
                             .parameter);
  }

  // The rows name the handlers the endpoints document (spot checks of the
  // ones a wrong row would hurt most: the writes and the public ones).
  void testRowsNameTheirHandlersAndAccess() {
    auto row = [](const std::string& path, const char* method) {
      Router::Match match = EndpointRouter().Find(path, method);
      CPPUNIT_ASSERT_MESSAGE(path, match.row >= 0);
      return Endpoints()[match.row];
    };
    Endpoint create = row(kBase + "/user/client_tokens", "POST");
    CPPUNIT_ASSERT(create.handler == static_cast<Handler>(&ClientTokensApi::CreateToken));
    CPPUNIT_ASSERT(create.access == Access::kCallerCheckedByWrite);
    Endpoint list = row(kBase + "/user/client_tokens", "GET");
    CPPUNIT_ASSERT(list.handler == static_cast<Handler>(&ClientTokensApi::ListTokens));
    CPPUNIT_ASSERT(list.access == Access::kCaller);
    CPPUNIT_ASSERT(list.prefetch == &TokenStore::ListCommand);
    Endpoint remove = row(kBase + "/user/client_tokens/abc", "DELETE");
    CPPUNIT_ASSERT(remove.handler == static_cast<Handler>(&ClientTokensApi::DeleteToken));
    CPPUNIT_ASSERT(remove.access == Access::kCallerCheckedByWrite);
    Endpoint legacy = row(kBase + "/user/client_token", "GET");
    CPPUNIT_ASSERT(legacy.handler ==
                   static_cast<Handler>(&ClientTokensApi::CreateTokenLegacy));
    CPPUNIT_ASSERT(legacy.access == Access::kCallerCheckedByWrite);
    CPPUNIT_ASSERT(row(kBase + "/user", "GET").handler ==
                   static_cast<Handler>(&UserApi::GetUser));
    CPPUNIT_ASSERT(row(kBase + "/user/spaces/abc", "DELETE").handler ==
                   static_cast<Handler>(&SpacesApi::LeaveSpace));
    // Only health, metrics and the endpoints services ask about a token
    // (which carries its own credentials) are public.
    for (const Endpoint& endpoint : Endpoints()) {
      const std::string path = endpoint.path;
      bool open = path == "/health" || path == "/metrics" ||
                  path == "/tokens/examine" || path == "/tokens/confine" ||
                  path.rfind("/tokens/verify_", 0) == 0;
      CPPUNIT_ASSERT_MESSAGE(endpoint.path,
                             (endpoint.access == Access::kPublic) == open);
    }
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RouterTest);

}  // namespace tokend
