// Writing, counting and logging an answer (see answer.h).
#include "tokend/server/answer.h"

#include <string>

#include "tokend/common/metrics.h"
#include "tokend/http/request_log.h"
#include "tokend/server/fcgi_adapter.h"
#include "tokend/server/log_batch.h"

namespace tokend {

void Answer(const Request& request, const Outcome& outcome, FCGX_Request* fcgi,
            RequestClock::time_point read_at, LogBatch* log) {
  WriteFcgiResponse(request, outcome.response, fcgi);
  double ms = std::chrono::duration<double, std::milli>(RequestClock::now() -
                                                        read_at)
                  .count();
  CountRequest(outcome.route_number, outcome.response.status, ms / 1000.0);
  // One buffer per thread (the loop's, the hashing lane's), kept from one
  // request to the next: the lines are formatted without allocating.
  thread_local std::string lines;
  lines.clear();
  AppendRequestLog(request, outcome, ms, &lines);
  lines += '\n';
  AppendAuditLines(request, outcome, &lines);
  log->Add(lines);
}

}  // namespace tokend
