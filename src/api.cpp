// Routing, authentication and dispatch (see api.h).
#include "tokend/api.h"

#include <json/json.h>

#include <exception>

#include "tokend/clock.h"
#include "tokend/metrics.h"
#include "tokend/router.h"
#include "tokend/token_options.h"

namespace tokend {

Api::Api(const Config& config, const TokenKeys& keys, RedisClient* redis)
    : config_(config),
      redis_(redis),
      users_(redis),
      tokens_(redis),
      spaces_(redis),
      password_cache_(config.password_cache_seconds),
      login_limiter_(config, redis),
      authenticator_(config, &keys, &users_, &password_cache_, &login_limiter_),
      client_tokens_(config, keys, &tokens_),
      spaces_api_(config, keys, &spaces_) {}

Outcome Api::Handle(const Request& request) {
  try {
    return Dispatch(request);
  } catch (const std::exception& e) {
    // One catch-all per request: the worker keeps serving.
    Outcome outcome;
    outcome.request_id = request.request_id;
    RouteMatch match = MatchRoute(request.path);
    outcome.route_id = match.route;
    outcome.route = match.name;
    outcome.Fail(Status(Code::kInternal, std::string("exception: ") + e.what()));
    return outcome;
  }
}

void Api::CheckHealth(Outcome* outcome) {
  RedisReply reply;
  Status status = redis_->Run({"PING"}, &reply);
  if (!status.ok()) return outcome->Fail(status);
  Json::Value body(Json::objectValue);
  body["status"] = "ok";
  outcome->Succeed(200, body);
}

Outcome Api::Dispatch(const Request& request) {
  Outcome outcome;
  outcome.request_id = request.request_id;
  RouteMatch match = MatchRoute(request.path);
  outcome.route_id = match.route;
  outcome.route = match.name;
  if (match.route == Route::kNone) {
    outcome.Fail(Status(Code::kNotFound, "The resource could not be found."));
    return outcome;
  }
  if (!RouteAllows(match, request.method)) {
    outcome.Fail(Status(Code::kMethodNotAllowed,
                        "Method " + request.method.substr(0, 16) +
                            " is not supported here; use " + match.allow + "."));
    outcome.response.AddHeader("Allow", match.allow);
    return outcome;
  }
  if (request.body_too_large) {
    outcome.Fail(Status(Code::kPayloadTooLarge,
                        "The request body is larger than allowed."));
    return outcome;
  }

  if (match.route == Route::kHealth) {
    CheckHealth(&outcome);
    return outcome;
  }
  if (match.route == Route::kMetrics) {
    outcome.response.status = 200;
    outcome.response.AddHeader("Content-Type", "text/plain; version=0.0.4");
    outcome.response.body = RenderMetrics();
    return outcome;
  }

  Caller caller;
  std::string token_identifier;
  redis_->DropPrefetched();
  Authenticator::BeforeUserLookup before_lookup;
  if (match.route == Route::kClientTokens && request.method == "GET") {
    // The token list is read in the same round trip as the user.
    before_lookup = [this](const std::string& user_id) {
      redis_->Prefetch(tokens_.ListCommand(user_id));
    };
  }
  Status status = authenticator_.Authenticate(request, NowSeconds(), &caller,
                                              &token_identifier, before_lookup);
  if (!status.ok()) {
    if (status.inner() != nullptr) CountAuthFailure(status.inner()->code());
    if (!token_identifier.empty()) {
      outcome.Audit("event=token.rejected token=" + token_identifier +
                    " reason=" +
                    (status.inner() ? status.inner()->error_id()
                                    : status.error_id()));
    }
    outcome.Fail(status);
    return outcome;
  }
  outcome.user_id = caller.user_id;

  const std::string& method = request.method;
  switch (match.route) {
    case Route::kUser: {
      Json::Value body(Json::objectValue);
      body["userId"] = caller.user_id;
      body["name"] = caller.name;
      outcome.Succeed(200, body);
      break;
    }
    case Route::kClientTokenLegacy:
      client_tokens_.Create(caller, config_.token_default_ttl, &outcome);
      outcome.response.AddHeader("Deprecation", "true");
      outcome.response.AddHeader(
          "Link", std::string("<") + kApiBasePath +
                      "/user/client_tokens>; rel=\"successor-version\"");
      break;
    case Route::kClientTokens:
      if (method == "POST") {
        TokenOptions options;
        status = ParseTokenOptions(request.body, config_.token_max_ttl, &options);
        if (!status.ok()) {
          outcome.Fail(status);
        } else {
          client_tokens_.Create(
              caller, options.ttl != 0 ? options.ttl : config_.token_default_ttl,
              &outcome);
        }
      } else {
        client_tokens_.List(caller, &outcome);
      }
      break;
    case Route::kClientTokenByValue:
      client_tokens_.Revoke(caller, match.parameter, &outcome);
      break;
    case Route::kUserSpaces:
      if (method == "POST") {
        spaces_api_.Create(caller, request, &outcome);
      } else {
        spaces_api_.List(caller, &outcome);
      }
      break;
    case Route::kUserDefaultSpace:
      if (method == "PUT") {
        spaces_api_.SetDefault(caller, request, &outcome);
      } else {
        spaces_api_.GetDefault(caller, &outcome);
      }
      break;
    case Route::kUserSpaceInvite:
      spaces_api_.InviteToDefault(caller, &outcome);
      break;
    case Route::kUserSpaceJoin:
      spaces_api_.Join(caller, request, &outcome);
      break;
    case Route::kUserSpace:
      if (method == "DELETE") {
        spaces_api_.Leave(caller, match.parameter, &outcome);
      } else {
        spaces_api_.Get(caller, match.parameter, &outcome);
      }
      break;
    case Route::kSpaceUsers:
      spaces_api_.Members(caller, match.parameter, &outcome);
      break;
    case Route::kSpaceUserInvite:
      spaces_api_.InviteTo(caller, match.parameter, &outcome);
      break;
    case Route::kNone:
    case Route::kHealth:
    case Route::kMetrics:
    case Route::kRouteCountMarker:
      break;
  }
  return outcome;
}

}  // namespace tokend
