// Spaces, members and invitations in Redis (see space_store.h).
#include "tokend/store/space_store.h"

#include <algorithm>
#include <cstdlib>

#include "tokend/common/clock.h"
#include "tokend/store/store_keys.h"
#include "tokend/token/token_ref.h"

namespace tokend {

namespace {

// Redis Cluster (issue 15) runs a script or a MULTI/EXEC only when all its
// keys hash to one slot, so each one here keeps to one: the space's or the
// user's. What spans both is done in ordered steps (space_store.h).
// Every script starts with "#!lua": Redis then refuses, on a cluster node,
// a script that reaches a key outside the slot of its declared keys even
// when that node holds both slots, as the unit tests' node does (without
// it Redis lets that pass). The price: such a script is refused as a
// whole while Redis is past its maxmemory, not only at a write that needs
// memory.

// KEYS: space, members, invitation, pending invitations, join order. ARGV:
// user id, nonce. Returns 1 joined, 0 already a member, -1 invitation gone
// (used, expired, never issued, or issued in an ownership term that has
// ended: cancelled, it is deleted), -2 no space (also once the last member
// has left: its invitations may still be on their way out).
constexpr char kJoinScript[] = R"lua(#!lua
if redis.call('EXISTS', KEYS[1]) == 0 then return -2 end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then return 0 end
local issued = redis.call('GET', KEYS[3])
if not issued then return -1 end
redis.call('DEL', KEYS[3])
redis.call('ZREM', KEYS[4], ARGV[2])
local term = redis.call('HGET', KEYS[1], 'term')
if term and issued ~= 't' .. term then return -1 end
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[5], redis.call('HINCRBY', KEYS[1], 'joins', 1),
           ARGV[1])
return 1
)lua";

// The same for a named or temporary invitation (issue 14), whose record is
// in its creator's slot: ReadInvitation reads it first. KEYS: space,
// members, join order, uses, use expiries. ARGV: user id, creator id, the
// read's verdict (0, -1 or -3), a named invitation's id ("" for a
// temporary one), its usage limit (0: none), the uses its record counted
// ("k", from before the space counted them), its expiry (0: none), now,
// the expiry before which uses are dropped. Returns 1 joined (a named
// invitation's use counted), 0 already a member (nothing counted), -1 gone
// (the read found no invitation to this space, or it has expired since),
// -2 no space, -3 revoked (named: "r"; temporary: another generation), -4
// the usage limit is reached, -5 the creator does not own the space. The
// limit check and the count are one step, so joins at once never admit
// more than the limit. Uses of invitations long expired are dropped as met
// (at most 1000 a join): kUseExpiryMarginSeconds after its expiry, no
// worker whose clock is that close takes the invitation any more.
constexpr char kJoinWithTokenScript[] = R"lua(#!lua
if redis.call('EXISTS', KEYS[1]) == 0 then return -2 end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then return 0 end
if ARGV[3] ~= '0' then return tonumber(ARGV[3]) end
local named = ARGV[4] ~= ''
local expiry = tonumber(ARGV[7])
local used = 0
if named then
  if expiry ~= 0 and expiry <= tonumber(ARGV[8]) then return -1 end
  local expired = redis.call('ZRANGE', KEYS[5], '-inf', ARGV[9], 'BYSCORE',
                             'LIMIT', 0, 1000)
  if #expired > 0 then
    redis.call('HDEL', KEYS[4], unpack(expired))
    redis.call('ZREM', KEYS[5], unpack(expired))
  end
  used = math.max(tonumber(redis.call('HGET', KEYS[4], ARGV[4]) or '0'),
                  tonumber(ARGV[6]))
  if ARGV[5] ~= '0' and used >= tonumber(ARGV[5]) then return -4 end
end
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[2] then return -5 end
if named then
  redis.call('HSET', KEYS[4], ARGV[4], used + 1)
  if expiry ~= 0 then redis.call('ZADD', KEYS[5], expiry, ARGV[4]) end
end
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], redis.call('HINCRBY', KEYS[1], 'joins', 1),
           ARGV[1])
return 1
)lua";

