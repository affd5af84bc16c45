// The API's endpoints, one row each: path, method, who may call it, and the
// handler member that serves it. Routing, 404 and 405 with Allow, the
// metric labels and the request log's route names all come from this one
// table (through the Router built from it), so adding an endpoint is a row
// here plus its handler.
#pragma once

#include <string>
#include <vector>

#include "tokend/api/call.h"
#include "tokend/http/outcome.h"
#include "tokend/http/router.h"
#include "tokend/store/redis_client.h"

namespace tokend {

// The API's base path; everything else is 404 (but GET /metrics).
constexpr char kApiBasePath[] = "/api/v3/onezone";

enum class Access {
  kPublic,  // no credentials asked for
  kCaller,  // the caller is authenticated in full before the handler runs
  // The caller is authenticated, but the last check (that the token or the
  // user's password hash is still current) is left to the handler's one
  // write, which makes it atomically through call.guard: one Redis round
  // trip instead of two (see auth/deferred_check.h).
  kCallerCheckedByWrite,
};

class Api;
// A handler: a member of one of Api's endpoint classes (ClientTokensApi,
// SpacesApi, ...), which Api derives from.
using Handler = void (Api::*)(const Call& call, Outcome* outcome);

struct Endpoint {
  const char* path;  // a Router pattern: "/user/client_tokens/{token*}"
  const char* method;
  Access access;
  Handler handler;
  // When set, what the handler will read of the caller's data, queued to go
  // with the caller's user lookup (one round trip instead of two).
  RedisCommand (*prefetch)(const std::string& user_id) = nullptr;
  // What `path` is below.
  const char* mount = kApiBasePath;
};

// The table; the router's row numbers index it.
const std::vector<Endpoint>& Endpoints();
// The router of the table, made once per process.
const Router& EndpointRouter();

}  // namespace tokend
