// The hash slot of a command, and whether it writes (see redis_commands.h).
#include "tokend/store/redis_commands.h"

#include <strings.h>

#include "tokend/store/key_slot.h"

namespace tokend {

namespace {

bool Is(const std::string& name, const char* expected) {
  return strcasecmp(name.c_str(), expected) == 0;
}

// Whether `name` is one of `names`, in any case.
template <size_t N>
bool IsOneOf(const std::string& name, const char* const (&names)[N]) {
  for (const char* one : names) {
    if (Is(name, one)) return true;
  }
  return false;
}

// Commands without keys, whatever their arguments.
bool HasNoKey(const std::string& name) {
  static const char* const kKeyless[] = {
      "PING",   "MULTI",  "EXEC",  "DISCARD",  "WAIT",   "SCAN",
      "CLUSTER", "SCRIPT", "INFO", "AUTH",     "ASKING", "DBSIZE",
      "FLUSHALL", "FLUSHDB", "CLIENT", "CONFIG", "TIME", "ACL",
      "ROLE",   "DEBUG",  "SAVE",  "BGSAVE", "BGREWRITEAOF", "LASTSAVE",
      "SLOWLOG", "COMMAND", "HELLO", "READONLY", "READWRITE", "FUNCTION",
      "SENTINEL", "RANDOMKEY", "SELECT", "SWAPDB", "KEYS", "LATENCY"};
  return IsOneOf(name, kKeyless);
}

// Commands that only read.
bool OnlyReads(const std::string& name) {
  static const char* const kReads[] = {
      "GET",   "EXISTS", "HGET",  "HMGET",  "HGETALL", "HLEN",  "SCARD",
      "SISMEMBER", "SMEMBERS", "ZCARD", "ZRANGE", "ZSCORE", "EXPIRETIME",
      "TTL",   "PTTL",   "SCAN",  "PING",   "CLUSTER", "ROLE",  "INFO",
      "ASKING", "WAIT",  "TYPE",  "OBJECT", "MEMORY", "DBSIZE"};
  return IsOneOf(name, kReads);
}

// Writes of the one key after the command name.
bool WritesFirstKey(const std::string& name) {
  static const char* const kFirstKeyWrites[] = {
      "SET",    "SETNX",  "SETEX",   "PSETEX",   "GETDEL",  "APPEND",
      "INCR",   "INCRBY", "DECR",    "DECRBY",   "EXPIRE",  "EXPIREAT",
      "PEXPIRE", "PEXPIREAT", "PERSIST", "HSET", "HSETNX",  "HMSET",
      "HINCRBY", "HDEL",  "SADD",    "SREM",     "SPOP",    "ZADD",
      "ZREM",   "ZREMRANGEBYSCORE", "ZPOPMIN"};
  return IsOneOf(name, kFirstKeyWrites);
}

}  // namespace

bool KeysWritten(const RedisCommand& command, std::vector<std::string>* keys) {
  if (!MayWrite(command)) return true;
  const std::string& name = command[0];
  if (Is(name, "MULTI") || Is(name, "EXEC") || Is(name, "DISCARD")) {
    return true;
  }
  if (command.size() < 2) return false;
  if (Is(name, "DEL") || Is(name, "UNLINK")) {
    keys->insert(keys->end(), command.begin() + 1, command.end());
    return true;
  }
  if (Is(name, "RENAME") || Is(name, "RENAMENX")) {
    if (command.size() < 3) return false;
    keys->insert(keys->end(), command.begin() + 1, command.begin() + 3);
    return true;
  }
  if (!WritesFirstKey(name)) return false;
  keys->push_back(command[1]);
  return true;
}

bool MayWrite(const RedisCommand& command) {
  if (command.empty() || OnlyReads(command[0])) return false;
  // CLIENT (CACHING before a cached read, TRACKING, ID) sets up the
  // connection and changes no data.
  return !Is(command[0], "CLIENT");
}

int CommandSlot(const RedisCommand& command) {
  if (command.size() < 2 || HasNoKey(command[0])) return -1;
  const std::string& name = command[0];
  if (Is(name, "EVAL") || Is(name, "EVALSHA") || Is(name, "EVAL_RO") ||
      Is(name, "EVALSHA_RO")) {
    if (command.size() < 4 || command[2] == "0") return -1;
    return KeySlot(command[3]);
  }
  if (Is(name, "OBJECT") || Is(name, "MEMORY")) {
    return command.size() < 3 ? -1 : KeySlot(command[2]);
  }
  return KeySlot(command[1]);
}

}  // namespace tokend
