// RedisClient: what the stores send to Redis, wherever it is: one server
// (redis_connection.h), a Redis Cluster (cluster_client.h), or the primary
// Redis Sentinel names (sentinel.h); the config's `redis` says which.
// Connections are opened on first use and again after a failure, so a
// worker recovers by itself when Redis comes back.
//
// Not thread-safe: one client per worker.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tokend/common/config.h"
#include "tokend/common/status.h"
#include "tokend/store/redis_connection.h"
#include "tokend/store/redis_reply.h"

namespace tokend {

class ClusterClient;
class SentinelClient;
class TrackedReads;

class RedisClient {
 public:
  explicit RedisClient(const Config& config);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Sends `commands` in one round trip and reads every reply in order.
  // kServiceUnavailable when Redis cannot be reached or times out (the
  // connection is then dropped), or refuses to log us in (logged to stderr
  // once, naming the user, never the password); kInternal when Redis
  // answers a command with an error (the error text is in the description,
  // never user data).
  Status Pipeline(const std::vector<RedisCommand>& commands,
                  std::vector<RedisReply>* replies);

  // One command, one reply. An EVAL is sent as EVALSHA, with the script
  // text only when Redis does not have it yet.
  Status Run(const RedisCommand& command, RedisReply* reply);
  // Run() of a write that changes only keys no read cache can hold: a
  // record under a fresh random name (nobody can have read it before) and
  // keys no cached read covers (lists). It skips the invalidation barrier
  // (below): there is no invalidation to wait for.
  Status RunCreating(const RedisCommand& command, RedisReply* reply);
  // Run() of a script that changes no key but `changed` (a script may read
  // more keys than it writes, or build key names: Run() assumes the worst).
  // Its barrier is then owed only when a read cache marked one of them, as
  // for a plain write command's keys.
  Status RunChanging(const RedisCommand& command,
                     const std::vector<std::string>& changed, RedisReply* reply);

  // Runs `commands` inside MULTI/EXEC in one round trip; `replies` gets the
  // EXEC results, one per command. On a cluster they must share one slot.
  Status Transaction(const std::vector<RedisCommand>& commands,
                     std::vector<RedisReply>* replies);

  // Sends `command` along with the next round trip, whatever it is for, and
  // keeps the reply: a later Run() of the same command takes it instead of
  // a round trip of its own. For commands that change nothing a client
  // could see, since one runs even when the request fails before it needs
  // the reply. An error reply is not kept (Run() then sends the command).
  void Prefetch(RedisCommand command);
  // Forgets what was prefetched and not used (once per request).
  void DropPrefetched();

  // Calls `batch` with the keys matching `pattern`, one SCAN step at a
  // time, over the whole keyspace: the one server, or every primary of a
  // cluster. A key may come twice (SCAN's promise); none present
  // throughout is missed.
  Status ScanKeys(const std::string& pattern,
                  const std::function<Status(const std::vector<std::string>&)>&
                      batch);

  // The client-side cache of token and user reads (tracked_reads.h), or
  // nullptr when it is off (read_cache_entries or read_cache_bytes 0, a
  // Redis Cluster, Sentinel, Redis over TCP).
  TrackedReads* tracked_reads() { return tracked_.get(); }
  // Turns this client's read cache off. Its writes still wait for the
  // invalidation barrier (below), for the other clients' caches.
  void StopCachingReads();

 private:
  // Sends and reads; OK when every reply came, error replies included.
  Status Exchange(const std::vector<RedisCommand>& commands,
                  std::vector<RedisReply>* replies);
  // Exchange() with the replies checked for errors.
  Status UncachedPipeline(const std::vector<RedisCommand>& commands,
                          std::vector<RedisReply>* replies);
  // A pipeline of reads TrackedReads keeps, from Redis, with the replies
  // kept.
  Status TrackedPipeline(const std::vector<RedisCommand>& commands,
                         std::vector<RedisReply>* replies);
  Status PipelineWithPrefetched(const std::vector<RedisCommand>& commands,
                                std::vector<RedisReply>* replies);
  RedisCommand ByHash(const RedisCommand& eval);
  const std::string& ScriptSha1(const std::string& script);

  RedisSettings settings_;  // the password is wiped by the destructor
  std::unique_ptr<RedisConnection> single_;      // one server
  std::unique_ptr<ClusterClient> cluster_;       // or a cluster
  std::unique_ptr<SentinelClient> sentinel_;     // or Sentinel's primary
  std::unique_ptr<TrackedReads> tracked_;        // single_'s read cache
  // While read caches may be on (config), a round trip that wrote a key
  // some cache may hold (its mark is in Redis, tracked_reads.h, or its keys
  // are not known) is followed by a PING before it returns: Redis answers
  // it only after it has written out every invalidation the writes caused,
  // so a client learning of the write from us finds them at every cache
  // (README, "Client-side caching").
  bool invalidation_barrier_ = false;
  bool creating_ = false;         // inside RunCreating: no barrier
  // Inside RunChanging: the keys its script changes.
  const std::vector<std::string>* script_changes_ = nullptr;
  std::unordered_map<std::string, std::string> script_sha1_;  // text -> SHA1
  std::vector<RedisCommand> to_prefetch_;  // go with the next round trip
  std::vector<std::pair<RedisCommand, RedisReply>> prefetched_;
};

}  // namespace tokend
