// Router: maps a request path to one of the API's routes and says which
// methods the route allows (for 405 and its Allow header).
//
// Pure functions; thread-safe.
#pragma once

#include <string>

namespace tokend {

enum class Route {
  kNone,                // unknown path: 404
  kUser,                // /user
  kClientTokenLegacy,   // /user/client_token (GET that creates, deprecated)
  kClientTokens,        // /user/client_tokens
  kClientTokenByValue,  // /user/client_tokens/{token}
  kUserSpaces,          // /user/spaces
  kUserDefaultSpace,    // /user/spaces/default
  kUserSpaceInvite,     // /user/spaces/token
  kUserSpaceJoin,       // /user/spaces/join
  kUserSpace,           // /user/spaces/{id}
  kSpaceUsers,          // /spaces/{id}/users
  kSpaceUserInvite,     // /spaces/{id}/users/token
  kHealth,              // /health (no authentication)
  kMetrics,             // /metrics at the server root (nginx: loopback only)
  kRouteCountMarker,    // keep last: the number of routes
};

constexpr int kRouteCount = static_cast<int>(Route::kRouteCountMarker);

struct RouteMatch {
  Route route = Route::kNone;
  // A name for logs that never contains the path parameter (a token).
  const char* name = "unknown";
  // Allowed methods, as the Allow header lists them.
  const char* allow = "";
  // The raw, still percent-encoded path parameter.
  std::string parameter;
};

// The API's base path; everything else is 404.
constexpr char kApiBasePath[] = "/api/v3/onezone";

RouteMatch MatchRoute(const std::string& raw_path);

// The route's name for logs and metrics ("unknown" for kNone).
const char* RouteName(Route route);

// Whether `method` is in the route's Allow list.
bool RouteAllows(const RouteMatch& match, const std::string& method);

}  // namespace tokend
