// Users in Redis (see user_store.h and store_keys.h).
#include "tokend/store/user_store.h"

#include <algorithm>

#include "tokend/store/named_token_store.h"
#include "tokend/store/store_keys.h"
#include "tokend/store/token_store.h"
#include "tokend/store/user_fields.h"
#include "tokend/store/user_id_migration.h"
#include "tokend/store/write_guard.h"
#include "tokend/token/token_ref.h"

namespace tokend {

namespace {

// KEYS: the name key, the new user record. ARGV: name, id, password hash,
// the names set's key (an admin-only index outside the user's slot).
// Returns 0 when the name is taken, -1 when the (random) id is.
constexpr char kAddUserScript[] = R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('HSET', KEYS[2], 'name', ARGV[1], 'pw', ARGV[3])
redis.call('SADD', ARGV[4], ARGV[1])
return 1
)lua";

// KEYS: the name key, the user record. ARGV: name, id, the names set's key.
// The name and the record go together, so there is never a name without a
// user or a user without a name. Returns 0 when the name is no longer that
// user's.
constexpr char kDeleteUserScript[] = R"lua(
if redis.call('GET', KEYS[1]) ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('SREM', ARGV[3], ARGV[1])
return 1
)lua";

// KEYS: user record. ARGV: the new hash. Returns 0 when the user is gone
// (a bare HSET would leave a record without a name behind).
constexpr char kSetHashScript[] = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'pw', ARGV[1])
return 1
)lua";

// KEYS: user record. ARGV: the UserFingerprint of the user's name and the
// hash to replace, the new hash. Returns 1 when replaced.
constexpr char kReplaceHashScript[] = R"lua(
local user = redis.call('HMGET', KEYS[1], 'name', 'pw')
if not user[1] or not user[2] or
   redis.sha1hex(#user[1] .. ':' .. user[1] .. user[2]) ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'pw', ARGV[2])
return 1
)lua";

Status NoSuchUser(const std::string& name) {
  return Status(Code::kNotFound, "No user named \"" + name + "\".");
}

// The user named `name`; kNotFound when there is none.
Status FindExisting(UserStore* users, const std::string& name,
                    UserRecord* user) {
  bool found = false;
  Status status = users->FindByName(name, user, &found);
  if (status.ok() && !found) return NoSuchUser(name);
  return status;
}

}  // namespace

Status UserStore::Add(const std::string& name, const std::string& password_hash,
                      UserRecord* created) {
  Status status = EnsureMigrated();
  if (!status.ok()) return status;
  // A random id is taken only by a 1 in 2^128 chance; a second draw then.
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::string user_id = NewRandomId();
    if (user_id.empty()) {
      return Status(Code::kInternal, "no random bytes for a user id");
    }
    RedisReply reply;
    // One script, so a user is never left half-made (a name without a
    // record, or a record without its name).
    status = redis_->Run({"EVAL", kAddUserScript, "2", UserNameKey(name),
                          UserKey(user_id), name, user_id, password_hash,
                          UserNamesKey()},
                         &reply);
    if (!status.ok()) return status;
    if (reply.integer == 0) {
      return Status(Code::kAlreadyExists, "User \"" + name + "\" already exists.");
    }
    if (reply.integer == 1) {
      *created = UserRecord{user_id, name, password_hash};
      return Status::Ok();
    }
  }
  return Status(Code::kInternal, "no free user id");
}

Status UserStore::SetPasswordHash(const std::string& name,
                                  const std::string& hash) {
  UserRecord user;
  Status status = FindExisting(this, name, &user);
  if (!status.ok()) return status;
  RedisReply reply;
  status = redis_->Run({"EVAL", kSetHashScript, "1", UserKey(user.id), hash},
                       &reply);
  if (status.ok() && reply.integer == 0) return NoSuchUser(name);
  return status;
}

Status UserStore::ReplacePasswordHash(const UserRecord& user,
                                      const std::string& new_hash,
                                      bool* replaced) {
  RedisReply reply;
  Status status = redis_->Run(
      {"EVAL", kReplaceHashScript, "1", UserKey(user.id),
       UserFingerprint(user.name, user.password_hash), new_hash},
      &reply);
  *replaced = status.ok() && reply.integer == 1;
  return status;
}

