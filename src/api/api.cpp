// Routing, authentication and dispatch (see api.h).
#include "tokend/api/api.h"

#include <exception>
#include <functional>

#include "tokend/common/clock.h"
#include "tokend/common/metrics.h"

namespace tokend {

namespace {

// The outcome a request starts from: it names the request and its route.
Outcome BlankOutcome(const Request& request, const Router::Match& match) {
  Outcome outcome;
  outcome.request_id = request.request_id;
  outcome.route_number = match.route;
  outcome.route = match.name;
  return outcome;
}

// What an `api` caveat is matched against: "ozw/<METHOD>/<path>", the path
// as routed (normalised, below the API's base, without its first '/'), so
// that "user/../tokens/named/x" cannot pass for a path under "user/". HEAD
// is served as GET, and named so: Onezone has no HEAD for a caveat to name.
std::string Operation(const Endpoint& endpoint, const Call& call) {
  std::string_view pattern = endpoint.path;
  const std::string& method =
      call.request.method == "HEAD" ? std::string("GET") : call.request.method;
  std::string operation = "ozw/" + method + "/";
  const size_t open = pattern.find('{');
  if (open == std::string_view::npos) {
    operation.append(pattern.substr(1));
  } else {
    operation.append(pattern.substr(1, open - 1));
    operation.append(call.parameter);
    operation.append(pattern.substr(pattern.find('}', open) + 1));
  }
  return operation;
}

}  // namespace

Api::Api(const Config& config, const TokenKeys& keys, RedisClient* redis)
    : ClientTokensApi(config, keys, redis),
      NamedTokensApi(config, keys, redis),
      TemporaryTokensApi(config, keys, redis),
      SpacesApi(config, keys, redis),
      ServiceTokensApi(keys, redis),
      OperationsApi(redis),
      redis_(redis),
      users_(redis),
      named_tokens_for_auth_(redis),
      temporary_tokens_for_auth_(redis),
      password_cache_(config.password_cache_seconds),
      login_limiter_(config, redis),
      authenticator_(config, &keys, &users_,
                     {&named_tokens_for_auth_, &temporary_tokens_for_auth_},
                     &password_cache_, &login_limiter_) {}

Outcome Api::Handle(const Request& request, HashBudgetClaim* hash_claim,
                    PasswordHasher* hasher) {
  authenticator_.set_hash_claim(hash_claim, hasher);
  try {
    return Dispatch(request);
  } catch (const std::exception& e) {
    // One catch-all per request: the worker keeps serving.
    Outcome outcome = BlankOutcome(
        request, EndpointRouter().Find(request.path, request.method));
    outcome.Fail(Status(Code::kInternal, std::string("exception: ") + e.what()));
    return outcome;
  }
}

Outcome Api::Dispatch(const Request& request) {
  // Nothing prefetched for an earlier request is used for this one.
  redis_->DropPrefetched();
  Router::Match match = EndpointRouter().Find(request.path, request.method);
  Outcome outcome = BlankOutcome(request, match);
  if (request.headers_too_large) {
    outcome.Fail(Status(Code::kRequestHeaderTooLarge,
                        "A request header, or all of them together, is larger "
                        "than the server accepts."));
    return outcome;
  }
  if (match.route == Router::kNoRoute) {
    outcome.Fail(Status(Code::kNotFound, "The resource could not be found."));
    return outcome;
  }
  if (match.row < 0) {
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
  const Endpoint& endpoint = Endpoints()[match.row];
  Call call{request, std::move(match.parameter), Caller(), nullptr};
  if (endpoint.access == Access::kPublic) {
    (this->*endpoint.handler)(call, &outcome);
    return outcome;
  }
  return AuthenticateAndServe(endpoint, std::move(call), outcome);
}

Outcome Api::AuthenticateAndServe(const Endpoint& endpoint, Call call,
                                  const Outcome& blank) {
  BeforeUserLookup before_lookup;
  if (endpoint.prefetch != nullptr) {
    before_lookup = [this, &endpoint](const std::string& user_id) {
      redis_->Prefetch(endpoint.prefetch(user_id));
    };
  }
  // The first pass may leave the caller's last check to the write; the
  // second, taken only when that check finds a basic-auth user's password
  // hash changed, checks the credentials in full.
  bool may_defer = endpoint.access == Access::kCallerCheckedByWrite;
  // Put together only for a token with caveats about the request.
  const std::function<std::string()> operation = [&endpoint, &call] {
    return Operation(endpoint, call);
  };
  for (;;) {
    Outcome outcome = blank;
    std::string token_identifier;
    DeferredCheck deferred;
    Status status = authenticator_.Authenticate(
        call.request, NowSeconds(), operation, &call.caller, &token_identifier,
        before_lookup, may_defer ? &deferred : nullptr);
    if (status.code() == Code::kHashingLaneNeeded) {
      outcome.needs_hashing_lane = true;
      return outcome;
    }
    if (!status.ok()) {
      RejectCaller(status, token_identifier, &outcome);
      return outcome;
    }
    outcome.user_id = call.caller.user_id;
    if (!call.caller.named_token_id.empty()) {
      named_token_uses_.Note(call.caller.user_id, call.caller.named_token_id,
                             NowSeconds(), call.request.remote_addr);
      if (named_token_uses_.full()) FlushNamedTokenUses();
    }
    WriteGuard guard;
    if (deferred.pending) guard = GuardFor(deferred);
    call.guard = deferred.pending ? &guard : nullptr;
    (this->*endpoint.handler)(call, &outcome);
    if (!deferred.pending) return outcome;

    // The write made the caller's check, or the request ended before it (a
    // bad body, a token not found): then it is made now, so that a revoked
    // token still gets 401 rather than what the request would have got.
    status = SettleDeferred(deferred, guard, &users_);
    if (status.code() != Code::kUnauthorized) {
      // Held, or Redis failed: the request keeps the answer it got.
      return outcome;
    }
    if (deferred.basic()) {
      // The user no longer has the password hash this worker knew (a new
      // password, the user deleted): a refused write changed nothing, and
      // the password may be right for the new hash, so check it in full
      // and serve the request again.
      may_defer = false;
      continue;
    }
    Outcome rejected = blank;
    RejectCaller(status, token_identifier, &rejected);
    return rejected;
  }
}

void Api::FlushNamedTokenUses() {
  if (named_token_uses_.empty()) return;
  // Best effort: a failed batch is dropped (see named_token_uses.h).
  named_tokens_for_auth_.RecordUses(named_token_uses_.Take());
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

}  // namespace tokend
