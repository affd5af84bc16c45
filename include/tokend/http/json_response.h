// JSON responses: success bodies and Onezone 20.02 error bodies
// {"error": {"id", "description", "details"?}}. Only src/*.cpp see jsoncpp;
// Json::Value is forward-declared.
#pragma once

#include <string>

#include "tokend/common/status.h"
#include "tokend/http/response.h"

namespace Json {
class Value;
}

namespace tokend {

// `status` with `body` rendered as compact JSON.
Response JsonResponse(int status, const Json::Value& body);

// `status` with `json_text`, compact JSON its caller wrote itself (a body
// on a hot path, written without building a Json::Value first).
Response JsonTextResponse(int status, std::string json_text);

// The error body of `status`, with its HTTP status, and the headers its
// code calls for (WWW-Authenticate on 401).
Response ErrorResponse(const Status& status);

// Compact JSON text of `value`.
std::string ToJson(const Json::Value& value);

}  // namespace tokend