Status UserStore::FindById(const std::string& user_id, UserRecord* user,
                           bool* found) {
  RedisReply reply;
  Status status = redis_->Run(UserFieldsCommand(user_id), &reply);
  *found = status.ok() && ReadUser(user_id, reply, user);
  return status;
}

Status UserStore::FindTokenOwner(const std::string& user_id,
                                 const std::string& nonce, UserRecord* user,
                                 bool* found) {
  bool revoked = false;
  return FindTokenOwner(user_id, nonce, user, found, &revoked);
}

Status UserStore::FindTokenOwner(const std::string& user_id,
                                 const std::string& nonce, UserRecord* user,
                                 bool* found, bool* revoked) {
  *found = false;
  *revoked = false;
  std::vector<RedisReply> replies;
  // The revoked record is asked in the same pipeline: still one round trip.
  Status status = redis_->Pipeline(
      {{"EXISTS", TokenRecordKey(user_id, nonce)},
       UserFieldsCommand(user_id),
       {"EXISTS", RevokedTokenRecordKey(user_id, nonce)}},
      &replies);
  if (!status.ok()) return status;
  const bool user_found = ReadUser(user_id, replies[1], user);
  *found = replies[0].integer == 1 && user_found;
  *revoked = !*found && user_found && replies[2].integer == 1;
  return Status::Ok();
}

Status UserStore::FindByName(const std::string& name, UserRecord* user,
                             bool* found) {
  *found = false;
  Status status = EnsureMigrated();
  if (!status.ok()) return status;
  RedisReply id;
  status = redis_->Run({"GET", UserNameKey(name)}, &id);
  if (!status.ok()) return status;
  if (id.is_nil() || !IsHexId(id.text)) {
    // No such user; still the second round trip a known name takes, so
    // that the answer comes no sooner: a record read of a key no user has
    // (ids are hex digits only).
    RedisReply none;
    return redis_->Run(UserFieldsCommand(UserNameDigest(name) + "-none"), &none);
  }
  status = FindById(id.text, user, found);
  // The record is the name's own unless a delete came in between.
  if (status.ok() && *found && user->name != name) *found = false;
  return status;
}

Status UserStore::Delete(const std::string& name) {
  UserRecord user;
  Status status = FindExisting(this, name, &user);
  if (!status.ok()) return status;
  // The name and the user record go first, in one step: from then on no
  // token of theirs authenticates, even one created while the rest is
  // being removed, and the name is free for a new user with a new id.
  RedisReply reply;
  status = redis_->Run({"EVAL", kDeleteUserScript, "2", UserNameKey(name),
                        UserKey(user.id), name, user.id, UserNamesKey()},
                       &reply);
  if (!status.ok()) return status;
  if (reply.integer == 0) return NoSuchUser(name);
  RedisReply members;
  status = redis_->Run(TokenStore::ListCommand(user.id), &members);
  if (!status.ok()) return status;
  RedisCommand del = {"DEL", TokenListKey(user.id), TrustedAddressesKey(user.id),
                      TemporaryGenerationKey(user.id), LegacyNamesKey(user.id)};
  for (const RedisReply& member : members.elements) {
    std::string nonce = member.text;  // a bare nonce, from lists before
    int64_t expires_at = 0;
    ParseTokenListMember(member.text, &nonce, &expires_at);
    del.push_back(TokenRecordKey(user.id, nonce));
  }
  status = redis_->Run(del, &reply);
  if (!status.ok()) return status;
  // No named token is created from here on: their create script needs the
  // user record. DeleteAllLegacy takes the seed tokens revoked reversibly.
  NamedTokenStore named(redis_);
  status = named.DeleteAllLegacy(user.id);
  if (!status.ok()) return status;
  return named.DeleteAll(user.id);
}

Status UserStore::ListNames(std::vector<std::string>* names) {
  names->clear();
  Status status = EnsureMigrated();
  if (!status.ok()) return status;
  RedisReply reply;
  status = redis_->Run({"SMEMBERS", UserNamesKey()}, &reply);
  if (!status.ok()) return status;
  for (const RedisReply& element : reply.elements) names->push_back(element.text);
  std::sort(names->begin(), names->end());
  return Status::Ok();
}

Status UserStore::EnsureMigrated() {
  if (migrated_) return Status::Ok();
  size_t adopted = 0;
  Status status = MigrateUserIds(redis_, &adopted);
  migrated_ = status.ok();
  return status;
}

}  // namespace tokend
