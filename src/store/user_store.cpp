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

// A user is two keys in two hash slots (a Redis Cluster runs no script
// across slots): the record, in the user's slot, and the name key, in the
// name's. They are written in an order that keeps one rule: a name key
// that names an id without a record is a user deleted (or being deleted),
// and may be given to a new user. Adding writes the record, then claims
// the name; deleting removes the record, then the name. A record no name
// names (an add that lost a race, or stopped half way) reaches nothing: no
// token was ever made for it, and listing leaves it out.

// KEYS: the new user record. ARGV: name, password hash. Returns 0 when
// the (random) id is taken.
constexpr char kAddRecordScript[] = R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'name', ARGV[1], 'pw', ARGV[2])
return 1
)lua";

// KEYS: the name key. ARGV: the new id, the id the name key must hold now
// ("" for none: a deleted user's id may be replaced). Returns 0 when it
// holds another one (the name was taken meanwhile).
constexpr char kClaimNameScript[] = R"lua(
if (redis.call('GET', KEYS[1]) or '') ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
return 1
)lua";

// KEYS: the user record. ARGV: name. From this step on no token of the
// user authenticates. Returns 0 when the record is not that user's.
constexpr char kDeleteRecordScript[] = R"lua(
if redis.call('HGET', KEYS[1], 'name') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
)lua";

// KEYS: the name key. ARGV: the deleted user's id. Frees the name unless a
// new user has it already.
constexpr char kReleaseNameScript[] = R"lua(
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
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
  std::string former_id;
  status = FindNameHolder(name, &former_id);
  if (!status.ok()) return status;
  std::string user_id;
  // A random id is taken only by a 1 in 2^128 chance; a second draw then.
  for (int attempt = 0; attempt < 3 && user_id.empty(); ++attempt) {
    std::string id = NewRandomId();
    if (id.empty()) return Status(Code::kInternal, "no random bytes for a user id");
    RedisReply added;
    status = redis_->Run(
        {"EVAL", kAddRecordScript, "1", UserKey(id), name, password_hash}, &added);
    if (!status.ok()) return status;
    if (added.integer == 1) user_id = id;
  }
  if (user_id.empty()) return Status(Code::kInternal, "no free user id");
  RedisReply claimed;
  status = redis_->Run({"EVAL", kClaimNameScript, "1", UserNameKey(name),
                        user_id, former_id},
                       &claimed);
  if (!status.ok() || claimed.integer != 1) {
    // Another add took the name first (or we cannot tell): the record
    // goes, so no user is left without a name.
    RedisReply deleted;
    redis_->Run({"DEL", UserKey(user_id)}, &deleted);
    if (!status.ok()) return status;
    return Status(Code::kAlreadyExists, "User \"" + name + "\" already exists.");
  }
  *created = UserRecord{user_id, name, password_hash};
  return Status::Ok();
}

Status UserStore::FindNameHolder(const std::string& name, std::string* former_id) {
  former_id->clear();
  RedisReply id;
  Status status = redis_->Run({"GET", UserNameKey(name)}, &id);
  if (!status.ok() || id.is_nil()) return status;
  UserRecord holder;
  bool found = false;
  if (IsHexId(id.text)) status = FindById(id.text, &holder, &found);
  if (!status.ok()) return status;
  if (found && holder.name == name) {
    return Status(Code::kAlreadyExists, "User \"" + name + "\" already exists.");
  }
  *former_id = id.text;  // a deleted user's: the name is free
  return Status::Ok();
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
  // The user record goes first: from then on no token of theirs
  // authenticates, even one created while the rest is being removed. Then
  // the name, free for a new user with a new id.
  RedisReply reply;
  status = redis_->Run(
      {"EVAL", kDeleteRecordScript, "1", UserKey(user.id), name}, &reply);
  if (!status.ok()) return status;
  if (reply.integer == 0) return NoSuchUser(name);
  status = redis_->Run(
      {"EVAL", kReleaseNameScript, "1", UserNameKey(name), user.id}, &reply);
  if (!status.ok()) return status;
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
  // The index of names kept before Redis Cluster, no longer in step.
  RedisReply reply;
  status = redis_->Run({"DEL", FormerUserNamesKey()}, &reply);
  if (!status.ok()) return status;
  // Every user record, on every primary; a record counts when its name's
  // key names it (see the scripts above).
  status = redis_->ScanKeys(
      "oz:{*}:user", [&](const std::vector<std::string>& keys) {
        std::vector<std::string> ids;
        std::vector<RedisCommand> reads;
        for (const std::string& key : keys) {
          std::string id = UserIdOfKey(key);
          if (id.empty()) continue;
          ids.push_back(id);
          reads.push_back({"HGET", UserKey(id), "name"});
        }
        std::vector<RedisReply> found;
        Status read = redis_->Pipeline(reads, &found);
        if (!read.ok()) return read;
        std::vector<std::string> candidates;
        std::vector<RedisCommand> holders;
        for (size_t i = 0; i < ids.size(); ++i) {
          if (found[i].is_nil()) continue;  // deleted meanwhile
          candidates.push_back(found[i].text);
          holders.push_back({"GET", UserNameKey(found[i].text)});
        }
        std::vector<RedisReply> held;
        read = redis_->Pipeline(holders, &held);
        if (!read.ok()) return read;
        size_t next = 0;
        for (size_t i = 0; i < ids.size(); ++i) {
          if (found[i].is_nil()) continue;
          if (held[next].text == ids[i]) names->push_back(candidates[next]);
          ++next;
        }
        return Status::Ok();
      });
  if (!status.ok()) return status;
  std::sort(names->begin(), names->end());
  // SCAN may give a key twice.
  names->erase(std::unique(names->begin(), names->end()), names->end());
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
