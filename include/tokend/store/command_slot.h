// Which Redis Cluster hash slot a command goes to: the slot of its first
// key (key_slot.h). Issue 15's client routes each command by it. A command
// with no key (PING, MULTI, EXEC, WAIT, SCAN, CLUSTER...) has none: it goes
// with the commands around it.
//
// Pure functions; thread-safe.
#pragma once

#include "tokend/store/redis_reply.h"

namespace tokend {

// The slot of `command`'s first key, or -1 when it has no key. Knows where
// the key is in the commands this service sends: after the command name,
// after EVAL/EVALSHA's script and key count (none when the count is 0),
// after OBJECT's and MEMORY's subcommand.
int CommandSlot(const RedisCommand& command);

}  // namespace tokend
