// LoginLimiter: bounds password guessing. Failed basic-auth attempts are
// counted per user and per client address in Redis, in fixed windows, so
// every worker and every host behind the same Redis shares the counts. Past
// a limit the request is refused with 429 and Retry-After before any
// password hash is spent. Successful logins are never counted or slowed.
//
// Not thread-safe (uses the worker's RedisClient).
#pragma once

#include <string>

#include "tokend/common/config.h"
#include "tokend/common/status.h"
#include "tokend/store/redis_client.h"

namespace tokend {

class LoginLimiter {
 public:
  LoginLimiter(const Config& config, RedisClient* redis)
      : config_(config), redis_(redis) {}

  // OK, or kTooManyRequests with details.retryAfter (seconds).
  Status Check(const std::string& user_id, const std::string& address);

  // Counts one failed attempt against the user and the address.
  void RecordFailure(const std::string& user_id, const std::string& address);

 private:
  const Config& config_;
  RedisClient* redis_;
};

}  // namespace tokend
