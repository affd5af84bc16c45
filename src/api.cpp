// The user-token endpoints (see api.h).
#include "tokend/api.h"

#include <json/json.h>

#include <ctime>
#include <exception>

#include "tokend/access_token.h"
#include "tokend/json_response.h"
#include "tokend/router.h"
#include "tokend/token_options.h"

namespace tokend {

namespace {

int64_t NowSeconds() { return static_cast<int64_t>(std::time(nullptr)); }

int64_t NowMilliseconds() {
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1000000;
}

Response NoContent() {
  Response response;
  response.status = 204;
  return response;
}

Status BadValueToken(const Status& inner) {
  Status status(Code::kBadValueToken,
                "Bad value: provided \"token\" is not a valid token.");
  status.AddDetail("key", "token");
  status.AddDetail("tokenError", inner.error_id());
  return status;
}

Status TokenNotFound() {
  return Status(Code::kNotFound, "The resource could not be found.");
}

}  // namespace

Api::Api(const Config& config, const TokenKeys& keys, RedisClient* redis)
    : config_(config),
      keys_(keys),
      users_(redis),
      tokens_(redis),
      password_cache_(config.password_cache_seconds),
      authenticator_(config, &keys_, &users_, &tokens_, &password_cache_) {}

Outcome Api::Handle(const Request& request) {
  internal_error_.clear();
  try {
    Outcome outcome = Dispatch(request);
    outcome.error_detail = internal_error_;
    return outcome;
  } catch (const std::exception& e) {
    Outcome outcome;
    outcome.response = ErrorResponse(Status(
        Code::kInternal, "The server encountered an internal error."));
    outcome.error_detail = e.what();
    return outcome;
  }
}

Outcome Api::Dispatch(const Request& request) {
  Outcome outcome;
  RouteMatch match = MatchRoute(request.path);
  outcome.route = match.name;
  if (match.route == Route::kNone) {
    outcome.response = ErrorResponse(
        Status(Code::kNotFound, "The resource could not be found."));
    return outcome;
  }
  if (!RouteAllows(match, request.method)) {
    outcome.response = ErrorResponse(
        Status(Code::kMethodNotAllowed, "Method " + request.method.substr(0, 16) +
                                            " is not supported here; use " +
                                            match.allow + "."));
    outcome.response.AddHeader("Allow", match.allow);
    return outcome;
  }
  if (request.body_too_large) {
    outcome.response = ErrorResponse(Status(
        Code::kPayloadTooLarge, "The request body is larger than allowed."));
    return outcome;
  }

  Caller caller;
  Status status = authenticator_.Authenticate(request, NowSeconds(), &caller);
  if (!status.ok()) {
    outcome.response = Error(status);
    return outcome;
  }
  outcome.user_id = caller.user_id;

  switch (match.route) {
    case Route::kUser:
      outcome.response = DescribeUser(caller);
      break;
    case Route::kClientTokenLegacy:
      outcome.response = CreateToken(caller, config_.token_default_ttl);
      outcome.response.AddHeader("Deprecation", "true");
      outcome.response.AddHeader(
          "Link", std::string("<") + kApiBasePath +
                      "/user/client_tokens>; rel=\"successor-version\"");
      break;
    case Route::kClientTokens:
      if (request.method == "POST") {
        TokenOptions options;
        status = ParseTokenOptions(request.body, config_.token_max_ttl, &options);
        outcome.response =
            status.ok() ? CreateToken(caller, options.ttl != 0
                                                  ? options.ttl
                                                  : config_.token_default_ttl)
                        : Error(status);
      } else {
        outcome.response = ListTokens(caller);
      }
      break;
    case Route::kClientTokenByValue:
      outcome.response = DeleteToken(caller, match.parameter);
      break;
    case Route::kNone:
      break;
  }
  return outcome;
}

Response Api::CreateToken(const Caller& caller, int64_t ttl) {
  StoredToken token;
  token.nonce = NewTokenNonce();
  if (token.nonce.empty()) {
    return Error(Status(Code::kInternal, "random generator failed"));
  }
  token.expires_at = NowSeconds() + ttl;
  Status status = tokens_.Add(caller.user_id, token, NowMilliseconds());
  if (!status.ok()) return Error(status);
  Json::Value body(Json::objectValue);
  body["token"] = MintAccessToken(keys_, config_.token_location,
                                  {caller.user_id, token.nonce},
                                  token.expires_at);
  return JsonResponse(200, body);
}

Response Api::ListTokens(const Caller& caller) {
  std::vector<StoredToken> stored;
  Status status = tokens_.List(caller.user_id, &stored);
  if (!status.ok()) return Error(status);
  Json::Value list(Json::arrayValue);
  for (const StoredToken& token : stored) {
    list.append(MintAccessToken(keys_, config_.token_location,
                                {caller.user_id, token.nonce},
                                token.expires_at));
  }
  Json::Value body(Json::objectValue);
  body["tokens"] = list;
  return JsonResponse(200, body);
}

Response Api::DeleteToken(const Caller& caller, const std::string& parameter) {
  std::string text;
  if (!PercentDecode(parameter, &text)) {
    return ErrorResponse(BadValueToken(
        Status(Code::kBadToken, "The path is not validly percent-encoded.")));
  }
  AccessTokenId id;
  Status status = authenticator_.CheckTokenSignature(text, &id);
  if (status.code() == Code::kBadToken) return ErrorResponse(BadValueToken(status));
  // Someone else's token, a forged one and an unknown one all look alike.
  if (!status.ok() || id.user_id != caller.user_id) {
    return ErrorResponse(TokenNotFound());
  }
  bool revoked = false;
  status = tokens_.Revoke(caller.user_id, id.nonce, &revoked);
  if (!status.ok()) return Error(status);
  return revoked ? NoContent() : ErrorResponse(TokenNotFound());
}

Response Api::Error(const Status& status) {
  if (status.code() != Code::kInternal) return ErrorResponse(status);
  internal_error_ = status.description();
  return ErrorResponse(
      Status(Code::kInternal, "The server encountered an internal error."));
}

Response Api::DescribeUser(const Caller& caller) {
  Json::Value body(Json::objectValue);
  body["userId"] = caller.user_id;
  body["name"] = caller.name;
  return JsonResponse(200, body);
}

}  // namespace tokend
