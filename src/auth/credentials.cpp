// Reading credentials from request headers (see credentials.h).
#include "tokend/auth/credentials.h"

#include <cctype>

namespace tokend {

namespace {

// "Bearer abc" -> "abc" when `header` starts with `scheme` (any case) and
// one or more spaces (RFC 9110 11.4: 1*SP; a tab is not one, as for
// nginx); a bare "Bearer" gives "" (an empty, hence bad, token).
bool StripScheme(const std::string& header, const std::string& scheme,
                 std::string* rest) {
  if (header.size() < scheme.size()) return false;
  if (header.size() > scheme.size() && header[scheme.size()] != ' ') return false;
  for (size_t i = 0; i < scheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != scheme[i]) {
      return false;
    }
  }
  size_t start = header.find_first_not_of(' ', scheme.size());
  *rest = start == std::string::npos ? "" : header.substr(start);
  return true;
}

}  // namespace

Credentials ReadCredentials(const Request& request) {
  using Kind = Credentials::Kind;
  const std::string* authorization = request.Header("authorization");
  Credentials credentials;
  if (const std::string* token = request.Header("x-auth-token")) {
    credentials = {Kind::kToken, *token};
  } else if (authorization != nullptr &&
             StripScheme(*authorization, "bearer", &credentials.text)) {
    credentials.kind = Kind::kToken;
  } else if (const std::string* macaroon = request.Header("macaroon")) {
    credentials = {Kind::kToken, *macaroon};
  } else if (authorization != nullptr &&
             StripScheme(*authorization, "basic", &credentials.text)) {
    credentials.kind = Kind::kBasic;
  } else if (authorization != nullptr) {
    credentials.kind = Kind::kUnsupported;
  }
  return credentials;
}

}  // namespace tokend
