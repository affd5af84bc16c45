// Request outcomes (see outcome.h).
#include "tokend/http/outcome.h"

#include "tokend/http/json_response.h"

namespace tokend {

void Outcome::Succeed(int status, const Json::Value& body) {
  response = JsonResponse(status, body);
}

void Outcome::SucceedWithJsonText(int status, std::string json_text) {
  response = JsonTextResponse(status, std::move(json_text));
}

void Outcome::SucceedEmpty() {
  response = Response();
  response.status = 204;
}

void Outcome::Fail(const Status& status) {
  Status shown = status;
  if (status.code() == Code::kInternal) {
    error_detail = status.description();
    shown = Status(Code::kInternal, "The server encountered an internal error.");
  }
  if (!request_id.empty()) shown.AddDetail("requestId", request_id);
  response = ErrorResponse(shown);
  for (const Status::Detail& detail : status.details()) {
    if ((status.code() == Code::kTooManyRequests ||
         status.code() == Code::kServiceUnavailable) &&
        detail.key == "retryAfter") {
      response.AddHeader("Retry-After", detail.value);
    }
  }
}

}  // namespace tokend
