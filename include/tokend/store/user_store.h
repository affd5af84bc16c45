// UserStore: users in Redis, by name. A user's id is random, given when the
// user is added: a name deleted and added again is a new user, whom no token
// of the old one reaches. The name key maps a name to the id; it and the
// record lie in two hash slots, written in an order that a Redis Cluster
// keeps safe (see user_store.cpp).
//
// Not thread-safe (uses the caller's RedisClient).
#pragma once

#include <string>
#include <vector>

#include "tokend/common/status.h"
#include "tokend/store/redis_client.h"

namespace tokend {

struct UserRecord {
  std::string id;
  std::string name;
  std::string password_hash;
};

class UserStore {
 public:
  explicit UserStore(RedisClient* redis) : redis_(redis) {}

  // kAlreadyExists when the name is taken.
  Status Add(const std::string& name, const std::string& password_hash,
             UserRecord* created);
  // kNotFound when there is no such user.
  Status SetPasswordHash(const std::string& name, const std::string& hash);
  // Replaces the user's password hash `old_hash` by `new_hash` (a stronger
  // one for the same password), atomically: `*replaced` is false, and
  // nothing changes, when the user no longer has `old_hash` (a password
  // change in between wins) or no longer exists.
  Status ReplacePasswordHash(const UserRecord& user, const std::string& new_hash,
                             bool* replaced);
  // `*found` false (and OK) when there is no such user. Two round trips
  // (the name, then the record), for an unknown name too.
  Status FindByName(const std::string& name, UserRecord* user, bool* found);
  Status FindById(const std::string& user_id, UserRecord* user, bool* found);
  // The owner of a live access token, in one round trip: `*found` is false
  // when the token's record is gone (revoked or expired) or the user is.
  Status FindTokenOwner(const std::string& user_id, const std::string& nonce,
                        UserRecord* user, bool* found);
  // The same, and `*revoked` true when the token is not live but revoked
  // reversibly (its record renamed to RevokedTokenRecordKey) and the user
  // exists; still one round trip.
  Status FindTokenOwner(const std::string& user_id, const std::string& nonce,
                        UserRecord* user, bool* found, bool* revoked);
  // Deletes the user and revokes all of their tokens, named tokens too.
  // kNotFound if absent.
  Status Delete(const std::string& name);
  // Every user's name, sorted: a SCAN of every primary (admin only).
  Status ListNames(std::vector<std::string>* names);

 private:
  // `former_id`: the id the name's key holds for a user deleted (empty
  // when it holds none); kAlreadyExists when a user holds the name.
  Status FindNameHolder(const std::string& name, std::string* former_id);
  // Runs MigrateUserIds once, before the first use of a name.
  Status EnsureMigrated();

  RedisClient* redis_;
  bool migrated_ = false;
};

}  // namespace tokend
