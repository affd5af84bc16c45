// Spaces, members and invitations in Redis (see space_store.h).
#include "tokend/store/space_store.h"

#include <algorithm>
#include <cstdlib>

#include "tokend/common/clock.h"
#include "tokend/store/store_keys.h"
#include "tokend/token/token_ref.h"

namespace tokend {

namespace {

// The join, leave and default-space scripts below touch the space's slot
// and the user's in one script, so that the space's members and the user's
// list of spaces change together (a leave racing a join cannot leave them
// unequal). That holds on a single Redis (and its Sentinel replicas); a
// Redis Cluster (issue 15) refuses keys of two slots in one script and will
// need another scheme, such as an ordered two-step with repair.

// KEYS: space, members, invitation, pending invitations, join order, user
// record, user's spaces, user's reservations. ARGV: user id, nonce, space
// id, reservation ("" for none). Returns 1 joined, 0 already a member, -1
// invitation gone (used, expired, never issued, or issued in an ownership
// term that has ended: cancelled, it is deleted), -2 no space (also once
// the last member has left: its invitations may still be on their way
// out). Joined or already a member, the space is in the user's index and,
// when they have none, their default.
constexpr char kJoinScript[] = R"lua(
local function index()
  redis.call('SADD', KEYS[7], ARGV[3])
  redis.call('HSETNX', KEYS[6], 'default', ARGV[3])
  if ARGV[4] ~= '' then redis.call('ZREM', KEYS[8], ARGV[4]) end
end
if redis.call('EXISTS', KEYS[1]) == 0 then return -2 end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then
  index()
  return 0
end
local issued = redis.call('GET', KEYS[3])
if not issued then return -1 end
redis.call('DEL', KEYS[3])
redis.call('ZREM', KEYS[4], ARGV[2])
local term = redis.call('HGET', KEYS[1], 'term')
if term and issued ~= 't' .. term then return -1 end
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[5], redis.call('HINCRBY', KEYS[1], 'joins', 1),
           ARGV[1])
index()
return 1
)lua";

// The same for a named or temporary invitation (issue 14). KEYS: space,
// members, join order, user record, user's spaces, user's reservations,
// then the named invitation's record (NamedTokenRecordKey) or, for a
// temporary one, its creator's generation (TemporaryGenerationKey). ARGV:
// user id, space id, reservation, creator id, "n" named or "t" temporary,
// the temporary token's generation. Returns 1 joined (a named invitation's
// count "k" is one more), 0 already a member (nothing counted), -1 the
// named record is gone (deleted or expired) or is not an invitation to
// this space, -2 no space, -3 revoked (named: "r"; temporary: another
// generation), -4 the usage limit "l" is reached, -5 the creator does not
// own the space. The limit check and the count are one step here, so
// joins at once never admit more than the limit. KEYS[7] is in the
// creator's hash slot, a third one (see above).
constexpr char kJoinWithTokenScript[] = R"lua(
local function index()
  redis.call('SADD', KEYS[5], ARGV[2])
  redis.call('HSETNX', KEYS[4], 'default', ARGV[2])
  if ARGV[3] ~= '' then redis.call('ZREM', KEYS[6], ARGV[3]) end
end
if redis.call('EXISTS', KEYS[1]) == 0 then return -2 end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then
  index()
  return 0
end
if ARGV[5] == 'n' then
  local f = redis.call('HMGET', KEYS[7], 'm', 't', 's', 'r', 'l', 'k')
  if not f[1] or f[2] ~= 'j' or f[3] ~= ARGV[2] then return -1 end
  if f[4] == '1' then return -3 end
  if f[5] and tonumber(f[6] or '0') >= tonumber(f[5]) then return -4 end
else
  if (redis.call('GET', KEYS[7]) or '0') ~= ARGV[6] then return -3 end
end
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[4] then return -5 end
if ARGV[5] == 'n' then redis.call('HINCRBY', KEYS[7], 'k', 1) end
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], redis.call('HINCRBY', KEYS[1], 'joins', 1),
           ARGV[1])
index()
return 1
)lua";

// KEYS: members, space, join order, pending invitations, cancelled
// invitations (a fresh key), user record, user's spaces. ARGV: user id,
// space id. The space leaves the user's index (also when the space side had
// no record of the user, so an index an interrupted call left behind heals
// here). Returns 0 when the user was not a member, 1 when they left, 2 when
// they were the last one: the space is then gone (no join or invitation
// finds it), and the caller deletes its pending invitations in batches, so
// that no script walks all of them. 3 when the owner left: the
// longest-standing member owns the space now, a new ownership term begins
// (the old owner's invitations no longer admit anyone, see the join), and
// the pending invitations, all the old owner's, moved to the cancelled key
// for the caller to delete in batches. Members from before the join order
// was kept (in the set, not in the order) joined before everyone in it:
// they are added to it with 0, the smallest id first among them.
constexpr char kLeaveScript[] = R"lua(
redis.call('SREM', KEYS[7], ARGV[2])
if redis.call('HGET', KEYS[6], 'default') == ARGV[2] then
  redis.call('HDEL', KEYS[6], 'default')
