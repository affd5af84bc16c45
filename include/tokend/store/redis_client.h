// RedisClient: one connection to Redis with bounded connect and command
// timeouts. A failed connection is dropped and re-opened by the next call,
// so a worker recovers by itself when Redis comes back. With redis_user
// configured, every new connection logs in (AUTH user password) before it
// carries anything else.
//
// Not thread-safe: one client per worker. Only src/store/redis_client.cpp sees
// hiredis; replies are copied into owning RedisReply values.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tokend/common/config.h"
#include "tokend/common/status.h"

struct redisContext;

namespace tokend {

struct RedisReply {
  enum class Type { kNil, kString, kInteger, kArray, kStatus, kError };
  Type type = Type::kNil;
  std::string text;  // kString, kStatus, kError
  long long integer = 0;
  std::vector<RedisReply> elements;

  bool is_nil() const { return type == Type::kNil; }
};

using RedisCommand = std::vector<std::string>;

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

  // Runs `commands` inside MULTI/EXEC in one round trip; `replies` gets the
  // EXEC results, one per command.
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

 private:
  Status PipelineOnce(const std::vector<RedisCommand>& commands,
                      std::vector<RedisReply>* replies);
  Status PipelineWithPrefetched(const std::vector<RedisCommand>& commands,
                                std::vector<RedisReply>* replies);
  RedisCommand ByHash(const RedisCommand& eval);
  Status Connect();
  Status LogIn();
  const std::string& ScriptSha1(const std::string& script);
  void Disconnect();

  std::string unix_path_;
  std::string host_;
  int port_ = 0;
  int connect_timeout_ms_;
  int command_timeout_ms_;
  std::string user_;
  std::string password_;  // wiped by the destructor
  bool login_refusal_logged_ = false;  // until a login succeeds again
  redisContext* context_ = nullptr;
  bool peer_closed_ = false;  // the last failure was Redis closing on us
  std::unordered_map<std::string, std::string> script_sha1_;  // text -> SHA1
  std::vector<RedisCommand> to_prefetch_;  // go with the next round trip
  std::vector<std::pair<RedisCommand, RedisReply>> prefetched_;
};

}  // namespace tokend
