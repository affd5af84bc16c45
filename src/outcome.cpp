// Request outcomes (see outcome.h).
#include "tokend/outcome.h"

#include "tokend/json_response.h"

namespace tokend {

void Outcome::Succeed(int status, const Json::Value& body) {
  response = JsonResponse(status, body);
}

void Outcome::SucceedEmpty() {
  response = Response();
  response.status = 204;
}

void Outcome::Fail(const Status& status) {
  if (status.code() != Code::kInternal) {
    response = ErrorResponse(status);
    return;
  }
  error_detail = status.description();
  response = ErrorResponse(
      Status(Code::kInternal, "The server encountered an internal error."));
}

}  // namespace tokend
