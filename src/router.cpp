// Route table of the API (see router.h).
#include "tokend/router.h"

#include <cstring>

namespace tokend {

namespace {

struct RouteSpec {
  Route route;
  const char* path;  // below kApiBasePath
  bool has_parameter;  // the path is a prefix and the rest is the parameter
  const char* name;
  const char* allow;
};

constexpr RouteSpec kRoutes[] = {
    {Route::kUser, "/user", false, "/user", "GET"},
    {Route::kClientTokenLegacy, "/user/client_token", false,
     "/user/client_token", "GET"},
    {Route::kClientTokens, "/user/client_tokens", false, "/user/client_tokens",
     "GET, POST"},
    {Route::kClientTokenByValue, "/user/client_tokens/", true,
     "/user/client_tokens/{token}", "DELETE"},
};

}  // namespace

RouteMatch MatchRoute(const std::string& raw_path) {
  RouteMatch match;
  const size_t base = std::strlen(kApiBasePath);
  if (raw_path.compare(0, base, kApiBasePath) != 0) return match;
  std::string rest = raw_path.substr(base);
  for (const RouteSpec& spec : kRoutes) {
    const size_t length = std::strlen(spec.path);
    bool matched = false;
    if (spec.has_parameter) {
      matched = rest.size() > length && rest.compare(0, length, spec.path) == 0;
    } else {
      // One trailing slash is the same resource.
      matched = rest == spec.path || rest == std::string(spec.path) + "/";
    }
    if (matched) {
      match.route = spec.route;
      match.name = spec.name;
      match.allow = spec.allow;
      if (spec.has_parameter) match.parameter = rest.substr(length);
      return match;
    }
  }
  return match;
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
