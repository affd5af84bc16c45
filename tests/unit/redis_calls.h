// Redis calls for unit tests that check what a store wrote: the reply as
// text or as an integer, failing the test on any error.
#pragma once

#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "tokend/store/redis_client.h"

namespace tokend {
namespace test {

inline std::string RedisText(RedisClient* redis, const RedisCommand& command) {
  RedisReply reply;
  Status status = redis->Run(command, &reply);
  CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
  return reply.text;
}

inline long long RedisInteger(RedisClient* redis, const RedisCommand& command) {
  RedisReply reply;
  Status status = redis->Run(command, &reply);
  CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
  CPPUNIT_ASSERT_MESSAGE(command[0], reply.type == RedisReply::Type::kInteger);
  return reply.integer;
}

// How many times Redis has run `command` (lower case), from INFO
// commandstats: 0 before the first.
inline long long CommandCalls(RedisClient* redis, const std::string& command) {
  const std::string info = RedisText(redis, {"INFO", "commandstats"});
  const std::string label = "cmdstat_" + command + ":calls=";
  const size_t at = info.find(label);
  return at == std::string::npos ? 0 : std::stoll(info.substr(at + label.size()));
}

}  // namespace test
}  // namespace tokend
