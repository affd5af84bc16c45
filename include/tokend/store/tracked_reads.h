// TrackedReads: server-assisted client-side caching of a worker's token and
// user reads from one Redis server. The command connection sends
// `CLIENT TRACKING on REDIRECT <id> OPTIN` towards an InvalidationListener,
// and each read whose reply is kept in the ReadCache goes with a
// `CLIENT CACHING yes` before it: Redis tracks those keys only, so a write
// of a key no cache holds (a token list, a counter, a key a script read)
// costs Redis no invalidation message and the worker none to take. Before a read
// is answered from the cache, every invalidation Redis has delivered is
// taken, and the cache is emptied when either connection was lost or made
// anew, or Redis flushed: a delete or revocation Redis acknowledged before
// the request arrived is seen (README, "Client-side caching").
//
// Each read kept also leaves a mark in Redis first (CacheMarkKey, in the
// same round trip, never written to the AOF), which lives twice as long as
// the cache keeps the read (kReadCacheMaxAge). A write finds out from the
// marks of the keys it changed whether any cache may hold one of them, and
// only then waits for the invalidation barrier (redis_client.h).
//
// RedisClient uses it for a single Redis on a unix socket only; under Redis
// Cluster, Sentinel or over TCP the cache is off. Not thread-safe: one per RedisClient.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tokend/store/invalidation_listener.h"
#include "tokend/store/read_cache.h"
#include "tokend/store/redis_connection.h"

namespace tokend {

// How long a mark lives: twice as long as a cached read answers, so that a
// write while the read can still answer finds the mark.
constexpr int kCacheMarkSeconds = 2 * kReadCacheMaxAge.count();

class TrackedReads {
 public:
  // `settings` must outlive this. `max_entries` or `max_bytes` 0: off.
  TrackedReads(RedisEndpoint endpoint, RedisSettings* settings,
               size_t max_entries, size_t max_bytes);

  // Whether every command is a read this cache keeps: EXISTS, GET or HMGET
  // of one key.
  static bool Cacheable(const std::vector<RedisCommand>& commands);

  // Takes the invalidations delivered so far, then answers `commands`
  // (Cacheable) when the cache holds every reply for `connection`'s
  // current connection. False (and `replies` untouched) otherwise.
  bool Serve(RedisConnection* connection,
             const std::vector<RedisCommand>& commands,
             std::vector<RedisReply>* replies);
  // Before `commands` go to Redis on `connection`: makes sure Redis tracks
  // what they read (subscribes the listener, and sends CLIENT TRACKING to a
  // connection new or not yet redirected to it, emptying the cache). False
  // when it cannot; the reads then go uncached.
  bool Prepare(RedisConnection* connection);
  // What to send for `commands` once Prepare() said yes: each command
  // preceded by the script that marks its key as cached and by CLIENT
  // CACHING yes, so that Redis tracks its key.
  static std::vector<RedisCommand> Marked(
      const std::vector<RedisCommand>& commands);
  // Whether `command` is Marked()'s marking script: it changes no data
  // anybody reads but the writers' barrier, and is not written to the AOF.
  static bool IsMark(const RedisCommand& command);
  // After: `replies` gets the commands' own replies out of `marked_replies`
  // (the replies to Marked(commands)), and those read on the connection
  // Prepare() set up are kept (none when it was replaced meanwhile, none
  // whose CLIENT CACHING was refused, none when the marks were refused);
  // error replies are never kept.
  void Remember(RedisConnection* connection,
                const std::vector<RedisCommand>& commands,
                std::vector<RedisReply>* marked_replies,
                std::vector<RedisReply>* replies);

  // Off for good after Redis refused tracking or the subscription (an ACL
  // without CLIENT TRACKING or the channel: logged once), so that no read
  // pays for a refused attempt.
  bool enabled() const { return cache_.enabled() && !refused_; }
  ReadCache& cache() { return cache_; }
  InvalidationListener& listener() { return listener_; }

 private:
  // Takes what the listener has; false when the cache had to be emptied
  // and tracking is not set up for `connection` any more.
  bool TakeInvalidations(RedisConnection* connection);
  bool Tracking(const RedisConnection& connection) const;
  void Empty();
  // Turns the cache off for good, saying why once.
  void Refused(const std::string& what);

  ReadCache cache_;
  InvalidationListener listener_;
  // The command connection and listener subscription tracking was set up
  // for (RedisConnection::generation, InvalidationListener::generation).
  uint64_t tracked_connection_ = 0;
  uint64_t tracked_listener_ = 0;
  bool tracking_ = false;
  bool refused_ = false;
};

}  // namespace tokend
