// Parsing of the token-creation options body (see token_options.h).
#include "tokend/api/token_options.h"

#include <json/json.h>

#include "tokend/http/json_body.h"

namespace tokend {

namespace {

Status TtlTooHigh(int64_t max_ttl) {
  return Status(Code::kBadValueTooHigh,
                "Bad value: provided \"ttl\" must not exceed " +
                    std::to_string(max_ttl) + ".")
      .AddDetail("key", "ttl")
      .AddNumberDetail("limit", max_ttl);
}

Status TtlTooLow() {
  return Status(Code::kBadValueTooLow,
                "Bad value: provided \"ttl\" must be at least 1.")
      .AddDetail("key", "ttl")
      .AddNumberDetail("limit", 1);
}

}  // namespace

Status ParseTokenOptions(const std::string& body, int64_t max_ttl,
                         TokenOptions* options) {
  *options = TokenOptions();
  Json::Value root;
  std::string parsed_text;
  Status status =
      ParseJsonObject(body, /*allow_empty=*/true, &root, &parsed_text);
  if (!status.ok()) return status;
  status = RejectUnknownKeys(root, {"ttl"});
  if (!status.ok()) return status;
  if (!root.isMember("ttl")) return Status::Ok();

  const Json::Value& ttl = root["ttl"];
  // Only JSON integers count: 5.0, "5" and true are not whole numbers the
  // client meant as seconds. An integer literal too long for 64 bits
  // arrives as a double; its text tells it from 1e30.
  bool integral = ttl.type() == Json::intValue || ttl.type() == Json::uintValue;
  if (ttl.type() == Json::realValue && IsIntegerLiteral(parsed_text, ttl)) {
    return ttl.asDouble() < 0 ? TtlTooLow() : TtlTooHigh(max_ttl);
  }
  if (!integral) {
    return Status(Code::kBadValueInteger,
                  "Bad value: provided \"ttl\" must be an integer.")
        .AddDetail("key", "ttl");
  }
  if (!ttl.isInt64()) return TtlTooHigh(max_ttl);  // above 2^63
  int64_t value = ttl.asInt64();
  if (value < 1) return TtlTooLow();
  if (value > max_ttl) return TtlTooHigh(max_ttl);
  options->ttl = value;
  return Status::Ok();
}

}  // namespace tokend
