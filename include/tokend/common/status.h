// Status: the one error type of the project, from the store up to the JSON
// body. A code has one Onezone error id; which HTTP status it answers with
// is the HTTP layer's business (http/response.h, HttpStatusOf), which also
// renders it as the Onezone 20.02 body {"error": {"id", "description",
// "details"?}}.
//
// Status is a plain value, cheap to copy, and thread-compatible.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace tokend {

enum class Code {
  kOk,
  // Authentication (401). The inner reasons appear as details.authError.
  kUnauthorized,
  kBadBasicCredentials,
  kBadToken,               // the token cannot be parsed
  kTokenInvalid,           // bad signature, unknown or revoked identifier
  kTokenCaveatUnverified,  // a caveat does not hold
  kTokenCaveatUnknown,     // a caveat this service does not understand
  kTokenRevoked,           // a named token its owner revoked (reversibly)
  kNotAnAccessToken,       // an identity token or invitation where access is due
  kNotAnIdentityToken,     // a token that cannot prove an identity
  kNotAnInviteToken,       // a token that is not an invitation
  kBadServiceToken,        // x-onedata-service-token / serviceToken unusable
  kBadConsumerToken,       // x-onedata-consumer-token / consumerToken unusable
  kTokenTooLarge,          // a token past kMaxTokenBytes (details.limit)
  // Request errors (4xx).
  kForbidden,
  kNotFound,
  kMethodNotAllowed,
  kAlreadyExists,
  kMalformedData,         // the body is not JSON
  kBadValueJSON,          // the body is JSON but not an object
  kBadData,               // a key that is not understood
  kBadValueInteger,       // a value that must be a whole number
  kBadValueString,        // a value that must be a string
  kBadValueTooLow,
  kBadValueTooHigh,
  kBadValueToken,         // a token in a request value or path is not usable
  kBadValueName,          // a name that breaks the naming rules
  kBadValueBoolean,       // a value that must be true or false
  kBadValueCaveat,        // a caveat that is malformed or not allowed here
  kBadValueTokenType,     // a token type that is malformed or not offered
  kBadValueNotAllowed,    // a value not among those allowed (details.allowed)
  kBadValueInviteType,    // not one of Onezone's invite types
  kBadValueIdentifierOccupied,  // a name another of the caller's holds
  kMissingRequiredValue,
  kMissingAtLeastOneValue,      // none of the values a change may set
  kTokenTimeCaveatRequired,     // no time caveat, or one too far ahead
  // Joining with a named invitation (issue 14), 400:
  kInviteTokenUsageLimitReached,   // it has admitted its usage limit
  kInviteTokenSubjectNotAuthorized,  // its creator may no longer invite
  kPayloadTooLarge,
  kRequestHeaderTooLarge,  // nginx refused the headers and asks for the answer
  kTooManyRequests,
  // Server side (5xx).
  // Not an answer: the request needs a slow password hash, which a worker's
  // connection loop hands to its hashing lane (never rendered).
  kHashingLaneNeeded,
  kServiceUnavailable,    // Redis is unreachable, or the hashes too busy
  kInternal,
};

// The Onezone error id of a code ("badValueToken").
const char* ErrorIdOf(Code code);

class Status {
 public:
  // One detail of an error body: details[key] = value. `number` values are
  // rendered as JSON numbers, `json` values (JSON text) as the JSON value
  // they hold (an object, a list), the others as strings.
  struct Detail {
    std::string key;
    std::string value;
    bool number = false;
    bool json = false;
  };

  Status() = default;  // OK
  Status(Code code, std::string description,
         std::vector<Detail> details = {});

  static Status Ok() { return Status(); }

  // An authentication failure whose inner reason is `inner`; renders as
  // 401 unauthorized with details.authError = {id, details?} of `inner`.
  static Status Unauthorized(const Status& inner);

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& description() const { return description_; }
  const std::vector<Detail>& details() const { return details_; }
  // The inner reason of an unauthorized error (or of another error that
  // wraps one, see AddInnerDetail), or nullptr.
  const Status* inner() const { return inner_.get(); }
  // The details key the inner reason renders under: "authError", or the
  // key AddInnerDetail gave.
  const std::string& inner_key() const { return inner_key_; }

  const char* error_id() const { return ErrorIdOf(code_); }

  Status& AddDetail(std::string key, std::string value);
  Status& AddNumberDetail(std::string key, long long value);
  // `json_text` is compact JSON (what ToJson writes), shown as that value:
  // Onezone's details hold objects and lists too (a caveat, a list of keys).
  Status& AddJsonDetail(std::string key, std::string json_text);
  // `inner`, an error of its own, shown as details[key] = {id, details?}
  // (Onezone's badServiceToken holds the token's error in tokenError).
  Status& AddInnerDetail(std::string key, const Status& inner);

 private:
  Code code_ = Code::kOk;
  std::string description_;
  std::vector<Detail> details_;
  std::shared_ptr<const Status> inner_;
  std::string inner_key_ = "authError";
};

}  // namespace tokend
