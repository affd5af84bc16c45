// SentinelClient: the primary that Redis Sentinel names for a master name,
// followed through a failover without a restart (issue 15). The primary's
// address is asked of the sentinels (the first that answers) when there is
// no connection, and asked again when the primary cannot be reached,
// closes on us, or answers a write with READONLY (it was demoted to a
// replica). Within a bounded time (`retry_ms`) the commands are then sent
// to the new primary; after it, 503. None of those failures means a
// command ran; a timeout after sending may, and is 503 at once.
//
// The sentinels are asked without a login. Not thread-safe (one per
// worker, inside its RedisClient).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tokend/common/status.h"
#include "tokend/store/redis_connection.h"

namespace tokend {

class SentinelClient {
 public:
  // `settings` (the primary's login and timeouts) must outlive the client.
  SentinelClient(std::vector<RedisEndpoint> sentinels, std::string master_name,
                 RedisSettings* settings, int retry_ms);

  // Sends `wire` (`count` RESP commands) to the primary and reads the
  // replies. OK when every reply came, error replies included.
  Status Exchange(const std::string& wire, size_t count,
                  std::vector<RedisReply>* replies);

  // A connection to the primary (resolved if need be), or nullptr.
  RedisConnection* Primary();

 private:
  // Asks the sentinels where the primary is; a new connection to it.
  Status FindPrimary();

  std::vector<RedisEndpoint> sentinels_;
  std::string master_name_;
  RedisSettings* settings_;
  RedisSettings sentinel_settings_;  // the same timeouts, no login
  std::chrono::milliseconds retry_time_;
  std::vector<std::unique_ptr<RedisConnection>> sentinel_connections_;
  std::unique_ptr<RedisConnection> primary_;
};

}  // namespace tokend
