// The endpoint table (see endpoints.h).
#include "tokend/api/endpoints.h"

#include <cstdio>
#include <cstdlib>

#include "tokend/api/api.h"
#include "tokend/common/metrics.h"

namespace tokend {

namespace {

constexpr Access kPublic = Access::kPublic;
constexpr Access kCaller = Access::kCaller;
constexpr Access kCallerCheckedByWrite = Access::kCallerCheckedByWrite;

// The GETs that create something (a token, an invitation). HEAD is a safe
// method (RFC 9110 9.2.1): answered as GET, it would create one that no
// one sees, so these answer HEAD 405; every other GET serves it.
bool CreatesOnGet(const Endpoint& endpoint) {
  return endpoint.handler == static_cast<Handler>(&ClientTokensApi::CreateTokenLegacy) ||
         endpoint.handler == static_cast<Handler>(&SpacesApi::InviteToDefaultSpace);
}

std::vector<RouteRow> RouteRows() {
  std::vector<RouteRow> rows;
  for (const Endpoint& endpoint : Endpoints()) {
    rows.push_back({endpoint.mount, endpoint.path, endpoint.method,
                    !CreatesOnGet(endpoint)});
  }
  return rows;
}

}  // namespace

const std::vector<Endpoint>& Endpoints() {
  // A route's methods are listed in its Allow header in this order (HEAD
  // after GET, see RouteRows).
  static const std::vector<Endpoint> kEndpoints = {
      // path                            method    access  handler
      {"/user",                          "GET",    kCaller, &UserApi::GetUser},
      {"/user/client_token",             "GET",    kCallerCheckedByWrite, &ClientTokensApi::CreateTokenLegacy},
      {"/user/client_tokens",            "GET",    kCaller, &ClientTokensApi::ListTokens, &TokenStore::ListCommand},
      {"/user/client_tokens",            "POST",   kCallerCheckedByWrite, &ClientTokensApi::CreateToken},
      {"/user/client_tokens/{token*}",   "DELETE", kCallerCheckedByWrite, &ClientTokensApi::DeleteToken},
      {"/user/tokens/named",             "GET",    kCaller, &NamedTokensApi::ListNamedTokens},
      {"/user/tokens/named",             "POST",   kCaller, &NamedTokensApi::CreateNamedToken},
      {"/user/tokens/named",             "DELETE", kCaller, &NamedTokensApi::DeleteAllNamedTokens},
      {"/user/tokens/named/name/{name}", "GET",    kCaller, &NamedTokensApi::GetNamedTokenByName},
      {"/user/tokens/temporary",         "GET",    kCaller, &TemporaryTokensApi::GetTemporaryTokenGeneration},
      {"/user/tokens/temporary",         "POST",   kCaller, &TemporaryTokensApi::CreateTemporaryToken},
      {"/user/tokens/temporary",         "DELETE", kCaller, &TemporaryTokensApi::RevokeTemporaryTokens},
      {"/tokens/named/{id}",             "GET",    kCaller, &NamedTokensApi::GetNamedToken},
      {"/tokens/named/{id}",             "PATCH",  kCaller, &NamedTokensApi::UpdateNamedToken},
      {"/tokens/named/{id}",             "DELETE", kCaller, &NamedTokensApi::DeleteNamedToken},
      {"/tokens/named/{id}/status",      "GET",    kCaller, &NamedTokensApi::GetNamedTokenStatus},
      {"/tokens/examine",                "POST",   kPublic, &ServiceTokensApi::ExamineToken},
      {"/tokens/confine",                "POST",   kPublic, &ServiceTokensApi::ConfineToken},
      {"/tokens/verify_access_token",    "POST",   kPublic, &ServiceTokensApi::VerifyAccessToken},
      {"/tokens/verify_identity_token",  "POST",   kPublic, &ServiceTokensApi::VerifyIdentityToken},
      {"/tokens/verify_invite_token",    "POST",   kPublic, &ServiceTokensApi::VerifyInviteToken},
      {"/user/spaces",                   "GET",    kCaller, &SpacesApi::ListSpaces},
      {"/user/spaces",                   "POST",   kCaller, &SpacesApi::CreateSpace},
      {"/user/spaces/default",           "GET",    kCaller, &SpacesApi::GetDefaultSpace},
      {"/user/spaces/default",           "PUT",    kCaller, &SpacesApi::SetDefaultSpace},
      {"/user/spaces/token",             "GET",    kCaller, &SpacesApi::InviteToDefaultSpace},
      {"/user/spaces/join",              "POST",   kCaller, &SpacesApi::JoinSpace},
      {"/user/spaces/{id}",              "GET",    kCaller, &SpacesApi::GetSpace},
      {"/user/spaces/{id}",              "DELETE", kCaller, &SpacesApi::LeaveSpace},
      {"/spaces/{id}/users",             "GET",    kCaller, &SpacesApi::ListMembers},
      {"/spaces/{id}/users/token",       "POST",   kCaller, &SpacesApi::InviteToSpace},
      {"/health",                        "GET",    kPublic, &OperationsApi::CheckHealth},
      // At the server root; nginx serves it to loopback clients only.
      {"/metrics",                       "GET",    kPublic, &OperationsApi::ServeMetrics, nullptr, ""},
  };
  return kEndpoints;
}

const Router& EndpointRouter() {
  static const Router router(RouteRows());
  if (router.route_names().size() > static_cast<size_t>(kMaxRoutes)) {
    std::fprintf(stderr, "more routes than metrics count apart (kMaxRoutes)\n");
    std::abort();
  }
  return router;
}

}  // namespace tokend
