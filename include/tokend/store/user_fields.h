// The user record's fields that authentication reads, as one Redis command
// and its parse: shared by the stores that look a token's owner up in the
// same round trip as the token (UserStore, NamedTokenStore), so that what
// counts as an existing user is said once.
//
// Pure functions; thread-safe.
#pragma once

#include <string>

#include "tokend/store/redis_client.h"
#include "tokend/store/user_store.h"

namespace tokend {

// The command that reads the fields ReadUser takes (HMGET of the record).
RedisCommand UserFieldsCommand(const std::string& user_id);

// Fills `user` from the reply to UserFieldsCommand; false when the user
// does not exist (or is half-made).
bool ReadUser(const std::string& user_id, const RedisReply& fields,
              UserRecord* user);

}  // namespace tokend
