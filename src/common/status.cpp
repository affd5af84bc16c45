// Status: the code table (HTTP status and Onezone error id per code).
#include "tokend/common/status.h"

namespace tokend {

namespace {

struct CodeInfo {
  Code code;
  int http_status;
  const char* error_id;
};

// Ids follow Onezone's errors.erl where Onezone has one for the case.
constexpr CodeInfo kCodeTable[] = {
    {Code::kOk, 200, "ok"},
    {Code::kUnauthorized, 401, "unauthorized"},
    {Code::kBadBasicCredentials, 401, "badBasicCredentials"},
    {Code::kBadToken, 401, "badToken"},
    {Code::kTokenInvalid, 401, "tokenInvalid"},
    {Code::kTokenCaveatUnverified, 401, "tokenCaveatUnverified"},
    {Code::kTokenCaveatUnknown, 401, "tokenCaveatUnknown"},
    {Code::kForbidden, 403, "forbidden"},
    {Code::kNotFound, 404, "notFound"},
    {Code::kMethodNotAllowed, 405, "notSupported"},
    {Code::kAlreadyExists, 409, "alreadyExists"},
    {Code::kMalformedData, 400, "malformedData"},
    {Code::kBadValueJSON, 400, "badValueJSON"},
    {Code::kBadData, 400, "badData"},
    {Code::kBadValueInteger, 400, "badValueInteger"},
    {Code::kBadValueString, 400, "badValueString"},
    {Code::kBadValueTooLow, 400, "badValueTooLow"},
    {Code::kBadValueTooHigh, 400, "badValueTooHigh"},
    {Code::kBadValueToken, 400, "badValueToken"},
    {Code::kBadValueName, 400, "badValueName"},
    {Code::kMissingRequiredValue, 400, "missingRequiredValue"},
    {Code::kPayloadTooLarge, 413, "payloadTooLarge"},
    {Code::kTooManyRequests, 429, "tooManyRequests"},
    {Code::kServiceUnavailable, 503, "serviceUnavailable"},
    {Code::kInternal, 500, "internalServerError"},
};

const CodeInfo& InfoOf(Code code) {
  for (const CodeInfo& info : kCodeTable) {
    if (info.code == code) return info;
  }
  return kCodeTable[sizeof(kCodeTable) / sizeof(kCodeTable[0]) - 1];
}

}  // namespace

int HttpStatusOf(Code code) { return InfoOf(code).http_status; }
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

}  // namespace tokend
