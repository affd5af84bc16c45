// Failed-login counters in Redis (see login_limiter.h).
#include "tokend/auth/login_limiter.h"

#include <cstdlib>

#include "tokend/store/store_keys.h"

namespace tokend {

namespace {

Status TooMany(long long retry_after) {
  if (retry_after < 1) retry_after = 1;
  return Status(Code::kTooManyRequests,
                "Too many failed login attempts; try again in " +
                    std::to_string(retry_after) + " s.")
      .AddNumberDetail("retryAfter", retry_after);
}

}  // namespace

Status LoginLimiter::Check(const std::string& user_id,
                           const std::string& address) {
  std::vector<RedisReply> replies;
  Status status = redis_->Pipeline(
      {{"GET", LoginFailuresKey(user_id)},
       {"TTL", LoginFailuresKey(user_id)},
       {"GET", AddressFailuresKey(address)},
       {"TTL", AddressFailuresKey(address)}},
      &replies);
  if (!status.ok()) return status;
  long long user_failures = std::atoll(replies[0].text.c_str());
  long long address_failures = std::atoll(replies[2].text.c_str());
  if (user_failures >= config_.login_failures_per_user) {
    return TooMany(replies[1].integer);
  }
  if (address_failures >= config_.login_failures_per_address) {
    return TooMany(replies[3].integer);
  }
  return Status::Ok();
}

void LoginLimiter::RecordFailure(const std::string& user_id,
                                 const std::string& address) {
  std::string window = std::to_string(config_.login_failure_window);
  std::vector<RedisReply> replies;
  // NX: the window starts at the first failure and is not pushed back by
  // later ones, so a blocked client is free again after one window.
  redis_->Pipeline({{"INCR", LoginFailuresKey(user_id)},
                    {"EXPIRE", LoginFailuresKey(user_id), window, "NX"},
                    {"INCR", AddressFailuresKey(address)},
                    {"EXPIRE", AddressFailuresKey(address), window, "NX"}},
                   &replies);
  // Best effort: when Redis is down the request has already failed anyway.
}

}  // namespace tokend
