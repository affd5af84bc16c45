// Parsing of the token-creation options body (see token_options.h).
#include "tokend/token_options.h"

#include <json/json.h>

#include <memory>

#include "tokend/limits.h"

namespace tokend {

namespace {

bool IsBlank(const std::string& text) {
  return text.find_first_not_of(" \t\r\n") == std::string::npos;
}

}  // namespace

Status ParseTokenOptions(const std::string& body, int64_t max_ttl,
                         TokenOptions* options) {
  *options = TokenOptions();
  if (IsBlank(body)) return Status::Ok();  // the seeds send -d ''

  Json::CharReaderBuilder builder;
  Json::CharReaderBuilder::strictMode(&builder.settings_);
  builder["stackLimit"] = kMaxJsonDepth;
  builder["rejectDupKeys"] = true;
  builder["strictRoot"] = false;  // a non-object root is badValueJSON, not malformed
  std::unique_ptr<Json::CharReader> reader(builder.newCharReader());
  Json::Value root;
  std::string errors;
  bool parsed = false;
  try {
    parsed = reader->parse(body.data(), body.data() + body.size(), &root,
                           &errors);
  } catch (const Json::Exception&) {
    parsed = false;  // jsoncpp throws past its stack limit
  }
  if (!parsed) {
    return Status(Code::kMalformedData,
                  "Provided data could not be understood by the server.");
  }
  if (!root.isObject()) {
    return Status(Code::kBadValueJSON,
                  "Bad value: provided body must be a JSON object.");
  }
  for (const std::string& key : root.getMemberNames()) {
    if (key != "ttl") {
      return Status(Code::kBadData, "Bad value: provided \"" + key +
                                        "\" could not be understood by the "
                                        "server.")
          .AddDetail("key", key);
    }
  }
  if (root.isMember("ttl")) {
    const Json::Value& ttl = root["ttl"];
    // Only JSON integers count: 5.0, "5" and true are not whole numbers
    // the client meant as seconds, and 1e30 does not fit.
    bool integral = ttl.type() == Json::intValue || ttl.type() == Json::uintValue;
    if (!integral || !ttl.isInt64()) {
      if (integral && ttl.isUInt64()) {
        return Status(Code::kBadValueTooHigh,
                      "Bad value: provided \"ttl\" must not exceed " +
                          std::to_string(max_ttl) + ".")
            .AddDetail("key", "ttl")
            .AddNumberDetail("limit", max_ttl);
      }
      return Status(Code::kBadValueInteger,
                    "Bad value: provided \"ttl\" must be an integer.")
          .AddDetail("key", "ttl");
    }
    int64_t value = ttl.asInt64();
    if (value < 1) {
      return Status(Code::kBadValueTooLow,
                    "Bad value: provided \"ttl\" must be at least 1.")
          .AddDetail("key", "ttl")
          .AddNumberDetail("limit", 1);
    }
    if (value > max_ttl) {
      return Status(Code::kBadValueTooHigh,
                    "Bad value: provided \"ttl\" must not exceed " +
                        std::to_string(max_ttl) + ".")
          .AddDetail("key", "ttl")
          .AddNumberDetail("limit", max_ttl);
    }
    options->ttl = value;
  }
  return Status::Ok();
}

}  // namespace tokend
