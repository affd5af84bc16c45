// Routing, authentication and dispatch (see api.h).
#include "tokend/api/api.h"

#include <json/json.h>

#include <exception>

#include "tokend/common/clock.h"
#include "tokend/common/metrics.h"
#include "tokend/http/router.h"
#include "tokend/api/token_options.h"

namespace tokend {

namespace {

// A new outcome for the same request, for an answer that replaces one
// already made.
Outcome SameRequest(const Outcome& outcome) {
  Outcome fresh;
  fresh.request_id = outcome.request_id;
  fresh.route_id = outcome.route_id;
  fresh.route = outcome.route;
  return fresh;
}

}  // namespace

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
  // Nothing prefetched for an earlier request is used for this one.
  redis_->DropPrefetched();
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
  return AuthenticateAndServe(match, request, outcome, true);
}

Outcome Api::AuthenticateAndServe(const RouteMatch& match,
                                  const Request& request, Outcome outcome,
                                  bool may_defer) {
  Caller caller;
  std::string token_identifier;
  Authenticator::BeforeUserLookup before_lookup;
  if (match.route == Route::kClientTokens && request.method == "GET") {
    // The token list is read in the same round trip as the user.
    before_lookup = [this](const std::string& user_id) {
      redis_->Prefetch(tokens_.ListCommand(user_id));
    };
  }
  // A token create or delete makes the caller's last check in its own
  // write (one round trip, see Authenticator::DeferredCheck).
  bool guarded_write =
      may_defer &&
      ((match.route == Route::kClientTokens && request.method == "POST") ||
       match.route == Route::kClientTokenLegacy ||
       match.route == Route::kClientTokenByValue);
  Authenticator::DeferredCheck deferred;
  Status status = authenticator_.Authenticate(
      request, NowSeconds(), &caller, &token_identifier, before_lookup,
      guarded_write ? &deferred : nullptr);
  if (!status.ok()) {
    RejectCaller(status, token_identifier, &outcome);
    return outcome;
  }
  outcome.user_id = caller.user_id;
  WriteGuard guard;
  if (deferred.pending) guard = Authenticator::GuardFor(deferred);
  Serve(match, request, caller, deferred.pending ? &guard : nullptr, &outcome);
  if (!deferred.pending) return outcome;

  // The write made the caller's check, or the request ended before it (a
  // bad body, a token not found): then make it now, so that a revoked
  // token still gets 401 rather than what the request would have got.
  status = guard.checked ? (guard.held ? Status::Ok() : Authenticator::RevokedToken())
                         : authenticator_.CheckDeferred(deferred);
  if (!deferred.password_hash.empty() &&
      status.code() == Code::kUnauthorized) {
    // Basic auth whose user no longer has the password hash this worker
    // knew (a new password, the user deleted): the credentials are checked
    // in full and the request served again (a refused write changed
    // nothing), because the password may be right for the new hash too.
    // Any other failure (Redis unavailable) keeps the answer it got.
    return AuthenticateAndServe(match, request, SameRequest(outcome), false);
  }
  if (status.code() != Code::kUnauthorized) return outcome;
  Outcome rejected = SameRequest(outcome);
  RejectCaller(status, token_identifier, &rejected);
  return rejected;
}

void Api::RejectCaller(const Status& status, const std::string& token_identifier,
                       Outcome* outcome) {
  if (status.inner() != nullptr) CountAuthFailure(status.inner()->code());
  if (!token_identifier.empty()) {
    outcome->Audit("event=token.rejected token=" + token_identifier +
                   " reason=" +
                   (status.inner() ? status.inner()->error_id()
                                   : status.error_id()));
  }
  outcome->Fail(status);
}

void Api::Serve(const RouteMatch& match, const Request& request,
                const Caller& caller, WriteGuard* guard, Outcome* outcome_out) {
  Outcome& outcome = *outcome_out;
  Status status;

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
      client_tokens_.Create(caller, config_.token_default_ttl, guard, &outcome);
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
              guard, &outcome);
        }
      } else {
        client_tokens_.List(caller, &outcome);
      }
      break;
    case Route::kClientTokenByValue:
      client_tokens_.Revoke(caller, match.parameter, guard, &outcome);
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
}

}  // namespace tokend
