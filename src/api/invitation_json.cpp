// Invitation values in JSON (see invitation_json.h).
#include "tokend/api/invitation_json.h"

#include <json/json.h>

#include <algorithm>

#include "tokend/common/limits.h"

namespace tokend {

namespace {

constexpr char kInfinity[] = "infinity";
constexpr char kPrivilegePrefix[] = "space_";

bool IsPrivilegeName(const std::string& name) {
  const std::string prefix = kPrivilegePrefix;
  if (name.size() <= prefix.size() || name.size() > kMaxPrivilegeChars ||
      name.compare(0, prefix.size(), prefix) != 0) {
    return false;
  }
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; });
}

}  // namespace

Status ReadUsageLimitJson(const Json::Value& value, int64_t* limit) {
  if (value.isString() && value.asString() == kInfinity) {
    *limit = 0;
    return Status::Ok();
  }
  // Integers only: jsoncpp would also take 2.0 (or 1e3) as an Int64.
  const bool integer = value.type() == Json::intValue ||
                       value.type() == Json::uintValue;
  if (!integer || !value.isInt64()) {
    return Status(Code::kBadValueInteger,
                  "Bad value: provided \"usageLimit\" must be a positive "
                  "integer or \"infinity\".")
        .AddDetail("key", "usageLimit");
  }
  if (value.asInt64() < 1) {
    return Status(Code::kBadValueTooLow,
                  "Bad value: provided \"usageLimit\" must be at least 1 (or "
                  "\"infinity\").")
        .AddDetail("key", "usageLimit")
        .AddNumberDetail("limit", 1);
  }
  *limit = value.asInt64();
  return Status::Ok();
}

Status ReadPrivilegesJson(const Json::Value& value,
                          std::vector<std::string>* privileges) {
  privileges->clear();
  Status bad = Status(Code::kBadData,
                      "Bad value: provided \"privileges\" must be a list of "
                      "at most " +
                          std::to_string(kMaxInvitePrivileges) +
                          " distinct space privilege names (\"space_view\", "
                          "\"space_read_data\"...).")
                   .AddDetail("key", "privileges");
  if (!value.isArray() || value.size() > kMaxInvitePrivileges) return bad;
  for (const Json::Value& item : value) {
    if (!item.isString() || !IsPrivilegeName(item.asString())) return bad;
    const std::string name = item.asString();
    if (std::find(privileges->begin(), privileges->end(), name) !=
        privileges->end()) {
      return bad;
    }
    privileges->push_back(name);
  }
  return Status::Ok();
}

Json::Value UsageLimitJson(int64_t limit) {
  return limit == 0 ? Json::Value(kInfinity) : Json::Value(Json::Int64(limit));
}

}  // namespace tokend
