// Credentials: what a request presents, read from its headers in Onezone's
// (19.02+) precedence: a token in X-Auth-Token, then "Authorization:
// Bearer", then Macaroon; without one, "Authorization: Basic". A bad token
// in a higher place is not passed over for a lower one.
//
// Pure functions; thread-safe.
#pragma once

#include <string>

#include "tokend/http/request.h"

namespace tokend {

struct Credentials {
  enum class Kind {
    kNone,         // no credentials at all
    kToken,        // `text` is the token as sent
    kBasic,        // `text` is the base64 of "name:password", as sent
    kUnsupported,  // an Authorization header of another scheme
  };
  Kind kind = Kind::kNone;
  std::string text;
};

Credentials ReadCredentials(const Request& request);

}  // namespace tokend
