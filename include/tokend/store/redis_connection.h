// RedisConnection: one connection to one Redis server, with bounded connect
// and command timeouts. A failed connection is dropped and opened again by
// the next use, so a worker recovers by itself when Redis comes back. With
// a Redis user configured, every new connection logs in (AUTH user
// password) before it carries anything else.
//
// RedisClient (redis_client.h) holds one of these for a single Redis or a
// Sentinel's primary, and one per primary for a Redis Cluster.
// Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tokend/common/status.h"
#include "tokend/store/redis_reply.h"

struct redisContext;

namespace tokend {

// Where one Redis server listens: a unix socket, or a host and TCP port.
struct RedisEndpoint {
  std::string unix_path;
  std::string host;
  int port = 0;

  bool operator==(const RedisEndpoint& other) const {
    return unix_path == other.unix_path && host == other.host &&
           port == other.port;
  }
  // "unix:/path", "host:port" or "[v6]:port": for logs and as a map key.
  std::string Name() const;
};

// What every connection of one client shares: timeouts and the login. The
// client owns it and wipes the password.
struct RedisSettings {
  int connect_timeout_ms = 500;
  int command_timeout_ms = 2000;
  std::string user;      // empty: no AUTH
  std::string password;  // never logged
  bool login_refusal_logged = false;  // until a login succeeds again
  // Replicas every write waits for (WAIT); -1: one if the primary has any
  // when the connection is made. And how long they may take (ms).
  int replicas_ack = 0;
  int replicas_ack_timeout_ms = 1000;
};

// Appends `command` to `wire` in Redis's wire format (RESP), so a whole
// pipeline goes out as one buffer. hiredis's own formatting (one sds per
// command, a printf-style call per argument) was 4.5% of a worker's CPU.
void AppendResp(const RedisCommand& command, std::string* wire);

class RedisConnection {
 public:
  // `settings` must outlive the connection.
  RedisConnection(RedisEndpoint endpoint, RedisSettings* settings);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // How the last Send or Receive failed.
  enum class Failure {
    kNone,
    kConnect,     // no connection (refused, unreachable, login refused):
                  // nothing was sent
    kPeerClosed,  // the server closed a connection that was open before
                  // this call: it may have died or restarted meanwhile
    kOther,       // a timeout or I/O error after sending: the commands may
                  // have run
  };

  // Connects when not connected (and learns how many replicas writes wait
  // for). kServiceUnavailable on failure (failure() kConnect).
  Status EnsureConnected();
  // Connects when not connected, and writes `wire` (RESP commands) out.
  // kServiceUnavailable on failure (see failure()).
  Status Send(const std::string& wire);
  // Reads `count` replies in order. kServiceUnavailable when they do not
  // all come (the connection is then dropped: its stream is out of step).
  // Error replies are replies here; the caller decides what they mean.
  Status Receive(size_t count, std::vector<RedisReply>* replies);
  // Send, then Receive.
  Status Exchange(const std::string& wire, size_t count,
                  std::vector<RedisReply>* replies);

  // When `writes` and writes here wait for replicas: appends a WAIT to
  // `wire` (after EnsureConnected) and returns true; its reply comes last.
  bool AppendReplicaWait(bool writes, std::string* wire) const;
  // Takes the WAIT reply off the end of `replies`: kServiceUnavailable,
  // saying so, when fewer replicas confirmed than asked (the writes were
  // made here but might not survive this server's loss).
  Status TakeReplicaWait(std::vector<RedisReply>* replies) const;

  // Reads the replies that have already arrived, without waiting: for a
  // connection Redis pushes to (a Pub/Sub subscription). `*bytes` gets the
  // bytes read. kServiceUnavailable when the connection is gone (closed by
  // the server, an I/O error, or never opened; it is then dropped) or when
  // more than `max_bytes` are waiting (dropped too: the caller cannot know
  // it saw everything).
  Status ReceiveAvailable(size_t max_bytes, std::vector<RedisReply>* replies,
                          size_t* bytes);
  // Whether an idle connection (no reply pending) is gone: the server
  // closed it, or it holds bytes nobody asked for. One non-blocking peek;
  // a connection found gone is dropped.
  bool IdleConnectionGone();
  // Counts the connections opened: a new value means a new connection,
  // which has none of the old one's server-side state (client tracking).
  uint64_t generation() const { return generation_; }

  // The socket, or -1 when not connected: for polling several at once.
  int fd() const;
  Failure failure() const { return failure_; }
  const RedisEndpoint& endpoint() const { return endpoint_; }
  bool connected() const { return context_ != nullptr; }
  void Disconnect();

 private:
  Status Connect();
  Status LogIn();
  Status LearnReplicas();
  Status Fail(Failure failure);

  RedisEndpoint endpoint_;
  RedisSettings* settings_;
  redisContext* context_ = nullptr;
  bool fresh_ = false;   // opened since the last Send
  bool reused_ = false;  // the connection was open before this Send
  int replicas_to_wait_ = 0;
  uint64_t generation_ = 0;
  Failure failure_ = Failure::kNone;
};

// `connection`'s Exchange of `wire` (`count` commands), followed in the
// same round trip by the replicas' WAIT when `writes` (see
// AppendReplicaWait); `replies` gets the commands' replies only.
Status ExchangeWithReplicaWait(RedisConnection* connection, std::string wire,
                               size_t count, bool writes,
                               std::vector<RedisReply>* replies);

// Logs that Redis refused a login (or wants one), once until a login
// succeeds again: the user, Redis's words and where to look; never the
// password.
void LogRedisLoginRefused(RedisSettings* settings, const std::string& text);

}  // namespace tokend
