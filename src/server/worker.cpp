// The per-process request loop (see worker.h).
#include "tokend/server/worker.h"

#include <fcgiapp.h>

#include <chrono>
#include <cstdio>

#include "tokend/api/api.h"
#include "tokend/common/metrics.h"
#include "tokend/http/request_log.h"
#include "tokend/server/fcgi_adapter.h"
#include "tokend/server/fcgi_connections.h"
#include "tokend/server/worker_pool.h"
#include "tokend/store/redis_client.h"

namespace tokend {

int RunWorker(int listen_fd, const Config& config, const TokenKeys& keys) {
  RedisClient redis(config);
  Api api(config, keys, &redis);
  FcgiConnections connections(listen_fd);
  auto handle = [&api](FCGX_Request* fcgi) {
    auto start = std::chrono::steady_clock::now();
    Request request = ReadFcgiRequest(fcgi);
    Outcome outcome = api.Handle(request);
    WriteFcgiResponse(outcome.response, fcgi);
    double ms = std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - start)
                    .count();
    CountRequest(outcome.route_number, outcome.response.status,
                 ms / 1000.0);
    std::string lines = FormatRequestLog(request, outcome, ms) + "\n" +
                        FormatAuditLines(request, outcome);
    std::fputs(lines.c_str(), stderr);
  };
  return connections.Serve(handle, WorkerWait, WorkerStopRequested);
}

}  // namespace tokend
