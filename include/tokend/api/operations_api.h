// OperationsApi: the endpoints for operators and load balancers, without
// authentication: GET /health (Redis answers or not) and GET /metrics (the
// pool's counters; nginx serves it to loopback clients only).
//
// Not thread-safe (uses the worker's RedisClient).
#pragma once

#include "tokend/api/call.h"
#include "tokend/http/outcome.h"
#include "tokend/store/redis_client.h"

namespace tokend {

class OperationsApi {
 public:
  explicit OperationsApi(RedisClient* redis) : redis_(redis) {}

  // 200 {"status":"ok"} when Redis answers, else 503.
  void CheckHealth(const Call& call, Outcome* outcome);
  // 200, the Prometheus text format.
  void ServeMetrics(const Call& call, Outcome* outcome);

 private:
  RedisClient* redis_;
};

}  // namespace tokend
