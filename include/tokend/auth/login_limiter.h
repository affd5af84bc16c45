// LoginLimiter: bounds password guessing. Password checks are counted in
// Redis (so every worker and every host behind it shares the counts), in
// fixed windows that start at the first count: per client address (an IPv4
// address, an IPv6 /64: a whole /64 is anyone's for the asking), per user,
// and per user and address. Past a limit a request is refused with 429 and
// Retry-After before any password hash is spent.
//
// An attempt is counted when it is admitted, in the same Lua call that
// checks the limit, so concurrent attempts cannot slip past it; a
// successful one gives its counts back. The per-user limit spares an
// address the user logged in from successfully within
// login_trusted_address_days, so whoever knows a name cannot lock its owner
// out; the per-pair limit still applies there. A Redis error refuses the
// attempt (503): no check, no hash.
//
// Not thread-safe (uses the caller's RedisClient).
#pragma once

#include <string>

#include "tokend/common/config.h"
#include "tokend/common/status.h"
#include "tokend/store/redis_client.h"

namespace tokend {

// What `remote_addr` is counted as: an IPv4 address as it is (an
// IPv4-mapped IPv6 one too), an IPv6 address as its /64 ("2001:db8:1:2::/64"),
// anything else as "unknown".
std::string CountedAddress(const std::string& remote_addr);

class LoginLimiter {
 public:
  LoginLimiter(const Config& config, RedisClient* redis)
      : config_(config), redis_(redis) {}

  // Whether an attempt would be refused now, without counting it (a
  // worker's connection loop asks this before handing a request to its
  // hashing lane, which admits it only when it hashes the password itself,
  // not when another worker's hash of it verifies it meanwhile). OK or
  // kTooManyRequests with details.retryAfter.
  Status Check(const std::string& user_id, const std::string& remote_addr);

  // Admits and counts an attempt whose password is about to be checked, or
  // refuses it as Check does.
  Status Admit(const std::string& user_id, const std::string& remote_addr);

  // The admitted attempt succeeded: its counts are given back and the
  // address becomes trusted for the user.
  void Succeeded(const std::string& user_id, const std::string& remote_addr);
  // The admitted attempt was not made after all (the hash budget refused
  // it): its counts are given back.
  void Abandoned(const std::string& user_id, const std::string& remote_addr);

 private:
  Status Run(const std::string& user_id, const std::string& remote_addr,
             bool count);
  // Gives an admitted attempt's counts back (both sides), trusting the
  // address for the user when `trust`.
  void GiveBack(const std::string& user_id, const std::string& address,
                bool trust);
  RedisCommand GiveBackAddress(const std::string& address) const;
  RedisCommand GiveBackUser(const std::string& user_id,
                            const std::string& address, bool trust) const;

  const Config& config_;
  RedisClient* redis_;
};

}  // namespace tokend
