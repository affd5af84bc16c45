// What the client knows of the commands it sends. Which Redis Cluster hash
// slot one goes to: the slot of its first key (key_slot.h); the cluster
// client routes each command by it. A command with no key (PING, MULTI,
// EXEC, WAIT, SCAN, CLUSTER...) has none: it goes with the commands around
// it. And whether it may change data: such a command's round trip waits
// for the replicas (config redis_replicas_ack).
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "tokend/store/redis_reply.h"

namespace tokend {

// The slot of `command`'s first key, or -1 when it has no key. Knows where
// the key is in the commands this service sends: after the command name,
// after EVAL/EVALSHA's script and key count (none when the count is 0),
// after OBJECT's and MEMORY's subcommand.
int CommandSlot(const RedisCommand& command);

// Whether `command` may change data: anything but the reads this service
// sends (GET, EXISTS, HMGET, ZRANGE, SCAN, PING...). A script may.
bool MayWrite(const RedisCommand& command);

// The keys `command` may change, when they are known: appends them to
// `keys` (none for a read, MULTI or EXEC) and returns true. False for a
// script (it may write fewer keys than it declares, or build key names:
// only its caller knows) and for a command this service does not send.
bool KeysWritten(const RedisCommand& command, std::vector<std::string>* keys);

}  // namespace tokend