// KEYS: members, space, join order, pending invitations, cancelled
// invitations (a fresh key), uses, use expiries. ARGV: user id. The space
// side only: the caller unlists the space from the user's index next.
// Returns 0 when the user was not a member, 1 when they left, 2 when they
// were the last one: the space is then gone (no join or invitation finds
// it), and the caller deletes its pending invitations in batches, so that
// no script walks all of them. 3 when the owner left: the
// longest-standing member owns the space now, a new ownership term begins
// (the old owner's invitations no longer admit anyone, see the join), and
// the pending invitations, all the old owner's, moved to the cancelled key
// for the caller to delete in batches. Members from before the join order
// was kept (in the set, not in the order) joined before everyone in it:
// they are added to it with 0, the smallest id first among them.
constexpr char kLeaveScript[] = R"lua(#!lua
if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZREM', KEYS[3], ARGV[1])
if redis.call('SCARD', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[2], KEYS[3], KEYS[6], KEYS[7])
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

// KEYS: user's spaces, user record. ARGV: space id. Sets the default only
// to a space the index lists: the caller asked the space first, and a leave
// since then has unlisted it (or will, default and all). Returns 1 set, 0
// not listed.
constexpr char kSetDefaultScript[] = R"lua(#!lua
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], 'default', ARGV[1])
return 1
)lua";

// KEYS: user's spaces, user's reservations, user record. ARGV: how many
// spaces to unlist, how many to list, those spaces, then the reservations
// to give back. Unlisting a space drops it as the default too; listing one
// makes it the default when there is none. Returns the default afterwards.
constexpr char kIndexScript[] = R"lua(#!lua
local unlist, list = tonumber(ARGV[1]), tonumber(ARGV[2])
local first_list, first_release = 3 + unlist, 3 + unlist + list
for i = 3, first_list - 1 do
  redis.call('SREM', KEYS[1], ARGV[i])
  if redis.call('HGET', KEYS[3], 'default') == ARGV[i] then
    redis.call('HDEL', KEYS[3], 'default')
  end
end
for i = first_list, first_release - 1 do
  redis.call('SADD', KEYS[1], ARGV[i])
  redis.call('HSETNX', KEYS[3], 'default', ARGV[i])
end
for i = first_release, #ARGV do redis.call('ZREM', KEYS[2], ARGV[i]) end
return redis.call('HGET', KEYS[3], 'default')
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
constexpr char kInviteScript[] = R"lua(#!lua
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
// deadline, limit. Returns 2 when the space is listed already (nothing to
// hold), 1 when a place is held until the deadline, 0 when the spaces
// listed and the places held fill the limit: lapsed places count until a
// repair has asked their spaces (one may be a join whose index step never
// ran), so the caller repairs the index and asks once more. The set keeps
// no expiry (sets from before had one).
constexpr char kReserveScript[] = R"lua(#!lua
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 2 end
if redis.call('SCARD', KEYS[1]) + redis.call('ZCARD', KEYS[2]) >=
   tonumber(ARGV[4]) then
  return 0
end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
redis.call('PERSIST', KEYS[2])
return 1
)lua";

// ReadInvitation's verdicts: the join script's codes for them.
constexpr int kGoneVerdict = -1;
constexpr int kRevokedVerdict = -3;

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
  const std::string random_id = NewRandomId();
  if (random_id.empty()) {
    return Status(Code::kInternal, "random generator failed");
  }
  const std::string place = SpaceReservation(space_id, random_id);
  const RedisCommand reserve = {
      "EVAL", kReserveScript, "2", UserSpacesKey(user_id),
      UserSpaceReservationsKey(user_id), space_id, place,
      std::to_string(NowSeconds() + kPlaceReservationSeconds),
      std::to_string(max_spaces)};
  RedisReply reply;
  Status status = redis_->Run(reserve, &reply);
  if (status.ok() && reply.integer == 0) {
    // Full, or so it seems: the index may be ahead (spaces left) or hold
    // lapsed places. Once repaired, it is the truth.
    std::vector<std::string> ids;
    std::string default_space;
    status = RepairIndex(user_id, &ids, &default_space);
    if (status.ok()) status = redis_->Run(reserve, &reply);
  }
  if (!status.ok()) return status;
  if (reply.integer == 0) return TooManySpaces(max_spaces);
  if (reply.integer == 1) *reservation = place;
  return Status::Ok();
}

