// Client-side caching of token and user reads (see tracked_reads.h).
#include "tokend/store/tracked_reads.h"

#include <poll.h>

#include <cerrno>
#include <cstdio>

#include "tokend/common/metrics.h"
#include "tokend/store/store_keys.h"

namespace tokend {

namespace {

// Whether each socket has bytes waiting or is closed, without waiting. A
// socket of -1 (none) counts as ready, and both do when poll fails: the
// caller then reads to find out.
void WhichAreReady(int first, int second, bool* first_ready,
                   bool* second_ready) {
  pollfd sockets[2] = {{first, POLLIN, 0}, {second, POLLIN, 0}};
  int ready;
  do {
    ready = poll(sockets, 2, 0);
  } while (ready < 0 && errno == EINTR);
  *first_ready = ready < 0 || first < 0 || sockets[0].revents != 0;
  *second_ready = ready < 0 || second < 0 || sockets[1].revents != 0;
}

// Marks KEYS as cached for ARGV[1] seconds. REPL_NONE: the marks go neither
// to the AOF (no fsync for a read, even with appendfsync always) nor to
// replicas; a restart or failover loses them, and the caches with them.
constexpr char kMarkScript[] = R"lua(
redis.set_repl(redis.REPL_NONE)
for _, key in ipairs(KEYS) do redis.call('SET', key, '1', 'EX', ARGV[1]) end
return #KEYS
)lua";

}  // namespace

TrackedReads::TrackedReads(RedisEndpoint endpoint, RedisSettings* settings,
                           size_t max_entries, size_t max_bytes)
    : cache_(max_entries, max_bytes), listener_(std::move(endpoint), settings) {}

bool TrackedReads::Cacheable(const std::vector<RedisCommand>& commands) {
  if (commands.empty()) return false;
  for (const RedisCommand& command : commands) {
    if (command.size() < 2) return false;
    const std::string& name = command[0];
    const bool one_key_read = (name == "EXISTS" && command.size() == 2) ||
                              (name == "GET" && command.size() == 2) ||
                              (name == "HMGET" && command.size() >= 3);
    if (!one_key_read) return false;
  }
  return true;
}

void TrackedReads::Empty() {
  if (cache_.entries() > 0) CountReadCacheFlush();
  cache_.Clear();
}

void TrackedReads::Refused(const std::string& what) {
  refused_ = true;
  tracking_ = false;
  cache_.Clear();
  listener_.Disconnect();
  std::fprintf(stderr,
               "%s: read cache off: Redis refused %s; give the daemon's Redis "
               "user the rights of config/redis-users.acl.in\n",
               program_invocation_short_name, what.c_str());
}

bool TrackedReads::Tracking(const RedisConnection& connection) const {
  return tracking_ && connection.connected() &&
         connection.generation() == tracked_connection_ &&
         listener_.subscribed() &&
         listener_.generation() == tracked_listener_;
}

bool TrackedReads::TakeInvalidations(RedisConnection* connection) {
  // One poll of both connections first: most requests find nothing on
  // either, and a system call costs more than the rest of a cached read
  // (a read of each was half of a worker's system calls).
  bool listener_ready, connection_ready;
  WhichAreReady(listener_.fd(), connection->fd(), &listener_ready,
                &connection_ready);
  if (listener_ready) {
    Invalidations found = listener_.Drain();
    if (found.everything) {
      Empty();
      // A flush leaves the subscription and tracking as they were; a lost
      // listener does not (Tracking() sees it).
    } else {
      uint64_t dropped = 0;
      for (const std::string& key : found.keys) {
        dropped += cache_.Invalidate(key);
      }
      if (dropped > 0) CountReadCacheInvalidation(dropped);
    }
  }
  // The command connection closed (a kill, a restart) takes Redis's
  // tracking of its keys with it: what it read can no longer be trusted.
  if (!Tracking(*connection) ||
      (connection_ready && connection->IdleConnectionGone())) {
    tracking_ = false;
    Empty();
    return false;
  }
  return true;
}

