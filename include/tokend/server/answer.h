// Answering a request: its outcome written to libfcgi, counted in the
// metrics (latency from `read_at`, when the worker's connection loop learned
// the request was there, every wait in the worker included)
// and logged (the request line and its audit lines, into the worker's
// `log` batch). Shared by a worker's connection loop and its hashing lane.
#pragma once

#include <chrono>

#include "tokend/http/outcome.h"
#include "tokend/http/request.h"

struct FCGX_Request;

namespace tokend {

class LogBatch;

using RequestClock = std::chrono::steady_clock;

void Answer(const Request& request, const Outcome& outcome, FCGX_Request* fcgi,
            RequestClock::time_point read_at, LogBatch* log);

}  // namespace tokend
