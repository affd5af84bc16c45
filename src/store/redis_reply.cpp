// The Status of Redis's error replies (see redis_reply.h).
#include "tokend/store/redis_reply.h"

#include "tokend/common/metrics.h"

namespace tokend {

Status RedisUnavailable() {
  CountRedisError();
  return Status(Code::kServiceUnavailable,
                "The token store is unavailable; try again shortly.");
}

bool IsTransientRedisError(const std::string& text) {
  // Loading its data after a restart, busy in a script, refusing writes it
  // cannot persist, out of memory under noeviction, a read-only replica
  // (a primary demoted by a failover), a cluster in transition.
  static const char* const kPrefixes[] = {"LOADING", "BUSY", "MISCONF", "OOM",
                                          "READONLY", "MASTERDOWN", "TRYAGAIN",
                                          "CLUSTERDOWN"};
  for (const char* prefix : kPrefixes) {
    if (text.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

Status RedisErrorStatus(const std::string& text) {
  if (text.rfind("NOSCRIPT", 0) != 0) CountRedisError();
  // NOAUTH: Redis wants a login this client was not configured for (logged
  // where it is seen): the store is unavailable, not a fault of the request.
  if (IsTransientRedisError(text) || text.rfind("NOAUTH", 0) == 0) {
    return Status(Code::kServiceUnavailable,
                  "The token store is unavailable; try again shortly.");
  }
  return Status(Code::kInternal, "Redis error: " + text.substr(0, 200));
}

}  // namespace tokend
