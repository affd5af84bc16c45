// Caveats between JSON and macaroon strings (see caveats_json.h).
#include "tokend/api/caveats_json.h"

#include <json/json.h>

#include <initializer_list>

#include "tokend/common/limits.h"
#include "tokend/common/text.h"
#include "tokend/http/json_response.h"
#include "tokend/token/verifier.h"

namespace tokend {

namespace {

Status BadCaveat(const Json::Value& caveat, const std::string& why) {
  return Status(Code::kBadValueCaveat, "Bad value: caveat " + why + ".")
      .AddJsonDetail("caveat", ToJson(caveat));
}

std::string TypeText(CaveatType type) {
  return std::string("of type \"") + CaveatTypeName(type) + "\"";
}

// An integer as written: 1.8e9 is a number of another kind (jsoncpp would
// call it integral).
bool IsWrittenInteger(const Json::Value& value) {
  return (value.type() == Json::intValue || value.type() == Json::uintValue) &&
         value.isInt64();
}

// Refuses a key other than "type" and `keys`.
Status OnlyKeys(const Json::Value& caveat, CaveatType type,
                std::initializer_list<const char*> keys) {
  for (const std::string& key : caveat.getMemberNames()) {
    bool known = key == "type";
    for (const char* allowed : keys) known = known || key == allowed;
    if (!known) {
      return BadCaveat(caveat, TypeText(type) + " has no key \"" + key + "\"");
    }
  }
  return Status::Ok();
}

// `caveat[key]`: a list of strings, or of integers when `integers`.
Status ReadList(const Json::Value& caveat, CaveatType type, const char* key,
                bool integers, std::vector<std::string>* out) {
  const Json::Value& list = caveat[key];
  const std::string what = std::string("\"") + key + "\" must be a list of " +
                           (integers ? "whole numbers" : "strings");
  if (!list.isArray()) return BadCaveat(caveat, TypeText(type) + ": " + what);
  if (list.size() > kMaxCaveatListEntries) {
    return BadCaveat(caveat, TypeText(type) + " lists at most " +
                                 std::to_string(kMaxCaveatListEntries) +
                                 " entries");
  }
  for (const Json::Value& entry : list) {
    if (integers ? !IsWrittenInteger(entry) : !entry.isString()) {
      return BadCaveat(caveat, TypeText(type) + ": " + what);
    }
    out->push_back(integers ? std::to_string(entry.asInt64())
                            : entry.asString());
  }
  return Status::Ok();
}

// The fields of `type` into `out` (not yet checked by ValidCaveat).
Status ReadFields(const Json::Value& caveat, CaveatType type,
                  TokenCaveat* out) {
  out->type = type;
  Status status;
  switch (type) {
    case CaveatType::kTime: {
      status = OnlyKeys(caveat, type, {"validUntil"});
      if (!status.ok()) return status;
      const Json::Value& until = caveat["validUntil"];
      if (!IsWrittenInteger(until)) {
        return BadCaveat(caveat,
                         "\"validUntil\" must be a whole number of Unix "
                         "seconds");
      }
      out->valid_until = until.asInt64();
      return Status::Ok();
    }
    case CaveatType::kDataReadonly:
      return OnlyKeys(caveat, type, {});
    case CaveatType::kInterface: {
      status = OnlyKeys(caveat, type, {"interface"});
      if (!status.ok()) return status;
      if (!caveat["interface"].isString()) {
        return BadCaveat(caveat,
                         TypeText(type) + ": \"interface\" must be a string");
      }
      out->list.push_back(caveat["interface"].asString());
      return Status::Ok();
    }
    case CaveatType::kGeoCountry:
    case CaveatType::kGeoRegion: {
      status = OnlyKeys(caveat, type, {"filter", "list"});
      if (!status.ok()) return status;
      const Json::Value& filter = caveat["filter"];
      if (!filter.isString() || (filter.asString() != "whitelist" &&
                                 filter.asString() != "blacklist")) {
        return BadCaveat(caveat, TypeText(type) +
                                     ": \"filter\" must be \"whitelist\" or "
                                     "\"blacklist\"");
      }
      out->blacklist = filter.asString() == "blacklist";
      return ReadList(caveat, type, "list", false, &out->list);
    }
    default: {
      status = OnlyKeys(caveat, type, {"whitelist"});
      if (!status.ok()) return status;
      return ReadList(caveat, type, "whitelist", type == CaveatType::kAsn,
                      &out->list);
    }
  }
}

bool NeedsGeoIp(CaveatType type) {
  return type == CaveatType::kAsn || type == CaveatType::kGeoCountry ||
         type == CaveatType::kGeoRegion;
}

bool InvitationsAccept(CaveatType type) {
  return type == CaveatType::kTime || type == CaveatType::kIp ||
         type == CaveatType::kConsumer || NeedsGeoIp(type);
}

// The kind a caveat object names in its "type".
Status ReadCaveatType(const Json::Value& caveat, CaveatType* type) {
  if (!caveat.isObject() || !caveat["type"].isString()) {
    return BadCaveat(caveat, "must be an object with a \"type\"");
  }
  if (!CaveatTypeFromName(caveat["type"].asString(), type)) {
    return BadCaveat(caveat, "of type \"" + caveat["type"].asString() +
                                 "\" is not a caveat type");
  }
  return Status::Ok();
}

// The string of one caveat object, or an error.
Status ParseOne(const Json::Value& caveat, int64_t now, CaveatUse use,
                std::string* out) {
  CaveatType type;
  Status status = ReadCaveatType(caveat, &type);
  if (!status.ok()) return status;
  if (use == CaveatUse::kInvitation && !InvitationsAccept(type)) {
    return BadCaveat(caveat, TypeText(type) +
                                 " is not for invitations: invitations accept "
                                 "only time, ip, asn, geo.country, geo.region "
                                 "and consumer caveats");
  }
  if (NeedsGeoIp(type)) {
    // Debian's geoip-database is a country-only snapshot of 2019: stale
    // data would wrongly admit or refuse clients.
    return BadCaveat(caveat, TypeText(type) +
                                 " is not offered: this service has no GeoIP "
                                 "database to locate clients with");
  }
  TokenCaveat parsed;
  status = CaveatFromJson(caveat, &parsed);
  if (!status.ok()) return status;
  if (type == CaveatType::kTime && parsed.valid_until <= now) {
    return BadCaveat(caveat, "\"validUntil\" has already passed");
  }
  *out = CaveatString(parsed);
  return Status::Ok();
}

Json::Value StringArray(const std::vector<std::string>& list) {
  Json::Value array(Json::arrayValue);
  for (const std::string& entry : list) array.append(entry);
  return array;
}

// The JSON form of a valid caveat.
Json::Value ToJsonValue(const TokenCaveat& caveat) {
  Json::Value json(Json::objectValue);
  json["type"] = CaveatTypeName(caveat.type);
  switch (caveat.type) {
    case CaveatType::kTime:
      json["validUntil"] = Json::Int64(caveat.valid_until);
      break;
    case CaveatType::kDataReadonly:
      break;
    case CaveatType::kInterface:
      json["interface"] = caveat.list.empty() ? "" : caveat.list[0];
      break;
    case CaveatType::kGeoCountry:
    case CaveatType::kGeoRegion:
      json["filter"] = caveat.blacklist ? "blacklist" : "whitelist";
      json["list"] = StringArray(caveat.list);
      break;
    case CaveatType::kAsn: {
      Json::Value numbers(Json::arrayValue);
      for (const std::string& entry : caveat.list) {
        int64_t asn = 0;
        if (ParseDecimal(entry, &asn)) {
          numbers.append(Json::Int64(asn));
        } else {
          numbers.append(entry);
        }
      }
      json["whitelist"] = numbers;
      break;
    }
    default:
      json["whitelist"] = StringArray(caveat.list);
  }
  return json;
}

}  // namespace

Status CaveatFromJson(const Json::Value& caveat, TokenCaveat* out) {
  CaveatType type;
  Status status = ReadCaveatType(caveat, &type);
  if (!status.ok()) return status;
  TokenCaveat parsed;
  status = ReadFields(caveat, type, &parsed);
  if (!status.ok()) return status;
  std::string why;
  if (!ValidCaveat(parsed, &why)) {
    return BadCaveat(caveat, TypeText(type) + " is invalid: " + why);
  }
  *out = std::move(parsed);
  return Status::Ok();
}

Status ParseCaveatsJson(const Json::Value& caveats, int64_t now,
                        std::vector<std::string>* out, CaveatUse use) {
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
    Status status = ParseOne(caveat, now, use, &text);
    if (!status.ok()) return status;
    out->push_back(std::move(text));
  }
  return Status::Ok();
}

Json::Value CaveatJson(const std::string& caveat) {
  TokenCaveat parsed;
  if (ParseCaveat(caveat, &parsed)) return ToJsonValue(parsed);
  // Not a caveat this service reads: shown as it is.
  Json::Value json(Json::objectValue);
  json["type"] = "unknown";
  json["caveat"] = caveat;
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
