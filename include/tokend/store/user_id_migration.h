// The stored-data migration to random user ids. A user's id used to be the
// digest of its name (UserNameDigest), and basic auth went from a name
// straight to the user record. Now a name key maps each name to its user's
// id; this gives every user record made before one, holding the id the
// user already has, so their tokens, spaces and trusted addresses carry on.
//
// Idempotent, and safe when several processes run it at once: a name key is
// only ever set where none is. A marker key says it has run, after which it
// costs one EXISTS. UserStore runs it before its first use of a name.
//
// Not thread-safe (uses the caller's RedisClient).
#pragma once

#include <cstddef>

#include "tokend/common/status.h"
#include "tokend/store/redis_client.h"

namespace tokend {

// `*adopted`: the user records given a name key by this call.
Status MigrateUserIds(RedisClient* redis, size_t* adopted);

}  // namespace tokend
