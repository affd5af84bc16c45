// Spaces, members and invitations in Redis (see space_store.h).
#include "tokend/store/space_store.h"

#include <algorithm>
#include <cstdlib>

#include "tokend/store/store_keys.h"
#include "tokend/token/token_ref.h"

namespace tokend {

namespace {

// KEYS: space, members, invitation, invitations set. ARGV: user id, nonce.
// Returns 1 joined, 0 already a member, -1 invitation gone, -2 no space.
constexpr char kJoinScript[] = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return -2 end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then return 0 end
if redis.call('DEL', KEYS[3]) == 0 then return -1 end
redis.call('SREM', KEYS[4], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
return 1
)lua";

// KEYS: members, space, invitations set. ARGV: user id, the invitation
// keys' prefix (same hash slot). Returns 1 when the user left, 0 when they
// were not a member; the last one out deletes the space and every
// invitation still pending for it.
constexpr char kLeaveScript[] = R"lua(
if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then return 0 end
if redis.call('SCARD', KEYS[1]) == 0 then
  for _, nonce in ipairs(redis.call('SMEMBERS', KEYS[3])) do
    redis.call('DEL', ARGV[2] .. nonce)
  end
  redis.call('DEL', KEYS[2], KEYS[3])
end
return 1
)lua";

// KEYS: user record, user's spaces. ARGV: space id. Drops the space from the
// user's index, and as default space only if it is the default.
constexpr char kUnindexScript[] = R"lua(
redis.call('SREM', KEYS[2], ARGV[1])
if redis.call('HGET', KEYS[1], 'default') == ARGV[1] then
  redis.call('HDEL', KEYS[1], 'default')
end
return 1
)lua";

}  // namespace

Status SpaceStore::IndexMembership(const std::string& user_id,
                                   const std::string& space_id) {
  std::vector<RedisReply> replies;
  return redis_->Transaction({{"SADD", UserSpacesKey(user_id), space_id},
                              {"HSETNX", UserKey(user_id), "default", space_id}},
                             &replies);
}

Status SpaceStore::Create(const std::string& owner, const std::string& name,
                          std::string* space_id) {
  *space_id = NewRandomId();
  if (space_id->empty()) return Status(Code::kInternal, "random generator failed");
  std::vector<RedisReply> replies;
  Status status = redis_->Transaction(
      {{"HSET", SpaceKey(*space_id), "name", name, "owner", owner},
       {"SADD", SpaceMembersKey(*space_id), owner}},
      &replies);
  if (!status.ok()) return status;
  return IndexMembership(owner, *space_id);
}

Status SpaceStore::GetForMember(const std::string& space_id,
                                const std::string& user_id, SpaceRecord* space,
                                bool* found) {
  *found = false;
  std::vector<RedisReply> replies;
  Status status = redis_->Pipeline(
      {{"SISMEMBER", SpaceMembersKey(space_id), user_id},
       {"HMGET", SpaceKey(space_id), "name", "owner"},
       {"SCARD", SpaceMembersKey(space_id)}},
      &replies);
  if (!status.ok()) return status;
  const RedisReply& fields = replies[1];
  if (replies[0].integer != 1 || fields.elements.size() != 2 ||
      fields.elements[0].is_nil()) {
    return Status::Ok();
  }
  *space = SpaceRecord{space_id, fields.elements[0].text,
                       fields.elements[1].text, replies[2].integer};
  *found = true;
  return Status::Ok();
}

Status SpaceStore::MembersForMember(const std::string& space_id,
                                    const std::string& user_id,
                                    std::vector<std::string>* members,
                                    bool* found) {
  members->clear();
  *found = false;
  RedisReply reply;
  Status status = redis_->Run({"SMEMBERS", SpaceMembersKey(space_id)}, &reply);
  if (!status.ok()) return status;
  for (const RedisReply& member : reply.elements) {
    members->push_back(member.text);
    if (member.text == user_id) *found = true;
  }
  if (!*found) members->clear();
  std::sort(members->begin(), members->end());
  return Status::Ok();
}

