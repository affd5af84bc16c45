// Caveats between JSON and macaroon strings (see caveats_json.h).
#include "tokend/api/caveats_json.h"

#include <json/json.h>

#include "tokend/common/limits.h"
#include "tokend/http/json_response.h"
#include "tokend/token/verifier.h"

namespace tokend {

namespace {

Status BadCaveat(const Json::Value& caveat, const std::string& why) {
  return Status(Code::kBadValueCaveat, "Bad value: caveat " + why + ".")
      .AddJsonDetail("caveat", ToJson(caveat));
}

// The string of one caveat object, or an error.
Status ParseOne(const Json::Value& caveat, int64_t now, std::string* out) {
  if (!caveat.isObject() || !caveat["type"].isString()) {
    return BadCaveat(caveat, "must be an object with a \"type\"");
  }
  const std::string type = caveat["type"].asString();
  if (type != "time") {
    return BadCaveat(caveat, "of type \"" + type + "\" is not offered here");
  }
  for (const std::string& key : caveat.getMemberNames()) {
    if (key != "type" && key != "validUntil") {
      return BadCaveat(caveat, "has a key \"" + key + "\" a time caveat has not");
    }
  }
  const Json::Value& until = caveat["validUntil"];
  // An integer as written: 1.8e9 is a number of another kind (jsoncpp
  // would call it integral).
  const bool integer =
      until.type() == Json::intValue || until.type() == Json::uintValue;
  if (!integer || !until.isInt64()) {
    return BadCaveat(caveat, "\"validUntil\" must be a whole number of Unix seconds");
  }
  if (until.asInt64() <= now) {
    return BadCaveat(caveat, "\"validUntil\" has already passed");
  }
  *out = "time < " + std::to_string(until.asInt64());
  return Status::Ok();
}

}  // namespace

Status ParseCaveatsJson(const Json::Value& caveats, int64_t now,
                        std::vector<std::string>* out) {
  if (!caveats.isArray()) {
    return Status(Code::kBadValueJSON,
                  "Bad value: provided \"caveats\" must be a list of caveats.")
        .AddDetail("key", "caveats");
  }
  if (out->size() + caveats.size() > kMaxNamedTokenCaveats) {
    return Status(Code::kBadValueCaveat,
                  "Bad value: a token carries at most " +
                      std::to_string(kMaxNamedTokenCaveats) + " caveats.")
        .AddNumberDetail("limit", kMaxNamedTokenCaveats);
  }
  for (const Json::Value& caveat : caveats) {
    std::string text;
    Status status = ParseOne(caveat, now, &text);
    if (!status.ok()) return status;
    out->push_back(std::move(text));
  }
  return Status::Ok();
}

Json::Value CaveatJson(const std::string& caveat) {
  Json::Value json(Json::objectValue);
  int64_t deadline = 0;
  if (ParseTimeCaveat(caveat, &deadline)) {
    json["type"] = "time";
    json["validUntil"] = Json::Int64(deadline);
  } else {
    // Not minted here (the caveats issue 14 adds): shown as it is.
    json["type"] = "unknown";
    json["caveat"] = caveat;
  }
  return json;
}

int64_t EarliestTimeCaveat(const std::vector<std::string>& caveats) {
  int64_t earliest = 0;
  for (const std::string& caveat : caveats) {
    int64_t deadline = 0;
    if (ParseTimeCaveat(caveat, &deadline) &&
        (earliest == 0 || deadline < earliest)) {
      earliest = deadline;
    }
  }
  return earliest;
}

}  // namespace tokend
