// Call: what an endpoint handler is given: the request, the path parameter
// its route names, who is calling, and the guard its one write must carry
// when the caller's last check is left to that write. Handlers see these
// values only, never libfcgi or hiredis.
#pragma once

#include <string>

#include "tokend/auth/caller.h"
#include "tokend/http/request.h"
#include "tokend/store/write_guard.h"

namespace tokend {

struct Call {
  const Request& request;
  // The route's path parameter, raw (still percent-encoded); "" when the
  // route has none.
  std::string parameter;
  // Who is calling; empty for public endpoints.
  Caller caller;
  // For endpoints whose write makes the caller's last check
  // (Access::kCallerCheckedByWrite): the guard to pass to that write, which
  // reports whether it held. Null otherwise.
  WriteGuard* guard = nullptr;
};

}  // namespace tokend
