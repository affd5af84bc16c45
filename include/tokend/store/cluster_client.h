// ClusterClient: a pipeline of commands sent to the Redis Cluster primaries
// that serve their slots (issue 15). Each command goes to the primary of
// its first key's slot (command_slot.h), by the slot map the cluster gives
// (slot_map.h); the commands for several primaries are written out to all
// of them before any reply is read, so a pipeline is still one round trip.
// A MULTI ... EXEC block goes to one primary as a whole, and a command
// without a key goes with the one before it.
//
// The cluster corrects us, and we follow within a bounded time
// (`retry_ms`), then answer 503:
// - MOVED: that slot is served elsewhere now; the map takes the new owner,
//   the command is sent there, and the whole map is read again before the
//   next pipeline.
// - ASK: the slot is being migrated and this key is already at the target;
//   the command is sent there once, after ASKING.
// - TRYAGAIN, CLUSTERDOWN, a slot no primary serves, a primary that cannot
//   be reached or closed on us: sent again after a short, growing wait,
//   with the map read again (a replica is taking over, or a migration is
//   half done). A timeout after sending is 503 at once: the command may
//   have run, and must not run twice.
// None of these replies means the command ran, so sending it again is
// safe. The map is also read again every kSlotMapRefreshSeconds.
//
// Not thread-safe (one per worker, inside its RedisClient).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "tokend/common/status.h"
#include "tokend/store/redis_connection.h"
#include "tokend/store/slot_map.h"

namespace tokend {

constexpr int kSlotMapRefreshSeconds = 30;

class ClusterClient {
 public:
  // `seeds`: nodes to ask for the slot map first. `settings` must outlive
  // the client.
  ClusterClient(std::vector<RedisEndpoint> seeds, RedisSettings* settings,
                int retry_ms);

  // Sends `commands` and reads every reply, in order. OK when every reply
  // came, error replies included (the caller decides what they mean);
  // kServiceUnavailable when the cluster could not answer within the
  // retry time.
  Status Exchange(const std::vector<RedisCommand>& commands,
                  std::vector<RedisReply>* replies);

  // Calls `visit` with a connection to each primary in turn (SCAN over
  // the whole keyspace).
  Status ForEachPrimary(const std::function<Status(RedisConnection*)>& visit);

  // Reads the slot map again from the first node that gives one without
  // holes (or, failing that, the best one given).
  Status RefreshSlotMap();

 private:
  struct Unit;
  struct Group;
  enum class Outcome { kDone, kRetryNow, kRetryLater, kGiveUp };

  RedisConnection* ConnectionTo(const RedisEndpoint& endpoint);
  bool Route(Unit* unit, const RedisEndpoint* near, RedisEndpoint* target);
  Outcome Settle(Unit* unit, std::vector<RedisReply>* unit_replies);
  void DropConnectionsNotInMap();

  std::vector<RedisEndpoint> seeds_;
  RedisSettings* settings_;
  std::chrono::milliseconds retry_time_;
  SlotMap map_;
  bool map_stale_ = true;
  std::chrono::steady_clock::time_point map_read_at_;
  std::unordered_map<std::string, std::unique_ptr<RedisConnection>> connections_;
};

}  // namespace tokend