end
if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZREM', KEYS[3], ARGV[1])
if redis.call('SCARD', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[2], KEYS[3])
  return 2
end
if redis.call('HGET', KEYS[2], 'owner') ~= ARGV[1] then return 1 end
if redis.call('ZCARD', KEYS[3]) < redis.call('SCARD', KEYS[1]) then
  local members = redis.call('SMEMBERS', KEYS[1])
  for first = 1, #members, 500 do
    local scored = {}
    for i = first, math.min(first + 499, #members) do
      scored[#scored + 1] = 0
      scored[#scored + 1] = members[i]
    end
    redis.call('ZADD', KEYS[3], 'NX', unpack(scored))
  end
end
local heir = redis.call('ZRANGE', KEYS[3], 0, 0)[1]
redis.call('HSET', KEYS[2], 'owner', heir)
redis.call('HINCRBY', KEYS[2], 'term', 1)
if redis.call('EXISTS', KEYS[4]) == 0 then return 1 end
redis.call('RENAME', KEYS[4], KEYS[5])
return 3
)lua";

// KEYS: members, user record. ARGV: user id, space id. Sets the default
// space only if the user is a member. Returns 1 set, 0 not a member.
constexpr char kSetDefaultScript[] = R"lua(
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], 'default', ARGV[2])
return 1
)lua";

// KEYS: space, pending invitations, invitation. ARGV: nonce, expiry, now,
// limit, issuer. Only the owner issues invitations, checked here so that an
// owner who leaves meanwhile issues none; the record holds the ownership
// term it was issued in ("t<n>", the space's "term", "t0" before the first
// handover), so that a handover cancels it at once. Expired invitations are dropped from the pending set first (as many
// as expired since the last invitation, so at most the limit), then counted
// out. The set lives as long as its longest-lived invitation: NX sets a
// first expiry, GT only extends it. Returns 1 added, 0 at the limit, -1 the
// space is gone, -2 the issuer is not the owner.
constexpr char kInviteScript[] = R"lua(
local owner = redis.call('HGET', KEYS[1], 'owner')
if not owner then return -1 end
if owner ~= ARGV[5] then return -2 end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[3])
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then return 0 end
local term = redis.call('HGET', KEYS[1], 'term') or '0'
redis.call('SET', KEYS[3], 't' .. term, 'EXAT', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('EXPIREAT', KEYS[2], ARGV[2], 'NX')
redis.call('EXPIREAT', KEYS[2], ARGV[2], 'GT')
return 1
)lua";

// KEYS: user's spaces, user's reservations. ARGV: space id, reservation,
// now, deadline, limit. Returns 2 when the space is listed already (nothing
// to reserve), 1 when a place is reserved until the deadline, 0 when the
// spaces listed and the places reserved fill the limit. Lapsed
// reservations are dropped first; the set lives as long as its latest one.
constexpr char kReserveScript[] = R"lua(
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 2 end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[3])
if redis.call('SCARD', KEYS[1]) + redis.call('ZCARD', KEYS[2]) >=
   tonumber(ARGV[5]) then
  return 0
end
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[2])
redis.call('EXPIREAT', KEYS[2], ARGV[4], 'NX')
redis.call('EXPIREAT', KEYS[2], ARGV[4], 'GT')
return 1
)lua";

Status TooManySpaces(int max_spaces) {
  return Status(Code::kForbidden,
                "You are a member of the most spaces allowed (" +
                    std::to_string(max_spaces) + "); leave one first.")
      .AddNumberDetail("limit", max_spaces);
}

}  // namespace

Status SpaceStore::ReservePlace(const std::string& user_id,
                                const std::string& space_id, int max_spaces,
                                std::string* reservation) {
  reservation->clear();
  std::string id = NewRandomId();
  if (id.empty()) return Status(Code::kInternal, "random generator failed");
  const int64_t now = NowSeconds();
  RedisReply reply;
  Status status = redis_->Run(
      {"EVAL", kReserveScript, "2", UserSpacesKey(user_id),
       UserSpaceReservationsKey(user_id), space_id, id, std::to_string(now),
       std::to_string(now + kPlaceReservationSeconds),
       std::to_string(max_spaces)},
      &reply);
  if (!status.ok()) return status;
  if (reply.integer == 0) return TooManySpaces(max_spaces);
  if (reply.integer == 1) *reservation = std::move(id);
  return Status::Ok();
}

