// Counting password checks per address, user and pair (see
// login_limiter.h).
#include "tokend/auth/login_limiter.h"

#include <arpa/inet.h>

#include <cstring>

#include "tokend/common/clock.h"
#include "tokend/store/store_keys.h"

namespace tokend {

namespace {

// The trusted addresses one user keeps; past it the oldest is dropped.
constexpr int kMaxTrustedAddresses = 32;

// KEYS: the address's counter. ARGV: limit, window, count (1/0).
// Returns {0} when admitted, {1, seconds left} when refused. A counter
// found without an expiry (a crash between two calls of an older version)
// gets one, so no lock lasts forever.
constexpr char kAddressScript[] = R"lua(
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count >= tonumber(ARGV[1]) then
  local ttl = redis.call('TTL', KEYS[1])
  if ttl < 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]); ttl = tonumber(ARGV[2]) end
  return {1, ttl}
end
if ARGV[3] == '1' then
  redis.call('INCR', KEYS[1])
  redis.call('EXPIRE', KEYS[1], ARGV[2], 'NX')
end
return {0, 0}
)lua";

// KEYS: the user's counter, the pair's counter, the user's trusted
// addresses. ARGV: address, now, trust seconds, user limit, pair limit,
// window, count (1/0). The user's limit does not apply at a trusted address.
constexpr char kUserScript[] = R"lua(
local function refuse(key)
  local ttl = redis.call('TTL', key)
  if ttl < 0 then redis.call('EXPIRE', key, ARGV[6]); ttl = tonumber(ARGV[6]) end
  return {1, ttl}
end
if tonumber(redis.call('GET', KEYS[2]) or '0') >= tonumber(ARGV[5]) then
  return refuse(KEYS[2])
end
local seen = tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0')
local trusted = seen + tonumber(ARGV[3]) > tonumber(ARGV[2])
if not trusted and tonumber(redis.call('GET', KEYS[1]) or '0') >= tonumber(ARGV[4]) then
  return refuse(KEYS[1])
end
if ARGV[7] == '1' then
  for i = 1, 2 do
    redis.call('INCR', KEYS[i])
    redis.call('EXPIRE', KEYS[i], ARGV[6], 'NX')
  end
end
return {0, 0}
)lua";

// KEYS: the user's counter, the pair's counter, the user's trusted
// addresses. ARGV: address, now, trust seconds (0: do not trust), most
// addresses kept. Gives one admitted attempt back (deleting a counter that
// falls to 0), and trusts the address.
constexpr char kGiveBackUserScript[] = R"lua(
for i = 1, 2 do
  if tonumber(redis.call('GET', KEYS[i]) or '0') > 1 then
    redis.call('DECR', KEYS[i])
  else
    redis.call('DEL', KEYS[i])
  end
end
local seconds = tonumber(ARGV[3])
if seconds > 0 then
  redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
  redis.call('EXPIRE', KEYS[3], seconds)
  if redis.call('HLEN', KEYS[3]) > tonumber(ARGV[4]) then
    local all = redis.call('HGETALL', KEYS[3])
    local oldest, when = nil, nil
    for i = 1, #all, 2 do
      if not when or tonumber(all[i + 1]) < when then
        oldest, when = all[i], tonumber(all[i + 1])
      end
    end
    redis.call('HDEL', KEYS[3], oldest)
  end
end
return 0
)lua";

// KEYS: the address's counter. Gives one admitted attempt back; the last
// one deletes it (an expired counter is not made again without an expiry,
// and a successful login leaves no key behind).
constexpr char kGiveBackAddressScript[] = R"lua(
if tonumber(redis.call('GET', KEYS[1]) or '0') > 1 then
  redis.call('DECR', KEYS[1])
else
  redis.call('DEL', KEYS[1])
end
return 0
)lua";

Status TooMany(long long retry_after) {
  if (retry_after < 1) retry_after = 1;
  return Status(Code::kTooManyRequests,
                "Too many failed login attempts; try again in " +
                    std::to_string(retry_after) + " s.")
      .AddNumberDetail("retryAfter", retry_after);
}

// {0} or {1, seconds left}, as the scripts answer.
bool Refused(const RedisReply& reply, long long* retry_after) {
  if (reply.elements.size() < 2 || reply.elements[0].integer != 1) return false;
  *retry_after = reply.elements[1].integer;
  return true;
}

}  // namespace

