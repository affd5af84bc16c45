// Token types in JSON (see token_type_json.h).
#include "tokend/api/token_type_json.h"

#include <json/json.h>

#include <string>

namespace tokend {

namespace {

constexpr char kAccessTokenType[] = "accessToken";
constexpr char kIdentityTokenType[] = "identityToken";

}  // namespace

Status ReadTokenTypeJson(const Json::Value& type, bool* identity) {
  if (type.isObject() && type.size() == 1) {
    const std::string name = type.getMemberNames()[0];
    const Json::Value& options = type[name];
    if (options.isObject() && options.empty() &&
        (name == kAccessTokenType || name == kIdentityTokenType)) {
      *identity = name == kIdentityTokenType;
      return Status::Ok();
    }
  }
  return Status(Code::kBadValueTokenType,
                "Bad value: provided \"type\" must be {\"accessToken\": {}} or "
                "{\"identityToken\": {}}.")
      .AddDetail("key", "type");
}

Json::Value TokenTypeJson(bool identity) {
  Json::Value type(Json::objectValue);
  type[identity ? kIdentityTokenType : kAccessTokenType] =
      Json::Value(Json::objectValue);
  return type;
}

}  // namespace tokend
