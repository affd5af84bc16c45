// HTTP statuses of the project's error codes, and reason phrases (see
// response.h).
#include "tokend/http/response.h"

#include <charconv>

namespace tokend {

namespace {

// Room for a head with a few headers of its own (most have one).
constexpr size_t kUsualHeadBytes = 192;

// The HTTP status of each Code, in the enum's order (checked below).
constexpr struct {
  Code code;
  int http_status;
} kHttpStatuses[] = {
    {Code::kOk, 200},
    {Code::kUnauthorized, 401},
    {Code::kBadBasicCredentials, 401},
    {Code::kBadToken, 401},
    {Code::kTokenInvalid, 401},
    {Code::kTokenCaveatUnverified, 401},
    {Code::kTokenCaveatUnknown, 401},
    {Code::kTokenRevoked, 401},
    {Code::kNotAnAccessToken, 401},
    {Code::kNotAnIdentityToken, 401},
    {Code::kNotAnInviteToken, 401},
    {Code::kBadServiceToken, 401},
    {Code::kBadConsumerToken, 401},
    {Code::kTokenTooLarge, 401},
    {Code::kForbidden, 403},
    {Code::kNotFound, 404},
    {Code::kMethodNotAllowed, 405},
    {Code::kAlreadyExists, 409},
    {Code::kMalformedData, 400},
    {Code::kBadValueJSON, 400},
    {Code::kBadData, 400},
    {Code::kBadValueInteger, 400},
    {Code::kBadValueString, 400},
    {Code::kBadValueTooLow, 400},
    {Code::kBadValueTooHigh, 400},
    {Code::kBadValueToken, 400},
    {Code::kBadValueName, 400},
    {Code::kBadValueBoolean, 400},
    {Code::kBadValueCaveat, 400},
    {Code::kBadValueTokenType, 400},
    {Code::kBadValueNotAllowed, 400},
    {Code::kBadValueInviteType, 400},
    {Code::kBadValueIdentifierOccupied, 400},
    {Code::kMissingRequiredValue, 400},
    {Code::kMissingAtLeastOneValue, 400},
    {Code::kTokenTimeCaveatRequired, 400},
    {Code::kInviteTokenUsageLimitReached, 400},
    {Code::kInviteTokenSubjectNotAuthorized, 400},
    {Code::kPayloadTooLarge, 413},
    {Code::kRequestHeaderTooLarge, 431},
    {Code::kTooManyRequests, 429},
    {Code::kHashingLaneNeeded, 500},
    {Code::kServiceUnavailable, 503},
    {Code::kInternal, 500},
};

constexpr bool InEnumOrder() {
  for (size_t i = 0; i < sizeof(kHttpStatuses) / sizeof(kHttpStatuses[0]); ++i) {
    if (static_cast<size_t>(kHttpStatuses[i].code) != i) return false;
  }
  return true;
}
static_assert(InEnumOrder() && sizeof(kHttpStatuses) / sizeof(kHttpStatuses[0]) ==
                                   static_cast<size_t>(Code::kInternal) + 1,
              "one row per Code, in the enum's order");

}  // namespace

int HttpStatusOf(Code code) {
  size_t index = static_cast<size_t>(code);
  return index < sizeof(kHttpStatuses) / sizeof(kHttpStatuses[0])
             ? kHttpStatuses[index].http_status
             : 500;
}

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Unknown";
  }
}

std::string CgiHead(const Response& response) {
  std::string head;
  AppendCgiHead(response, &head);
  return head;
}

void AppendCgiHead(const Response& response, std::string* out) {
  // Appended in place, with room for the usual head reserved once: the
  // temporaries of building it by concatenation showed in the profile.
  char number[24];
  out->reserve(out->size() + kUsualHeadBytes);
  out->append("Status: ");
  out->append(number, std::to_chars(number, number + sizeof(number),
                                    response.status).ptr);
  out->push_back(' ');
  out->append(ReasonPhrase(response.status));
  out->append("\r\n");
  for (const auto& header : response.headers) {
    out->append(header.first);
    out->append(": ");
    out->append(header.second);
    out->append("\r\n");
  }
  out->append("Cache-Control: no-store\r\nPragma: no-cache\r\n");
  if (response.status != 204) {
    out->append("Content-Length: ");
    out->append(number, std::to_chars(number, number + sizeof(number),
                                      response.body.size()).ptr);
    out->append("\r\n");
  }
  out->append("\r\n");
}

}  // namespace tokend