std::string CountedAddress(const std::string& remote_addr) {
  in_addr v4;
  if (inet_pton(AF_INET, remote_addr.c_str(), &v4) == 1) return remote_addr;
  in6_addr v6;
  if (inet_pton(AF_INET6, remote_addr.c_str(), &v6) != 1) return "unknown";
  char text[INET6_ADDRSTRLEN];
  if (IN6_IS_ADDR_V4MAPPED(&v6)) {
    std::memcpy(&v4, &v6.s6_addr[12], sizeof(v4));
    return inet_ntop(AF_INET, &v4, text, sizeof(text)) ? text : "unknown";
  }
  std::memset(&v6.s6_addr[8], 0, 8);
  return inet_ntop(AF_INET6, &v6, text, sizeof(text))
             ? std::string(text) + "/64"
             : "unknown";
}

Status LoginLimiter::Check(const std::string& user_id,
                           const std::string& remote_addr) {
  return Run(user_id, remote_addr, false);
}

Status LoginLimiter::Admit(const std::string& user_id,
                           const std::string& remote_addr) {
  return Run(user_id, remote_addr, true);
}

Status LoginLimiter::Run(const std::string& user_id,
                         const std::string& remote_addr, bool count) {
  const std::string address = CountedAddress(remote_addr);
  const std::string window = std::to_string(config_.login_failure_window);
  const std::string counting = count ? "1" : "0";
  // The address first (the limit attackers spread their names over), then
  // the user and the pair; each its own slot, both in one round trip.
  std::vector<RedisReply> replies;
  Status status = redis_->Pipeline(
      {{"EVAL", kAddressScript, "1", AddressFailuresKey(address),
        std::to_string(config_.login_failures_per_address), window, counting},
       {"EVAL", kUserScript, "3", LoginFailuresKey(user_id),
        PairFailuresKey(user_id, address), TrustedAddressesKey(user_id), address,
        std::to_string(NowSeconds()),
        std::to_string(int64_t{config_.login_trusted_address_days} * 86400),
        std::to_string(config_.login_failures_per_user),
        std::to_string(config_.login_failures_per_user), window, counting}},
      &replies);
  if (!status.ok()) return status;  // fails closed: no check, no hash
  long long address_wait = 0, user_wait = 0;
  const bool address_refused = Refused(replies[0], &address_wait);
  const bool user_refused = Refused(replies[1], &user_wait);
  if (!address_refused && !user_refused) return Status::Ok();
  if (count) {
    // One side counted the attempt the other refused: give that count back.
    std::vector<RedisCommand> give_back;
    if (!address_refused) give_back.push_back(GiveBackAddress(address));
    if (!user_refused) give_back.push_back(GiveBackUser(user_id, address, false));
    std::vector<RedisReply> ignored;
    redis_->Pipeline(give_back, &ignored);  // best effort
  }
  return TooMany(address_refused ? address_wait : user_wait);
}

void LoginLimiter::Succeeded(const std::string& user_id,
                             const std::string& remote_addr) {
  GiveBack(user_id, CountedAddress(remote_addr), true);
}

void LoginLimiter::Abandoned(const std::string& user_id,
                             const std::string& remote_addr) {
  GiveBack(user_id, CountedAddress(remote_addr), false);
}

void LoginLimiter::GiveBack(const std::string& user_id,
                            const std::string& address, bool trust) {
  // Best effort: a count not given back runs out with its window.
  std::vector<RedisReply> ignored;
  redis_->Pipeline(
      {GiveBackAddress(address), GiveBackUser(user_id, address, trust)},
      &ignored);
}

RedisCommand LoginLimiter::GiveBackAddress(const std::string& address) const {
  return {"EVAL", kGiveBackAddressScript, "1", AddressFailuresKey(address)};
}

RedisCommand LoginLimiter::GiveBackUser(const std::string& user_id,
                                        const std::string& address,
                                        bool trust) const {
  const int64_t trust_seconds =
      trust ? int64_t{config_.login_trusted_address_days} * 86400 : 0;
  return {"EVAL", kGiveBackUserScript, "3", LoginFailuresKey(user_id),
          PairFailuresKey(user_id, address), TrustedAddressesKey(user_id),
          address, std::to_string(NowSeconds()), std::to_string(trust_seconds),
          std::to_string(kMaxTrustedAddresses)};
}

}  // namespace tokend
