// Matching paths and methods against a route table (see router.h).
#include "tokend/http/router.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "tokend/common/text.h"

namespace tokend {

namespace {

[[noreturn]] void BadPattern(const char* pattern, const char* why) {
  std::fprintf(stderr, "route pattern \"%s\": %s\n", pattern, why);
  std::abort();
}

// RFC 3986 2.3.
bool IsUnreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
         c == '~';
}

// `path` with each %XX of an unreserved character replaced by the
// character (RFC 3986 6.2.2.2); every other escape, malformed ones too,
// stays as it is.
std::string DecodeUnreserved(const std::string& path) {
  std::string decoded;
  decoded.reserve(path.size());
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '%' && i + 2 < path.size()) {
      int high = HexDigitValue(path[i + 1]);
      int low = HexDigitValue(path[i + 2]);
      char c = static_cast<char>(high * 16 + low);
      if (high >= 0 && low >= 0 && IsUnreserved(c)) {
        decoded.push_back(c);
        i += 2;
        continue;
      }
    }
    decoded.push_back(path[i]);
  }
  return decoded;
}

// Whether a segment of `path` is "." or "..".
bool HasDotSegment(const std::string& path) {
  for (size_t slash = path.find("/."); slash != std::string::npos;
       slash = path.find("/.", slash + 1)) {
    size_t end = path.find('/', slash + 1);
    size_t length = (end == std::string::npos ? path.size() : end) - slash - 1;
    if (length == 1 || (length == 2 && path[slash + 2] == '.')) return true;
  }
  return false;
}

// RFC 3986 5.2.4 on `path` ("" or starting with '/'); false when a ".."
// would climb above its start.
bool RemoveDotSegments(const std::string& path, std::string* out) {
  out->clear();
  if (path.empty()) return true;
  std::vector<std::string> segments;
  size_t start = 1;
  for (;;) {
    size_t end = std::min(path.find('/', start), path.size());
    std::string segment = path.substr(start, end - start);
    const bool dot = segment == "." || segment == "..";
    if (segment == "..") {
      if (segments.empty()) return false;
      segments.pop_back();
    } else if (!dot) {
      segments.push_back(std::move(segment));
    }
    if (end == path.size()) {
      // "/a/." and "/a/b/.." are "/a/": the path ends with a slash.
      if (dot) segments.emplace_back();
      break;
    }
    start = end + 1;
  }
  for (const std::string& segment : segments) *out += "/" + segment;
  return true;
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
    if (!route.mount.empty() &&
        std::find(mounts_.begin(), mounts_.end(), route.mount) == mounts_.end()) {
      mounts_.push_back(route.mount);
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

bool Router::Normalise(const std::string& raw_path, std::string* path) const {
  *path = DecodeUnreserved(raw_path);
  if (!HasDotSegment(*path)) return true;
  // Dot segments are removed below the longest mount the path is under.
  const std::string* floor = nullptr;
  for (const std::string& mount : mounts_) {
    bool under = path->compare(0, mount.size(), mount) == 0 &&
                 (path->size() == mount.size() || (*path)[mount.size()] == '/');
    if (under && (floor == nullptr || mount.size() > floor->size())) floor = &mount;
  }
  if (floor == nullptr) return false;
  std::string below;
  if (!RemoveDotSegments(path->substr(floor->size()), &below)) return false;
  *path = *floor + below;
  return true;
}

Router::Match Router::Find(const std::string& raw_path,
                           const std::string& method) const {
  Match match;
  // A path with no escape and no dot segment is its own normal form (the
  // usual case): matched as it is, without a copy.
  const std::string* path = &raw_path;
  std::string normalised;
  if (raw_path.find('%') != std::string::npos || HasDotSegment(raw_path)) {
    if (!Normalise(raw_path, &normalised)) return match;
    path = &normalised;
  }
  for (const Route& route : routes_) {
    if (!Matches(route, *path, &match.parameter)) continue;
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
