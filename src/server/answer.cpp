// Writing, counting and logging an answer (see answer.h).
#include "tokend/server/answer.h"

#include <cstdio>
#include <string>

#include "tokend/common/metrics.h"
#include "tokend/http/request_log.h"
#include "tokend/server/fcgi_adapter.h"

namespace tokend {

void Answer(const Request& request, const Outcome& outcome, FCGX_Request* fcgi,
            RequestClock::time_point read_at) {
  WriteFcgiResponse(outcome.response, fcgi);
  double ms = std::chrono::duration<double, std::milli>(RequestClock::now() -
                                                        read_at)
                  .count();
  CountRequest(outcome.route_number, outcome.response.status, ms / 1000.0);
  std::string lines = FormatRequestLog(request, outcome, ms) + "\n" +
                      FormatAuditLines(request, outcome);
  std::fputs(lines.c_str(), stderr);
}

}  // namespace tokend
