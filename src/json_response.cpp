// JSON response rendering (see json_response.h).
#include "tokend/json_response.h"

#include <json/json.h>

#include <memory>
#include <sstream>

#include "tokend/utf8.h"

namespace tokend {

namespace {

// The most of one echoed value an error body repeats, in bytes.
constexpr size_t kMaxEchoedBytes = 512;

Json::Value DetailsOf(const Status& status) {
  Json::Value details(Json::objectValue);
  for (const Status::Detail& detail : status.details()) {
    if (detail.number) {
      details[detail.key] = Json::Int64(std::stoll(detail.value));
    } else {
      // Details may echo what a client sent (a key, a caveat it appended):
      // never let invalid UTF-8 make the error body unparsable.
      details[detail.key] = ToValidUtf8(detail.value, kMaxEchoedBytes);
    }
  }
  return details;
}

// {"id", "details"?}: how an inner reason appears under details.authError.
Json::Value InnerError(const Status& status) {
  Json::Value inner(Json::objectValue);
  inner["id"] = status.error_id();
  Json::Value details = DetailsOf(status);
  if (!details.empty()) inner["details"] = details;
  return inner;
}

}  // namespace

std::string ToJson(const Json::Value& value) {
  static const std::unique_ptr<Json::StreamWriter> writer = [] {
    Json::StreamWriterBuilder builder;
    builder["indentation"] = "";
    builder["emitUTF8"] = true;
    return std::unique_ptr<Json::StreamWriter>(builder.newStreamWriter());
  }();
  std::ostringstream out;
  writer->write(value, &out);
  return out.str();
}

Response JsonResponse(int status, const Json::Value& body) {
  Response response;
  response.status = status;
  response.AddHeader("Content-Type", "application/json");
  response.body = ToJson(body);
  return response;
}

Response ErrorResponse(const Status& status) {
  Json::Value error(Json::objectValue);
  error["id"] = status.error_id();
  error["description"] = ToValidUtf8(status.description());
  Json::Value details = DetailsOf(status);
  if (status.inner() != nullptr) {
    details["authError"] = InnerError(*status.inner());
  }
  if (!details.empty()) error["details"] = details;
  Json::Value body(Json::objectValue);
  body["error"] = error;
  Response response = JsonResponse(status.http_status(), body);
  if (status.http_status() == 401) {
    response.AddHeader("WWW-Authenticate", "Basic realm=\"onezone\"");
  }
  return response;
}

}  // namespace tokend