bool TrackedReads::Serve(RedisConnection* connection,
                         const std::vector<RedisCommand>& commands,
                         std::vector<RedisReply>* replies) {
  if (!enabled()) return false;
  if (!TakeInvalidations(connection)) {
    CountReadCacheMiss();
    return false;
  }
  std::vector<const RedisReply*> found;
  found.reserve(commands.size());
  for (const RedisCommand& command : commands) {
    const RedisReply* reply = cache_.Find(command);
    if (reply == nullptr) {
      CountReadCacheMiss();
      return false;
    }
    found.push_back(reply);
  }
  replies->clear();
  replies->reserve(found.size());
  for (const RedisReply* reply : found) replies->push_back(*reply);
  CountReadCacheHit();
  return true;
}

bool TrackedReads::Prepare(RedisConnection* connection) {
  if (!enabled()) return false;
  // The command connection first: when Redis is down, its failure is the
  // answer, without a second connect timeout for the listener.
  if (!connection->EnsureConnected().ok()) return false;
  Status subscribed = listener_.EnsureSubscribed();
  if (!subscribed.ok()) {
    // An error reply (NOPERM) will not go away by itself; no connection
    // might.
    if (subscribed.code() == Code::kInternal) {
      Refused("CLIENT ID or SUBSCRIBE __redis__:invalidate (" +
              subscribed.description().substr(0, 200) + ")");
    }
    tracking_ = false;
    Empty();
    return false;
  }
  if (Tracking(*connection)) return true;
  // A new connection or a new subscription: nothing cached before was
  // tracked towards this pair.
  Empty();
  std::string wire;
  AppendResp({"CLIENT", "TRACKING", "on", "REDIRECT",
              std::to_string(listener_.client_id()), "OPTIN"},
             &wire);
  std::vector<RedisReply> reply;
  if (!connection->Exchange(wire, 1, &reply).ok()) return false;
  if (reply[0].type == RedisReply::Type::kError) {
    if (!IsTransientRedisError(reply[0].text)) {
      Refused("CLIENT TRACKING (" + reply[0].text.substr(0, 200) + ")");
    }
    return false;
  }
  tracked_connection_ = connection->generation();
  tracked_listener_ = listener_.generation();
  tracking_ = true;
  return true;
}

std::vector<RedisCommand> TrackedReads::Marked(
    const std::vector<RedisCommand>& commands) {
  std::vector<RedisCommand> marked;
  marked.reserve(3 * commands.size());
  const std::string seconds = std::to_string(kCacheMarkSeconds);
  for (const RedisCommand& command : commands) {
    // A mark per read: each command keeps to its key's hash slot.
    marked.push_back(
        {"EVAL", kMarkScript, "1", CacheMarkKey(command[1]), seconds});
    marked.push_back({"CLIENT", "CACHING", "yes"});
    marked.push_back(command);
  }
  return marked;
}

bool TrackedReads::IsMark(const RedisCommand& command) {
  return command.size() >= 2 && command[0] == "EVAL" &&
         command[1] == kMarkScript;
}

void TrackedReads::Remember(RedisConnection* connection,
                            const std::vector<RedisCommand>& commands,
                            std::vector<RedisReply>* marked_replies,
                            std::vector<RedisReply>* replies) {
  replies->clear();
  if (marked_replies->size() != 3 * commands.size()) return;
  const bool tracking = Tracking(*connection);
  replies->reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    // Unmarked, a read must not be kept: a write would skip its barrier.
    const RedisReply& mark = (*marked_replies)[3 * i];
    const RedisReply& caching = (*marked_replies)[3 * i + 1];
    RedisReply& reply = (*marked_replies)[3 * i + 2];
    if (tracking && mark.type != RedisReply::Type::kError &&
        caching.type != RedisReply::Type::kError &&
        reply.type != RedisReply::Type::kError) {
      cache_.Remember(commands[i], reply);
    }
    replies->push_back(std::move(reply));
  }
}

}  // namespace tokend
