// Matching paths and methods against a route table (see router.h).
#include "tokend/http/router.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace tokend {

namespace {

[[noreturn]] void BadPattern(const char* pattern, const char* why) {
  std::fprintf(stderr, "route pattern \"%s\": %s\n", pattern, why);
  std::abort();
}

}  // namespace

Router::Router(const std::vector<RouteRow>& rows) {
  names_.push_back("unknown");
  std::vector<Route> routes;
  for (size_t row = 0; row < rows.size(); ++row) {
    const RouteRow& spec = rows[row];
    std::string pattern = spec.pattern;
    size_t open = pattern.find('{');
    Route route;
    route.mount = spec.mount;
    if (open == std::string::npos) {
      route.prefix = pattern;
      route.parameter = Parameter::kNone;
    } else {
      size_t close = pattern.find('}', open);
      if (close == std::string::npos) BadPattern(spec.pattern, "no closing }");
      if (pattern.find('{', close) != std::string::npos) {
        BadPattern(spec.pattern, "more than one parameter");
      }
      bool rest = pattern[close - 1] == '*';
      route.prefix = pattern.substr(0, open);
      route.parameter = rest ? Parameter::kRest : Parameter::kSegment;
      route.suffix = pattern.substr(close + 1);
      if (rest && !route.suffix.empty()) {
        BadPattern(spec.pattern, "a {name*} parameter must end the pattern");
      }
      // The name shows {name*} as {name}.
      if (rest) pattern.erase(close - 1, 1);
    }
    auto existing = std::find_if(routes.begin(), routes.end(), [&](const Route& r) {
      return r.mount == route.mount && r.prefix == route.prefix &&
             r.parameter == route.parameter && r.suffix == route.suffix;
    });
    if (existing == routes.end()) {
      route.number = static_cast<int>(names_.size());
      names_.push_back(pattern);
      routes.push_back(route);
      existing = routes.end() - 1;
    }
    std::vector<std::string> methods = {spec.method};
    if (methods[0] == "GET" && spec.serves_head) methods.push_back("HEAD");
    for (const std::string& method : methods) {
      for (const auto& listed : existing->methods) {
        if (listed.first == method) BadPattern(spec.pattern, "method listed twice");
      }
      existing->methods.emplace_back(method, static_cast<int>(row));
      if (!existing->allow.empty()) existing->allow += ", ";
      existing->allow += method;
    }
  }
  // Fixed routes first; the stable partition keeps table order within each.
  std::stable_partition(routes.begin(), routes.end(), [](const Route& route) {
    return route.parameter == Parameter::kNone;
  });
  routes_ = std::move(routes);
}

bool Router::Matches(const Route& route, const std::string& path,
                     std::string* parameter) const {
  if (path.compare(0, route.mount.size(), route.mount) != 0) return false;
  const size_t start = route.mount.size();
  const size_t length = path.size() - start;
  if (route.parameter == Parameter::kNone) {
    // One trailing slash is the same resource.
    const size_t prefix = route.prefix.size();
    return path.compare(start, std::string::npos, route.prefix) == 0 ||
           (length == prefix + 1 && path.back() == '/' &&
            path.compare(start, prefix, route.prefix) == 0);
  }
  const size_t fixed = route.prefix.size() + route.suffix.size();
  if (length <= fixed) return false;  // the parameter may not be empty
  if (path.compare(start, route.prefix.size(), route.prefix) != 0 ||
      path.compare(path.size() - route.suffix.size(), std::string::npos,
                   route.suffix) != 0) {
    return false;
  }
  const size_t value_start = start + route.prefix.size();
  const size_t value_length = length - fixed;
  if (route.parameter == Parameter::kSegment &&
      path.find('/', value_start) < value_start + value_length) {
    return false;
  }
  parameter->assign(path, value_start, value_length);
  return true;
}

Router::Match Router::Find(const std::string& raw_path,
                           const std::string& method) const {
  Match match;
  for (const Route& route : routes_) {
    if (!Matches(route, raw_path, &match.parameter)) continue;
    match.route = route.number;
    match.name = names_[route.number].c_str();
    match.allow = route.allow.c_str();
    for (const auto& allowed : route.methods) {
      if (allowed.first == method) match.row = allowed.second;
    }
    return match;
  }
  return match;
}

}  // namespace tokend