void SpaceStore::ReleasePlace(const std::string& user_id,
                              const std::string& reservation) {
  if (reservation.empty()) return;
  RedisReply reply;
  redis_->Run({"ZREM", UserSpaceReservationsKey(user_id), reservation}, &reply);
}

Status SpaceStore::IndexMembership(const std::string& user_id,
                                   const std::string& space_id,
                                   const std::string& reservation) {
  std::vector<RedisCommand> commands = {
      {"SADD", UserSpacesKey(user_id), space_id},
      {"HSETNX", UserKey(user_id), "default", space_id}};
  if (!reservation.empty()) {
    commands.push_back(
        {"ZREM", UserSpaceReservationsKey(user_id), reservation});
  }
  std::vector<RedisReply> replies;
  return redis_->Transaction(commands, &replies);
}

Status SpaceStore::Create(const std::string& owner, const std::string& name,
                          int max_spaces, std::string* space_id) {
  *space_id = NewRandomId();
  if (space_id->empty()) return Status(Code::kInternal, "random generator failed");
  std::string reservation;
  Status status = ReservePlace(owner, *space_id, max_spaces, &reservation);
  if (!status.ok()) return status;
  std::vector<RedisReply> replies;
  status = redis_->Transaction(
      {{"HSET", SpaceKey(*space_id), "name", name, "owner", owner, "joins",
        "1"},
       {"SADD", SpaceMembersKey(*space_id), owner},
       {"ZADD", SpaceJoinOrderKey(*space_id), "1", owner}},
      &replies);
  if (!status.ok()) {
    ReleasePlace(owner, reservation);
    return status;
  }
  return IndexMembership(owner, *space_id, reservation);
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

Status SpaceStore::CheckInviter(const std::string& space_id,
                                const std::string& user_id) {
  SpaceRecord space;
  bool found = false;
  Status status = GetForMember(space_id, user_id, &space, &found);
  if (!status.ok()) return status;
  if (!found) return Status(Code::kNotFound, "The space could not be found.");
  if (space.owner != user_id) {
    return Status(Code::kForbidden,
                  "Only the owner of a space may invite users to it.");
  }
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

Status SpaceStore::InvitationPending(const std::string& space_id,
                                     const std::string& nonce, bool* pending) {
  RedisReply reply;
  Status status =
      redis_->Run({"EXISTS", InvitationKey(space_id, nonce)}, &reply);
  *pending = status.ok() && reply.integer == 1;
  return status;
}

Status SpaceStore::SetDefaultSpace(const std::string& user_id,
                                   const std::string& space_id) {
  // The space's members are the truth, and the check and the write are one
  // step, so that a leave cannot come between them.
  RedisReply reply;
  Status status = redis_->Run({"EVAL", kSetDefaultScript, "2",
                               SpaceMembersKey(space_id), UserKey(user_id),
                               user_id, space_id},
                              &reply);
  if (!status.ok()) return status;
  if (reply.integer != 1) {
    return Status(Code::kNotFound, "You are not a member of that space.");
  }
  return Status::Ok();
}

Status SpaceStore::Leave(const std::string& user_id, const std::string& space_id,
                         bool* left) {
  // Where a handover moves the pending invitations: a key of its own, so
  // that two handovers in a row do not mix theirs.
  const std::string cancelled = CancelledInvitationsKey(space_id, NewRandomId());
  RedisReply reply;
  Status status = redis_->Run(
      {"EVAL", kLeaveScript, "7", SpaceMembersKey(space_id), SpaceKey(space_id),
       SpaceJoinOrderKey(space_id), SpacePendingInvitationsKey(space_id),
       cancelled, UserKey(user_id), UserSpacesKey(user_id), user_id, space_id},
      &reply);
  if (!status.ok()) return status;
  *left = reply.integer >= 1;
  // Best effort: the user has left either way, and what a failure leaves
  // can no longer be used (the space is gone, or the invitations' term has
  // ended) and expires by itself.
  const std::string batch = std::to_string(kInvitationDeleteBatch);
  if (reply.integer == 2) {
    // ZPOPMIN answers member, score, member, score...; SPOP (the former
    // set) members only.
    DeleteListedInvitations(
        space_id, {"ZPOPMIN", SpacePendingInvitationsKey(space_id), batch}, 2);
    DeleteListedInvitations(
        space_id, {"SPOP", FormerSpaceInvitationsKey(space_id), batch}, 1);
  } else if (reply.integer == 3) {
    DeleteListedInvitations(space_id, {"ZPOPMIN", cancelled, batch}, 2);
  }
  return Status::Ok();
}

Status SpaceStore::DeleteListedInvitations(const std::string& space_id,
                                           const RedisCommand& pop,
                                           size_t stride) {
  // Nothing adds to the list popped from (the space is gone, or the list
  // was moved aside), so the loop ends.
  for (;;) {
    RedisReply popped;
    Status status = redis_->Run(pop, &popped);
    if (!status.ok()) return status;
    if (popped.elements.empty()) return Status::Ok();
    RedisCommand del = {"DEL"};
    for (size_t i = 0; i < popped.elements.size(); i += stride) {
      del.push_back(InvitationKey(space_id, popped.elements[i].text));
    }
    RedisReply deleted;
    status = redis_->Run(del, &deleted);
    if (!status.ok()) return status;
  }
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
                                 const std::string& issuer,
                                 const std::string& nonce, int64_t expires_at,
                                 int max_pending) {
  RedisReply reply;
  Status status = redis_->Run(
      {"EVAL", kInviteScript, "3", SpaceKey(space_id),
       SpacePendingInvitationsKey(space_id), InvitationKey(space_id, nonce),
       nonce, std::to_string(expires_at), std::to_string(NowSeconds()),
       std::to_string(max_pending), issuer},
      &reply);
  if (!status.ok()) return status;
  if (reply.integer == -1) {
    return Status(Code::kNotFound, "The space could not be found.");
  }
  if (reply.integer == -2) {
    return Status(Code::kForbidden,
                  "Only the owner of a space may invite users to it.");
  }
  if (reply.integer == 0) {
    return Status(Code::kForbidden,
                  "This space has the most pending invitations allowed (" +
                      std::to_string(max_pending) +
                      "); more can be issued as these are used or expire.")
        .AddNumberDetail("limit", max_pending);
  }
  return Status::Ok();
}

Status SpaceStore::Join(const std::string& user_id, const std::string& space_id,
                        const std::string& nonce, int max_spaces,
                        JoinResult* result) {
  std::string reservation;
  Status status = ReservePlace(user_id, space_id, max_spaces, &reservation);
  if (!status.ok()) return status;
  RedisReply reply;
  status = redis_->Run(
      {"EVAL", kJoinScript, "8", SpaceKey(space_id), SpaceMembersKey(space_id),
       InvitationKey(space_id, nonce), SpacePendingInvitationsKey(space_id),
       SpaceJoinOrderKey(space_id), UserKey(user_id), UserSpacesKey(user_id),
       UserSpaceReservationsKey(user_id), user_id, nonce, space_id,
       reservation},
      &reply);
  if (!status.ok()) {
    ReleasePlace(user_id, reservation);
    return status;
  }
  switch (reply.integer) {
    case 1: *result = JoinResult::kJoined; break;
    case 0: *result = JoinResult::kAlreadyMember; break;
    case -1: *result = JoinResult::kInvitationGone; break;
    default: *result = JoinResult::kNoSuchSpace; break;
  }
  // Joined or already a member, the script indexed the space (repairing an
  // index an interrupted call left behind) and used the place up.
  if (*result == JoinResult::kInvitationGone ||
      *result == JoinResult::kNoSuchSpace) {
    ReleasePlace(user_id, reservation);
  }
  return Status::Ok();
}

Status SpaceStore::JoinWithInvitationToken(const std::string& user_id,
                                           const std::string& space_id,
                                           const InvitationToken& invitation,
                                           int max_spaces, JoinResult* result) {
  std::string reservation;
  Status status = ReservePlace(user_id, space_id, max_spaces, &reservation);
  if (!status.ok()) return status;
  const std::string token_key =
      invitation.temporary
          ? TemporaryGenerationKey(invitation.creator_id)
          : NamedTokenRecordKey(invitation.creator_id, invitation.token_id);
  RedisReply reply;
  status = redis_->Run(
      {"EVAL", kJoinWithTokenScript, "7", SpaceKey(space_id),
       SpaceMembersKey(space_id), SpaceJoinOrderKey(space_id), UserKey(user_id),
       UserSpacesKey(user_id), UserSpaceReservationsKey(user_id), token_key,
       user_id, space_id, reservation, invitation.creator_id,
       invitation.temporary ? "t" : "n",
       std::to_string(invitation.generation)},
      &reply);
  if (!status.ok()) {
    ReleasePlace(user_id, reservation);
    return status;
  }
  switch (reply.integer) {
    case 1: *result = JoinResult::kJoined; break;
    case 0: *result = JoinResult::kAlreadyMember; break;
    case -1: *result = JoinResult::kInvitationGone; break;
    case -3: *result = JoinResult::kInvitationRevoked; break;
    case -4: *result = JoinResult::kUsageLimitReached; break;
    case -5: *result = JoinResult::kIssuerNotOwner; break;
    default: *result = JoinResult::kNoSuchSpace; break;
  }
  if (*result != JoinResult::kJoined &&
      *result != JoinResult::kAlreadyMember) {
    ReleasePlace(user_id, reservation);
  }
  return Status::Ok();
}

}  // namespace tokend