void SpaceStore::ReleasePlace(const std::string& user_id,
                              const std::string& reservation) {
  if (reservation.empty()) return;
  RedisReply reply;
  redis_->Run({"ZREM", UserSpaceReservationsKey(user_id), reservation}, &reply);
}

void SpaceStore::IndexMembership(const std::string& user_id,
                                 const std::string& space_id,
                                 const std::string& reservation) {
  IndexChange change;
  change.list = {space_id};
  if (!reservation.empty()) change.release = {reservation};
  ChangeIndex(user_id, change);
}

Status SpaceStore::ChangeIndex(const std::string& user_id,
                               const IndexChange& change,
                               std::string* default_space,
                               std::vector<std::string>* relisted) {
  RedisCommand command = {"EVAL",
                          kIndexScript,
                          "3",
                          UserSpacesKey(user_id),
                          UserSpaceReservationsKey(user_id),
                          UserKey(user_id),
                          std::to_string(change.unlist.size()),
                          std::to_string(change.list.size())};
  for (const auto* ids : {&change.unlist, &change.list, &change.release}) {
    command.insert(command.end(), ids->begin(), ids->end());
  }
  RedisReply reply;
  Status status = redis_->Run(command, &reply);
  if (!status.ok()) return status;
  if (default_space != nullptr) *default_space = reply.text;
  if (change.unlist.empty()) return Status::Ok();
  // A join may have finished between the caller's look at a space and the
  // unlisting; asked after it, the space tells.
  IndexChange relist;
  status = SpacesListing(user_id, change.unlist, &relist.list);
  if (!status.ok() || relist.list.empty()) return status;
  if (relisted != nullptr) *relisted = relist.list;
  return ChangeIndex(user_id, relist, default_space);
}

Status SpaceStore::SpacesListing(const std::string& user_id,
                                 const std::vector<std::string>& space_ids,
                                 std::vector<std::string>* listing) {
  listing->clear();
  if (space_ids.empty()) return Status::Ok();
  std::vector<RedisCommand> asks;
  for (const std::string& id : space_ids) {
    asks.push_back({"SISMEMBER", SpaceMembersKey(id), user_id});
  }
  std::vector<RedisReply> replies;
  Status status = redis_->Pipeline(asks, &replies);
  if (!status.ok()) return status;
  for (size_t i = 0; i < space_ids.size(); ++i) {
    if (replies[i].integer == 1) listing->push_back(space_ids[i]);
  }
  return Status::Ok();
}

Status SpaceStore::RepairIndex(const std::string& user_id,
                               std::vector<std::string>* ids,
                               std::string* default_space) {
  ids->clear();
  default_space->clear();
  std::vector<RedisReply> index;
  Status status = redis_->Transaction(
      {{"SMEMBERS", UserSpacesKey(user_id)},
       {"HGET", UserKey(user_id), "default"},
       {"ZRANGE", UserSpaceReservationsKey(user_id), "0", "-1", "WITHSCORES"}},
      &index);
  if (!status.ok()) return status;
  const std::vector<RedisReply>& places = index[2].elements;
  std::vector<std::string> named;
  for (const RedisReply& id : index[0].elements) named.push_back(id.text);
  if (!index[1].is_nil()) named.push_back(index[1].text);
  for (size_t i = 0; i + 1 < places.size(); i += 2) {
    const std::string space_id = ReservedSpace(places[i].text);
    if (!space_id.empty()) named.push_back(space_id);
  }
  std::sort(named.begin(), named.end());
  named.erase(std::unique(named.begin(), named.end()), named.end());
  status = SpacesListing(user_id, named, ids);
  if (!status.ok()) return status;
  const auto is_member = [&](const std::string& id) {
    return std::binary_search(ids->begin(), ids->end(), id);
  };

  IndexChange change;
  for (const RedisReply& id : index[0].elements) {
    if (!is_member(id.text)) change.unlist.push_back(id.text);
  }
  if (!index[1].is_nil()) {
    // The default is one of the listed spaces; if not, it goes or is listed.
    *default_space = index[1].text;
    const bool listed = std::any_of(
        index[0].elements.begin(), index[0].elements.end(),
        [&](const RedisReply& id) { return id.text == *default_space; });
    if (!listed) {
      (is_member(*default_space) ? change.list : change.unlist)
          .push_back(*default_space);
    }
  }
  const int64_t now = NowSeconds();
  for (size_t i = 0; i + 1 < places.size(); i += 2) {
    const std::string space_id = ReservedSpace(places[i].text);
    int64_t deadline = 0;
    ParseDecimal(places[i + 1].text, &deadline);
    if (is_member(space_id)) {
      // A join or create whose index step is still to come, or never came.
      change.list.push_back(space_id);
      change.release.push_back(places[i].text);
    } else if (deadline <= now) {
      change.release.push_back(places[i].text);
    }
  }
  if (change.empty()) return Status::Ok();
  std::vector<std::string> relisted;
  status = ChangeIndex(user_id, change, default_space, &relisted);
  if (!status.ok()) return status;
  ids->insert(ids->end(), relisted.begin(), relisted.end());
  std::sort(ids->begin(), ids->end());
  ids->erase(std::unique(ids->begin(), ids->end()), ids->end());
  return Status::Ok();
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
  IndexMembership(owner, *space_id, reservation);
  return Status::Ok();
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
  return RepairIndex(user_id, ids, default_space);
}

