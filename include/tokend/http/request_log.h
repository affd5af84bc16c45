// The request log: one line per request on stderr (journald keeps it):
//   request id=<nginx id> method=GET route=/user status=200 user=<id>
//           ms=1.23 [error="..."]
// The route is the route's name, never the raw path, so a token in a DELETE
// path never reaches the log; no header or body is ever logged.
#pragma once

#include <string>

#include "tokend/http/outcome.h"
#include "tokend/http/request.h"

namespace tokend {

std::string FormatRequestLog(const Request& request, const Outcome& outcome,
                             double milliseconds);
// The same line (no newline) appended to `out`.
void AppendRequestLog(const Request& request, const Outcome& outcome,
                      double milliseconds, std::string* out);

// One "audit id=<request id> <event>" line per audit event of the outcome,
// each ending in a newline.
std::string FormatAuditLines(const Request& request, const Outcome& outcome);
// The same lines appended to `out`.
void AppendAuditLines(const Request& request, const Outcome& outcome,
                      std::string* out);

}  // namespace tokend
