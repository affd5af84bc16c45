// Authentication by whichever credentials a request presents (see
// authenticator.h).
#include "tokend/auth/authenticator.h"

#include "tokend/auth/credentials.h"

namespace tokend {

namespace {

// Looked up on every token request; names longer than a short string's
// inline buffer, so made once rather than per lookup.
const std::string kServiceTokenHeader = "x-onedata-service-token";
const std::string kConsumerTokenHeader = "x-onedata-consumer-token";

}  // namespace

Authenticator::Authenticator(const Config& config, const TokenKeys* keys,
                             UserStore* users,
                             SuccessorTokenStores successor_stores,
                             PasswordCache* password_cache,
                             LoginLimiter* login_limiter)
    : token_auth_(keys, users, successor_stores),
      basic_auth_(config, users, password_cache, login_limiter) {}

Status Authenticator::Authenticate(const Request& request, int64_t now,
                                   const std::function<std::string()>& operation,
                                   Caller* caller,
                                   std::string* token_identifier,
                                   const BeforeUserLookup& before_lookup,
                                   DeferredCheck* deferred) {
  token_identifier->clear();
  Credentials credentials = ReadCredentials(request);
  switch (credentials.kind) {
    case Credentials::Kind::kToken: {
      TokenUse use;
      use.context.now = now;
      use.context.peer_ip = request.remote_addr;
      use.context.interface = "rest";
      use.operation_of = operation;
      use.own_service = "ozw-onezone";
      if (const std::string* service = request.Header(kServiceTokenHeader)) {
        use.service_token = *service;
      }
      if (const std::string* consumer = request.Header(kConsumerTokenHeader)) {
        use.consumer_token = *consumer;
      }
      return token_auth_.Authenticate(credentials.text, use, caller,
                                      token_identifier, before_lookup, deferred);
    }
    case Credentials::Kind::kBasic:
      return basic_auth_.Authenticate(credentials.text, request.remote_addr,
                                      now, caller, before_lookup, deferred);
    case Credentials::Kind::kUnsupported:
      return Status(Code::kUnauthorized,
                    "Authentication error: unsupported Authorization scheme; "
                    "use Basic, Bearer or X-Auth-Token.");
    case Credentials::Kind::kNone:
      break;
  }
  return Status(Code::kUnauthorized,
                "Authentication error: no credentials were provided.");
}

}  // namespace tokend
