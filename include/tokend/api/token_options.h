// The options body of POST /user/client_tokens: empty, {} or {"ttl": N}.
// Strict: any other key, a wrong type or a body that is not JSON is an
// error value that names the problem (Onezone's ids and details).
#pragma once

#include <cstdint>
#include <string>

#include "tokend/common/status.h"

namespace tokend {

struct TokenOptions {
  int64_t ttl = 0;  // seconds; 0 = the configured default
};

// Parses `body`; `max_ttl` bounds the ttl option (seconds).
Status ParseTokenOptions(const std::string& body, int64_t max_ttl,
                         TokenOptions* options);

}  // namespace tokend
