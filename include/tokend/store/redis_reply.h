// RedisReply and RedisCommand: what the store sends to Redis and what it
// gets back, as owning values (only src/store/redis_connection.cpp sees
// hiredis), and the Status an error reply stands for.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tokend/common/status.h"

namespace tokend {

struct RedisReply {
  enum class Type { kNil, kString, kInteger, kArray, kStatus, kError };
  Type type = Type::kNil;
  std::string text;  // kString, kStatus, kError
  long long integer = 0;
  std::vector<RedisReply> elements;

  bool is_nil() const { return type == Type::kNil; }
  // An error reply whose text begins with `word` ("MOVED", "NOSCRIPT"...).
  bool IsError(std::string_view word) const {
    return type == Type::kError && text.compare(0, word.size(), word) == 0;
  }
};

using RedisCommand = std::vector<std::string>;

// 503 "the token store is unavailable", counted in the metrics.
Status RedisUnavailable();

// The Status of an error reply: kServiceUnavailable for a state Redis will
// leave by itself (loading, busy, a read-only replica, a cluster in
// transition, a login it wants), else kInternal with Redis's words (never
// user data). Counted in the metrics, except NOSCRIPT: the normal first
// answer to EVALSHA.
Status RedisErrorStatus(const std::string& text);

// Whether an error reply means "Redis cannot serve right now" rather than
// "this command is wrong" (see RedisErrorStatus).
bool IsTransientRedisError(const std::string& text);

}  // namespace tokend
