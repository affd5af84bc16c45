// Users in Redis (see user_store.h and store_keys.h).
#include "tokend/store/user_store.h"

#include <algorithm>

#include "tokend/store/store_keys.h"
#include "tokend/store/token_store.h"
#include "tokend/store/write_guard.h"
#include "tokend/token/token_ref.h"

namespace tokend {

namespace {

// KEYS: user record. ARGV: name, password hash, the names set's key (an
// admin-only index outside the user's slot). Returns 0 when the name is
// taken.
constexpr char kAddUserScript[] = R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'name', ARGV[1], 'pw', ARGV[2])
redis.call('SADD', ARGV[3], ARGV[1])
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

// The user record's fields that ReadUser reads back.
RedisCommand UserFieldsCommand(const std::string& user_id) {
  return {"HMGET", UserKey(user_id), "name", "pw"};
}

// Fills `user` from the reply to UserFieldsCommand; false when the user
// does not exist (or is half-made).
bool ReadUser(const std::string& user_id, const RedisReply& fields,
              UserRecord* user) {
  if (fields.elements.size() != 2 || fields.elements[0].is_nil() ||
      fields.elements[1].is_nil()) {
    return false;
  }
  *user = UserRecord{user_id, fields.elements[0].text, fields.elements[1].text};
  return true;
}

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
  std::string user_id = UserIdForName(name);
  RedisReply reply;
  // One script, so a user is never left half-made (a name without a hash).
  Status status = redis_->Run({"EVAL", kAddUserScript, "1", UserKey(user_id),
                               name, password_hash, UserNamesKey()},
                              &reply);
  if (!status.ok()) return status;
  if (reply.integer == 0) {
    return Status(Code::kAlreadyExists, "User \"" + name + "\" already exists.");
  }
  *created = UserRecord{user_id, name, password_hash};
  return Status::Ok();
}

Status UserStore::SetPasswordHash(const std::string& name,
                                  const std::string& hash) {
  UserRecord user;
  Status status = FindExisting(this, name, &user);
  if (!status.ok()) return status;
  RedisReply reply;
  return redis_->Run({"HSET", UserKey(user.id), "pw", hash}, &reply);
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
  *found = false;
  std::vector<RedisReply> replies;
  Status status = redis_->Pipeline(
      {{"EXISTS", TokenRecordKey(user_id, nonce)},
       UserFieldsCommand(user_id)},
      &replies);
  if (!status.ok()) return status;
  *found = replies[0].integer == 1 && ReadUser(user_id, replies[1], user);
  return Status::Ok();
}

Status UserStore::FindByName(const std::string& name, UserRecord* user,
                             bool* found) {
  Status status = FindById(UserIdForName(name), user, found);
  // A different name hashing to the same id is astronomically unlikely, but
  // it must never log in as the other user.
  if (status.ok() && *found && user->name != name) *found = false;
  return status;
}

Status UserStore::Delete(const std::string& name) {
  UserRecord user;
  Status status = FindExisting(this, name, &user);
  if (!status.ok()) return status;
  // The user record goes first: from then on no token of theirs
  // authenticates, even one created while the rest is being removed.
  RedisReply reply;
  status = redis_->Run({"DEL", UserKey(user.id)}, &reply);
  if (!status.ok()) return status;
  RedisReply members;
  status = redis_->Run(TokenStore::ListCommand(user.id), &members);
  if (!status.ok()) return status;
  RedisCommand del = {"DEL", TokenListKey(user.id), TrustedAddressesKey(user.id)};
  for (const RedisReply& member : members.elements) {
    std::string nonce = member.text;  // a bare nonce, from lists before
    int64_t expires_at = 0;
    ParseTokenListMember(member.text, &nonce, &expires_at);
    del.push_back(TokenRecordKey(user.id, nonce));
  }
  status = redis_->Run(del, &reply);
  if (!status.ok()) return status;
  return redis_->Run({"SREM", UserNamesKey(), name}, &reply);
}

Status UserStore::ListNames(std::vector<std::string>* names) {
  names->clear();
  RedisReply reply;
  Status status = redis_->Run({"SMEMBERS", UserNamesKey()}, &reply);
  if (!status.ok()) return status;
  for (const RedisReply& element : reply.elements) names->push_back(element.text);
  std::sort(names->begin(), names->end());
  return Status::Ok();
}

}  // namespace tokend
