// Status: the code table (Onezone error id per code).
#include "tokend/common/status.h"

namespace tokend {

namespace {

struct CodeInfo {
  Code code;
  const char* error_id;
};

// Ids follow Onezone's errors.erl where Onezone has one for the case.
constexpr CodeInfo kCodeTable[] = {
    {Code::kOk, "ok"},
    {Code::kUnauthorized, "unauthorized"},
    {Code::kBadBasicCredentials, "badBasicCredentials"},
    {Code::kBadToken, "badToken"},
    {Code::kTokenInvalid, "tokenInvalid"},
    {Code::kTokenCaveatUnverified, "tokenCaveatUnverified"},
    {Code::kTokenCaveatUnknown, "tokenCaveatUnknown"},
    {Code::kTokenRevoked, "tokenRevoked"},
    {Code::kNotAnAccessToken, "notAnAccessToken"},
    {Code::kNotAnIdentityToken, "notAnIdentityToken"},
    {Code::kNotAnInviteToken, "notAnInviteToken"},
    {Code::kBadServiceToken, "badServiceToken"},
    {Code::kBadConsumerToken, "badConsumerToken"},
    {Code::kTokenTooLarge, "tokenTooLarge"},
    {Code::kForbidden, "forbidden"},
    {Code::kNotFound, "notFound"},
    {Code::kMethodNotAllowed, "notSupported"},
    {Code::kAlreadyExists, "alreadyExists"},
    {Code::kMalformedData, "malformedData"},
    {Code::kBadValueJSON, "badValueJSON"},
    {Code::kBadData, "badData"},
    {Code::kBadValueInteger, "badValueInteger"},
    {Code::kBadValueString, "badValueString"},
    {Code::kBadValueTooLow, "badValueTooLow"},
    {Code::kBadValueTooHigh, "badValueTooHigh"},
    {Code::kBadValueToken, "badValueToken"},
    {Code::kBadValueName, "badValueName"},
    {Code::kBadValueBoolean, "badValueBoolean"},
    {Code::kBadValueCaveat, "badValueCaveat"},
    {Code::kBadValueTokenType, "badValueTokenType"},
    {Code::kBadValueNotAllowed, "badValueNotAllowed"},
    {Code::kBadValueInviteType, "badValueInviteType"},
    {Code::kBadValueIdentifierOccupied, "badValueIdentifierOccupied"},
    {Code::kMissingRequiredValue, "missingRequiredValue"},
    {Code::kMissingAtLeastOneValue, "missingAtLeastOneValue"},
    {Code::kTokenTimeCaveatRequired, "tokenTimeCaveatRequired"},
    {Code::kInviteTokenUsageLimitReached, "inviteTokenUsageLimitReached"},
    {Code::kInviteTokenSubjectNotAuthorized, "inviteTokenSubjectNotAuthorized"},
    {Code::kPayloadTooLarge, "payloadTooLarge"},
    {Code::kRequestHeaderTooLarge, "requestHeaderTooLarge"},
    {Code::kTooManyRequests, "tooManyRequests"},
    {Code::kHashingLaneNeeded, "hashingLaneNeeded"},
    {Code::kServiceUnavailable, "serviceUnavailable"},
    {Code::kInternal, "internalServerError"},
};

const CodeInfo& InfoOf(Code code) {
  for (const CodeInfo& info : kCodeTable) {
    if (info.code == code) return info;
  }
  return kCodeTable[sizeof(kCodeTable) / sizeof(kCodeTable[0]) - 1];
}

}  // namespace

const char* ErrorIdOf(Code code) { return InfoOf(code).error_id; }

Status::Status(Code code, std::string description, std::vector<Detail> details)
    : code_(code),
      description_(std::move(description)),
      details_(std::move(details)) {}

Status Status::Unauthorized(const Status& inner) {
  Status status(Code::kUnauthorized,
                "Authentication error: " + inner.description());
  status.inner_ = std::make_shared<const Status>(inner);
  return status;
}

Status& Status::AddDetail(std::string key, std::string value) {
  details_.push_back({std::move(key), std::move(value), false});
  return *this;
}

Status& Status::AddNumberDetail(std::string key, long long value) {
  details_.push_back({std::move(key), std::to_string(value), true});
  return *this;
}

Status& Status::AddInnerDetail(std::string key, const Status& inner) {
  inner_ = std::make_shared<const Status>(inner);
  inner_key_ = std::move(key);
  return *this;
}

Status& Status::AddJsonDetail(std::string key, std::string json_text) {
  details_.push_back({std::move(key), std::move(json_text), false, true});
  return *this;
}

}  // namespace tokend
