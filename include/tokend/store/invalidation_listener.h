// InvalidationListener: the second connection of client-side caching. It
// subscribes to __redis__:invalidate (RESP2), and a command connection that
// sent `CLIENT TRACKING on REDIRECT <its id>` has Redis push here the keys
// it read that changed since. Drain() takes what has arrived without
// waiting, so the worker sees every invalidation Redis delivered before
// the request it is about to answer from its cache (store/tracked_reads.h).
//
// Not thread-safe: one per tracked command connection.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tokend/common/status.h"
#include "tokend/store/redis_connection.h"

namespace tokend {

// What one Drain() found.
struct Invalidations {
  std::vector<std::string> keys;  // keys that changed
  // Everything must go: Redis flushed its data (a null key list), the
  // connection was lost (a restart, a kill, an I/O error) or never opened,
  // or so much was waiting that some may still be on its way.
  bool everything = false;
};

class InvalidationListener {
 public:
  // `settings` (the login, timeouts) must outlive the listener.
  InvalidationListener(RedisEndpoint endpoint, RedisSettings* settings);
  InvalidationListener(const InvalidationListener&) = delete;
  InvalidationListener& operator=(const InvalidationListener&) = delete;

  // Connects, learns the connection's client id and subscribes, unless
  // subscribed already. kServiceUnavailable when Redis cannot be reached
  // or refuses (the subscription is then not held).
  Status EnsureSubscribed();
  // Takes every invalidation that has arrived, without waiting.
  Invalidations Drain();

  bool subscribed() const { return subscribed_; }
  // The connection's socket (-1 when none): poll it for what Drain() takes.
  int fd() const { return connection_.fd(); }
  // The subscribed connection's client id (for REDIRECT).
  long long client_id() const { return client_id_; }
  // Changes with each new subscription: tracking redirected to an older
  // one no longer reaches this listener.
  uint64_t generation() const { return connection_.generation(); }
  // Drops the connection (tests: a lost invalidation connection).
  void Disconnect();

 private:
  RedisConnection connection_;
  bool subscribed_ = false;
  long long client_id_ = 0;
};

}  // namespace tokend
