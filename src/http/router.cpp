// Route table of the API (see router.h).
#include "tokend/http/router.h"

#include <cstring>

namespace tokend {

namespace {

// A path below kApiBasePath is `prefix`, then (when the route has one) a
// parameter, then `suffix`.
enum class Parameter {
  kNone,
  kSegment,   // one non-empty path segment (an id)
  kRest,      // everything after the prefix, slashes included (a token)
};

struct RouteSpec {
  Route route;
  const char* prefix;
  Parameter parameter;
  const char* suffix;
  const char* name;
  const char* allow;
};

// Fixed paths come before the parameter routes they would also match
// (/user/spaces/default before /user/spaces/{id}).
constexpr RouteSpec kRoutes[] = {
    {Route::kUser, "/user", Parameter::kNone, "", "/user", "GET"},
    {Route::kClientTokenLegacy, "/user/client_token", Parameter::kNone, "",
     "/user/client_token", "GET"},
    {Route::kClientTokens, "/user/client_tokens", Parameter::kNone, "",
     "/user/client_tokens", "GET, POST"},
    {Route::kClientTokenByValue, "/user/client_tokens/", Parameter::kRest, "",
     "/user/client_tokens/{token}", "DELETE"},
    {Route::kUserSpaces, "/user/spaces", Parameter::kNone, "", "/user/spaces",
     "GET, POST"},
    {Route::kUserDefaultSpace, "/user/spaces/default", Parameter::kNone, "",
     "/user/spaces/default", "GET, PUT"},
    {Route::kUserSpaceInvite, "/user/spaces/token", Parameter::kNone, "",
     "/user/spaces/token", "GET"},
    {Route::kUserSpaceJoin, "/user/spaces/join", Parameter::kNone, "",
     "/user/spaces/join", "POST"},
    {Route::kUserSpace, "/user/spaces/", Parameter::kSegment, "",
     "/user/spaces/{id}", "GET, DELETE"},
    {Route::kSpaceUsers, "/spaces/", Parameter::kSegment, "/users",
     "/spaces/{id}/users", "GET"},
    {Route::kSpaceUserInvite, "/spaces/", Parameter::kSegment, "/users/token",
     "/spaces/{id}/users/token", "POST"},
    {Route::kHealth, "/health", Parameter::kNone, "", "/health", "GET"},
};

// Served at the server root, not below the API base path.
constexpr RouteSpec kMetricsRoute = {Route::kMetrics, "/metrics", Parameter::kNone,
                                     "", "/metrics", "GET"};

bool EndsWith(const std::string& text, const char* suffix) {
  size_t length = std::strlen(suffix);
  return text.size() >= length &&
         text.compare(text.size() - length, length, suffix) == 0;
}

// Whether `rest` matches `spec`; sets `parameter` when it does.
bool Matches(const RouteSpec& spec, const std::string& rest,
             std::string* parameter) {
  const size_t prefix = std::strlen(spec.prefix);
  if (spec.parameter == Parameter::kNone) {
    // One trailing slash is the same resource.
    return rest == spec.prefix || rest == std::string(spec.prefix) + "/";
  }
  if (rest.compare(0, prefix, spec.prefix) != 0) return false;
  const size_t suffix = std::strlen(spec.suffix);
  if (rest.size() <= prefix + suffix || !EndsWith(rest, spec.suffix)) return false;
  std::string value = rest.substr(prefix, rest.size() - prefix - suffix);
  if (spec.parameter == Parameter::kSegment &&
      value.find('/') != std::string::npos) {
    return false;
  }
  *parameter = value;
  return true;
}

}  // namespace

RouteMatch MatchRoute(const std::string& raw_path) {
  RouteMatch match;
  std::string unused;
  if (Matches(kMetricsRoute, raw_path, &unused)) {
    match.route = kMetricsRoute.route;
    match.name = kMetricsRoute.name;
    match.allow = kMetricsRoute.allow;
    return match;
  }
  const size_t base = std::strlen(kApiBasePath);
  if (raw_path.compare(0, base, kApiBasePath) != 0) return match;
  std::string rest = raw_path.substr(base);
  for (const RouteSpec& spec : kRoutes) {
    std::string parameter;
    if (Matches(spec, rest, &parameter)) {
      match.route = spec.route;
      match.name = spec.name;
      match.allow = spec.allow;
      match.parameter = parameter;
      return match;
    }
  }
  return match;
}

const char* RouteName(Route route) {
  if (route == kMetricsRoute.route) return kMetricsRoute.name;
  for (const RouteSpec& spec : kRoutes) {
    if (spec.route == route) return spec.name;
  }
  return "unknown";
}

bool RouteAllows(const RouteMatch& match, const std::string& method) {
  // The allow lists are short and fixed: "GET", "GET, POST", "DELETE".
  std::string allow = match.allow;
  size_t start = 0;
  while (start < allow.size()) {
    size_t end = allow.find(", ", start);
    if (end == std::string::npos) end = allow.size();
    if (allow.compare(start, end - start, method) == 0 &&
        end - start == method.size()) {
      return true;
    }
    start = end + 2;
  }
  return false;
}

}  // namespace tokend
