// The per-process request loop (see worker.h).
#include "tokend/worker.h"

#include <fcgiapp.h>

#include <chrono>
#include <cstdio>

#include "tokend/api.h"
#include "tokend/fcgi_adapter.h"
#include "tokend/metrics.h"
#include "tokend/redis_client.h"
#include "tokend/request_log.h"
#include "tokend/worker_pool.h"

namespace tokend {

int RunWorker(int listen_fd, const Config& config, const TokenKeys& keys) {
  RedisClient redis(config);
  Api api(config, keys, &redis);
  FCGX_Request fcgi;
  if (FCGX_InitRequest(&fcgi, listen_fd, 0) != 0) return 1;

  while (WorkerWaitForConnection(listen_fd)) {
    // Negative when another worker took the connection first (EAGAIN) or
    // it failed during the FastCGI handshake: back to waiting either way.
    if (FCGX_Accept_r(&fcgi) < 0) continue;
    auto start = std::chrono::steady_clock::now();
    Request request = ReadFcgiRequest(&fcgi);
    Outcome outcome = api.Handle(request);
    WriteFcgiResponse(outcome.response, &fcgi);
    FCGX_Finish_r(&fcgi);
    double ms = std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - start)
                    .count();
    CountRequest(static_cast<int>(outcome.route_id), outcome.response.status,
                 ms / 1000.0);
    std::string lines = FormatRequestLog(request, outcome, ms) + "\n" +
                        FormatAuditLines(request, outcome);
    std::fputs(lines.c_str(), stderr);
  }
  return 0;
}

}  // namespace tokend
