// Health and metrics endpoints (see operations_api.h).
#include "tokend/api/operations_api.h"

#include <json/json.h>

#include "tokend/api/endpoints.h"
#include "tokend/common/metrics.h"

namespace tokend {

void OperationsApi::CheckHealth(const Call&, Outcome* outcome) {
  RedisReply reply;
  Status status = redis_->Run({"PING"}, &reply);
  if (!status.ok()) return outcome->Fail(status);
  Json::Value body(Json::objectValue);
  body["status"] = "ok";
  outcome->Succeed(200, body);
}

void OperationsApi::ServeMetrics(const Call&, Outcome* outcome) {
  outcome->response.status = 200;
  outcome->response.AddHeader("Content-Type", "text/plain; version=0.0.4");
  outcome->response.body = RenderMetrics(EndpointRouter().route_names());
}

}  // namespace tokend