Status SpaceStore::DefaultSpace(const std::string& user_id,
                                std::string* space_id) {
  space_id->clear();
  RedisReply reply;
  Status status = redis_->Run({"HGET", UserKey(user_id), "default"}, &reply);
  if (!status.ok() || reply.is_nil()) return status;
  std::vector<std::string> listing;
  status = SpacesListing(user_id, {reply.text}, &listing);
  if (!status.ok()) return status;
  if (!listing.empty()) {
    *space_id = reply.text;
    return Status::Ok();
  }
  std::vector<std::string> ids;
  return RepairIndex(user_id, &ids, space_id);
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
  const Status not_member(Code::kNotFound, "You are not a member of that space.");
  // The space's members are the truth; the write then takes only a space
  // the index lists, so a leave in between (which unlists it, default and
  // all, after the space side) cannot leave it the default.
  std::vector<std::string> listing;
  Status status = SpacesListing(user_id, {space_id}, &listing);
  if (!status.ok()) return status;
  if (listing.empty()) return not_member;
  const RedisCommand set = {"EVAL", kSetDefaultScript, "2",
                            UserSpacesKey(user_id), UserKey(user_id), space_id};
  RedisReply reply;
  status = redis_->Run(set, &reply);
  if (status.ok() && reply.integer != 1) {
    // A member the index does not list yet (a join's index step still to
    // come, or never come): repaired, it does.
    std::vector<std::string> ids;
    std::string default_space;
    status = RepairIndex(user_id, &ids, &default_space);
    if (status.ok()) status = redis_->Run(set, &reply);
  }
  if (!status.ok()) return status;
  return reply.integer == 1 ? Status::Ok() : not_member;
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
       cancelled, SpaceInvitationUsesKey(space_id),
       SpaceInvitationUseExpiriesKey(space_id), user_id},
      &reply);
  if (!status.ok()) return status;
  *left = reply.integer >= 1;
  // Best effort from here: the user has left either way. The index follows
  // (also when the space had no record of the user, so an index an
  // interrupted call left behind heals here), and what a failure leaves of
  // it a repair finds. What a failure leaves of the invitations can no
  // longer be used (the space is gone, or their term has ended) and
  // expires by itself.
  IndexChange unlist;
  unlist.unlist = {space_id};
  ChangeIndex(user_id, unlist);
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
  // The spaces listed, and those places are held for: a join whose index
  // step never ran has made the user a member all the same.
  std::vector<RedisReply> index;
  Status status = redis_->Transaction(
      {{"SMEMBERS", UserSpacesKey(user_id)},
       {"ZRANGE", UserSpaceReservationsKey(user_id), "0", "-1"}},
      &index);
  if (!status.ok()) return status;
  std::vector<std::string> space_ids;
  for (const RedisReply& id : index[0].elements) space_ids.push_back(id.text);
  for (const RedisReply& place : index[1].elements) {
    const std::string space_id = ReservedSpace(place.text);
    if (!space_id.empty()) space_ids.push_back(space_id);
  }
  std::sort(space_ids.begin(), space_ids.end());
  space_ids.erase(std::unique(space_ids.begin(), space_ids.end()),
                  space_ids.end());
  for (const std::string& space_id : space_ids) {
    bool left = false;
    status = Leave(user_id, space_id, &left);
    if (!status.ok()) return status;
  }
  RedisReply reply;
  return redis_->Run({"DEL", UserSpaceReservationsKey(user_id)}, &reply);
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
      {"EVAL", kJoinScript, "5", SpaceKey(space_id), SpaceMembersKey(space_id),
       InvitationKey(space_id, nonce), SpacePendingInvitationsKey(space_id),
       SpaceJoinOrderKey(space_id), user_id, nonce},
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
  FinishJoin(user_id, space_id, reservation, *result);
  return Status::Ok();
}

