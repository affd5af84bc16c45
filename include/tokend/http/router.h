// Router: finds the route of a table that a request path names, and the
// row of that route that serves the request's method, for 404, 405 and its
// Allow header. The table is the caller's (the API's endpoint table); the
// router knows only paths and methods.
//
// A row's path pattern is literal text with at most one parameter:
//   "{name}"   one non-empty path segment (no '/'),
//   "{name*}"  the rest of the path, slashes included (a token).
// Rows with the same mount and pattern are one route; the route's name
// (for logs and metric labels) is its pattern with "{name*}" shown as
// "{name}", so it never contains what a client put in the path. A fixed
// path also matches with one trailing slash. Fixed routes are tried first,
// then parameter routes in table order, so "/user/spaces/default" wins over
// "/user/spaces/{id}".
//
// A GET row also serves HEAD (RFC 9110 9.3.2), listed after GET in Allow,
// unless the row says otherwise (a GET that creates something: HEAD is a
// safe method and must not).
//
// The path is normalised before it is matched (RFC 3986 6.2.2):
// percent-encoded unreserved characters are decoded ("%75ser" is "user"),
// other escapes stay as sent (so "%2F" never separates segments), and
// below a mount other than the root, dot segments are removed, never
// climbing above the mount ("/base/x/../user" is "/base/user";
// "/base/../other" names no route). A dot segment elsewhere leaves the
// path unroutable: nginx chooses its location (and so the access rules of
// a root path such as /metrics) on its own, more liberal, normalisation,
// and the two must not disagree about which root path a request names.
//
// Immutable after construction; thread-safe.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace tokend {

struct RouteRow {
  const char* mount;    // what the pattern is below ("" for the server root)
  const char* pattern;  // "/user/client_tokens/{token*}"
  const char* method;   // "GET", compared case-sensitively
  bool serves_head = true;  // a GET row: whether it serves HEAD too
};

class Router {
 public:
  // Index 0 is no route at all; routes are numbered from 1 in the order
  // their first row appears.
  static constexpr int kNoRoute = 0;

  struct Match {
    int route = kNoRoute;
    // The row serving the method, -1 when the route does not allow it.
    int row = -1;
    const char* name = "unknown";
    const char* allow = "";  // the route's methods: "GET, HEAD, POST"
    // From the normalised path: escapes of reserved characters and of
    // bytes that are not ASCII are still there.
    std::string parameter;
  };

  // Aborts on a malformed pattern: the table is part of the program.
  explicit Router(const std::vector<RouteRow>& rows);
  // Matches point into the router's names: it is not copied.
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // `raw_path` as the client sent it, still percent-encoded.
  Match Find(const std::string& raw_path, const std::string& method) const;

  // Route names by route number; [kNoRoute] is "unknown".
  const std::vector<std::string>& route_names() const { return names_; }

 private:
  enum class Parameter { kNone, kSegment, kRest };
  struct Route {
    int number;
    std::string mount;
    std::string prefix;  // the pattern before the parameter
    Parameter parameter;
    std::string suffix;  // the pattern after it
    std::string allow;
    std::vector<std::pair<std::string, int>> methods;  // method, row
  };

  bool Matches(const Route& route, const std::string& path,
               std::string* parameter) const;
  // The path routes are matched against; false when it names no route.
  bool Normalise(const std::string& raw_path, std::string* path) const;

  std::vector<Route> routes_;  // fixed routes first, then parameter routes
  std::vector<std::string> names_;
  std::vector<std::string> mounts_;  // the mounts but the root
};

}  // namespace tokend
