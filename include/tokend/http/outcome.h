// Outcome: what one request came to: the response, plus what the request
// log needs (route name, user id, the cause of an internal error). Handlers
// fill it in; internal causes go to the log, never to the client.
#pragma once

#include <string>
#include <vector>

#include "tokend/common/status.h"
#include "tokend/http/response.h"

namespace Json {
class Value;
}

namespace tokend {

struct Outcome {
  Response response;
  int route_number = 0;           // Router::Match::route, for metrics
  const char* route = "unknown";  // the route's name, never the raw path
  std::string user_id;            // empty when not authenticated
  std::string error_detail;       // an internal error's cause, for the log
  std::string request_id;         // nginx's id; error bodies repeat it
  // Audit events, one line each ("event=token.created user=... token=<id>").
  // They name token identifiers, never tokens.
  std::vector<std::string> audit;
  // No answer yet: the request needs a slow password hash and is to be
  // served again by the worker's hashing lane (see server/hashing_lane.h).
  bool needs_hashing_lane = false;

  // A JSON body with `status`.
  void Succeed(int status, const Json::Value& body);
  // The same with the body's compact JSON text (see JsonTextResponse).
  void SucceedWithJsonText(int status, std::string json_text);
  // 204 No Content.
  void SucceedEmpty();
  // The Onezone error body of `status`, with details.requestId when nginx
  // gave one; an internal error gets a generic description and its cause
  // is kept in error_detail.
  void Fail(const Status& status);
  void Audit(std::string event) { audit.push_back(std::move(event)); }
};

}  // namespace tokend