Status SpaceStore::UserSpaces(const std::string& user_id,
                              std::vector<std::string>* ids,
                              std::string* default_space) {
  ids->clear();
  default_space->clear();
  std::vector<RedisReply> replies;
  Status status = redis_->Pipeline({{"SMEMBERS", UserSpacesKey(user_id)},
                                    {"HGET", UserKey(user_id), "default"}},
                                   &replies);
  if (!status.ok()) return status;
  for (const RedisReply& id : replies[0].elements) ids->push_back(id.text);
  std::sort(ids->begin(), ids->end());
  if (!replies[1].is_nil()) *default_space = replies[1].text;
  return Status::Ok();
}

Status SpaceStore::DefaultSpace(const std::string& user_id,
                                std::string* space_id) {
  RedisReply reply;
  Status status = redis_->Run({"HGET", UserKey(user_id), "default"}, &reply);
  space_id->clear();
  if (status.ok() && !reply.is_nil()) *space_id = reply.text;
  return status;
}

Status SpaceStore::SetDefaultSpace(const std::string& user_id,
                                   const std::string& space_id) {
  RedisReply reply;
  Status status = redis_->Run({"SISMEMBER", UserSpacesKey(user_id), space_id},
                              &reply);
  if (!status.ok()) return status;
  if (reply.integer != 1) {
    return Status(Code::kNotFound, "You are not a member of that space.");
  }
  return redis_->Run({"HSET", UserKey(user_id), "default", space_id}, &reply);
}

Status SpaceStore::Leave(const std::string& user_id, const std::string& space_id,
                         bool* left) {
  RedisReply reply;
  Status status = redis_->Run({"EVAL", kLeaveScript, "3",
                               SpaceMembersKey(space_id), SpaceKey(space_id),
                               SpaceInvitationsKey(space_id), user_id,
                               InvitationKey(space_id, "")},
                              &reply);
  if (!status.ok()) return status;
  *left = reply.integer == 1;
  // The index is cleaned up even when the space side had no record of the
  // user, so an index left behind by an interrupted call heals here.
  return redis_->Run({"EVAL", kUnindexScript, "2", UserKey(user_id),
                      UserSpacesKey(user_id), space_id},
                     &reply);
}

Status SpaceStore::LeaveAll(const std::string& user_id) {
  RedisReply spaces;
  Status status = redis_->Run({"SMEMBERS", UserSpacesKey(user_id)}, &spaces);
  if (!status.ok()) return status;
  for (const RedisReply& space : spaces.elements) {
    bool left = false;
    status = Leave(user_id, space.text, &left);
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

Status SpaceStore::AddInvitation(const std::string& space_id,
                                 const std::string& nonce, int64_t expires_at) {
  std::string expiry = std::to_string(expires_at);
  std::string pending = SpaceInvitationsKey(space_id);
  std::vector<RedisReply> replies;
  // The set of pending nonces lives as long as its longest-lived
  // invitation: NX sets a first expiry, GT only extends it.
  return redis_->Transaction(
      {{"SET", InvitationKey(space_id, nonce), expiry, "EXAT", expiry},
       {"SADD", pending, nonce},
       {"EXPIREAT", pending, expiry, "NX"},
       {"EXPIREAT", pending, expiry, "GT"}},
      &replies);
}

Status SpaceStore::Join(const std::string& user_id, const std::string& space_id,
                        const std::string& nonce, JoinResult* result) {
  RedisReply reply;
  Status status = redis_->Run(
      {"EVAL", kJoinScript, "4", SpaceKey(space_id), SpaceMembersKey(space_id),
       InvitationKey(space_id, nonce), SpaceInvitationsKey(space_id), user_id,
       nonce},
      &reply);
  if (!status.ok()) return status;
  switch (reply.integer) {
    case 1: *result = JoinResult::kJoined; break;
    case 0: *result = JoinResult::kAlreadyMember; break;
    case -1: *result = JoinResult::kInvitationGone; break;
    default: *result = JoinResult::kNoSuchSpace; break;
  }
  if (*result == JoinResult::kJoined || *result == JoinResult::kAlreadyMember) {
    // Also for "already a member": repairs an index that a failed call
    // left behind.
    return IndexMembership(user_id, space_id);
  }
  return Status::Ok();
}

}  // namespace tokend