Status SpaceStore::JoinWithInvitationToken(const std::string& user_id,
                                           const std::string& space_id,
                                           const InvitationToken& invitation,
                                           int max_spaces, JoinResult* result) {
  std::string reservation;
  Status status = ReservePlace(user_id, space_id, max_spaces, &reservation);
  if (!status.ok()) return status;
  InvitationState state;
  status = ReadInvitation(space_id, invitation, &state);
  const int64_t now = NowSeconds();
  RedisReply reply;
  if (status.ok()) {
    status = redis_->Run(
        {"EVAL", kJoinWithTokenScript, "5", SpaceKey(space_id),
         SpaceMembersKey(space_id), SpaceJoinOrderKey(space_id),
         SpaceInvitationUsesKey(space_id),
         SpaceInvitationUseExpiriesKey(space_id), user_id,
         invitation.creator_id, std::to_string(state.verdict),
         invitation.temporary ? "" : invitation.token_id,
         std::to_string(state.usage_limit), std::to_string(state.used_before),
         std::to_string(state.expires_at), std::to_string(now),
         std::to_string(now - kUseExpiryMarginSeconds)},
        &reply);
  }
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
  FinishJoin(user_id, space_id, reservation, *result);
  return Status::Ok();
}

void SpaceStore::FinishJoin(const std::string& user_id,
                            const std::string& space_id,
                            const std::string& reservation, JoinResult result) {
  // A member (new or not), the space goes into the index (repairing one an
  // interrupted call left behind) in the place held; otherwise the place
  // goes back.
  if (result == JoinResult::kJoined || result == JoinResult::kAlreadyMember) {
    IndexMembership(user_id, space_id, reservation);
  } else {
    ReleasePlace(user_id, reservation);
  }
}

Status SpaceStore::ReadInvitation(const std::string& space_id,
                                  const InvitationToken& invitation,
                                  InvitationState* state) {
  *state = InvitationState();
  if (invitation.temporary) {
    RedisReply generation;
    Status status = redis_->Run(
        {"GET", TemporaryGenerationKey(invitation.creator_id)}, &generation);
    if (!status.ok()) return status;
    const std::string current = generation.is_nil() ? "0" : generation.text;
    if (current != std::to_string(invitation.generation)) {
      state->verdict = kRevokedVerdict;
    }
    return Status::Ok();
  }
  // The record's fields (store_keys.h): creation time, type, space, revoked,
  // usage limit, and the usage count records kept before the space did.
  const std::string key =
      NamedTokenRecordKey(invitation.creator_id, invitation.token_id);
  std::vector<RedisReply> replies;
  Status status = redis_->Pipeline(
      {{"HMGET", key, "m", "t", "s", "r", "l", "k"}, {"EXPIRETIME", key}},
      &replies);
  if (!status.ok()) return status;
  const std::vector<RedisReply>& fields = replies[0].elements;
  if (fields.size() != 6 || fields[0].is_nil() || fields[1].text != "j" ||
      fields[2].text != space_id || replies[1].integer == -2) {
    state->verdict = kGoneVerdict;
    return Status::Ok();
  }
  if (fields[3].text == "1") state->verdict = kRevokedVerdict;
  ParseDecimal(fields[4].text, &state->usage_limit);
  ParseDecimal(fields[5].text, &state->used_before);
  state->expires_at = replies[1].integer > 0 ? replies[1].integer : 0;
  return Status::Ok();
}

}  // namespace tokend
