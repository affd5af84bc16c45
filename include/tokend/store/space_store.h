// SpaceStore: spaces, their members and their invitations in Redis (key
// layout in store_keys.h). The space side (members, invitations) is the
// truth; each user's list of spaces and default space is an index that the
// store keeps in step and repairs when it finds it behind.
//
// Joining is one Lua script: it checks membership, consumes the invitation,
// adds the member and lists the space as the user's atomically, so two
// users racing with one invitation produce exactly one membership, a failed
// join does not use the invitation up, and a leave (also one script) racing
// a join cannot leave the space's members and the user's list unequal.
// These scripts touch the space's hash slot and the user's: fine on a
// single Redis, not on a Redis Cluster (see space_store.cpp).
//
// Ownership: members are kept in join order; when the owner leaves, the
// longest-standing member owns the space and a new ownership term begins.
// Only the owner invites (checked with the write); an invitation records
// the term it was issued in and admits no one once that term has ended.
//
// Both sides are bounded, each checked and changed in one script in its own
// hash slot. A user is in at most `max_spaces` spaces: a create or join
// first reserves a place in the user's slot (their spaces plus the places
// reserved count), then does the space side, then turns the reservation
// into a listed space, or gives it back; a reservation that a failed
// process leaves behind lapses after kPlaceReservationSeconds. A space has
// at most `max_pending` pending seed invitations (AddInvitation); expired
// ones do not count.
// The last member leaving marks the space gone in one short script (from
// then on no invitation to it joins and none is added), and its pending
// invitations are then deleted kInvitationDeleteBatch per command.
//
// Not thread-safe (uses the worker's RedisClient).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tokend/common/status.h"
#include "tokend/store/redis_client.h"

namespace tokend {

struct SpaceRecord {
  std::string id;
  std::string name;
  std::string owner;  // user id
  int64_t member_count = 0;
};

// How long a create or join in progress may hold a place among the user's
// spaces (s): far longer than a request's Redis commands can take.
constexpr int kPlaceReservationSeconds = 60;
// Invitation records one command deletes when a space is deleted.
constexpr int kInvitationDeleteBatch = 100;

enum class JoinResult {
  kJoined,
  kAlreadyMember,      // invitation left unused
  kInvitationGone,     // used, expired or never issued (a named one: deleted)
  kNoSuchSpace,
  // Named and temporary invitations only (JoinWithInvitationToken):
  kInvitationRevoked,  // named: revoked; temporary: its generation is past
  kUsageLimitReached,  // named: it has admitted its usage limit already
  kIssuerNotOwner,     // its creator no longer owns the space
};

// A named or temporary invitation (issue 14; token_ref.h, type
// "ujs:<spaceId>"): what the join checks and, for a named one, counts.
struct InvitationToken {
  std::string creator_id;  // the user who created it
  bool temporary = false;
  std::string token_id;    // named: its id (NamedTokenRecordKey)
  int64_t generation = 0;  // temporary: its generation
};

class SpaceStore {
 public:
  explicit SpaceStore(RedisClient* redis) : redis_(redis) {}

  // Creates a space owned (and joined) by `owner`; it becomes the owner's
  // default space when they have none. kForbidden (details.limit) when the
  // owner is in `max_spaces` spaces already.
  Status Create(const std::string& owner, const std::string& name,
                int max_spaces, std::string* space_id);

  // The space, when `user_id` is a member; `*found` false otherwise.
  Status GetForMember(const std::string& space_id, const std::string& user_id,
                      SpaceRecord* space, bool* found);

  // Whether `user_id` may invite to the space now (only its owner may):
  // kNotFound when the space is gone or the user is not a member (a
  // non-member learns nothing of the space), kForbidden for a member who
  // is not the owner. A read: the join checks again (the creator must
  // still own the space when the invitation is used).
  Status CheckInviter(const std::string& space_id, const std::string& user_id);

  // Member user ids, sorted; `*found` false unless `user_id` is a member.
  Status MembersForMember(const std::string& space_id,
                          const std::string& user_id,
                          std::vector<std::string>* members, bool* found);

  // The user's spaces (sorted) and default space ("" when none).
  Status UserSpaces(const std::string& user_id, std::vector<std::string>* ids,
                    std::string* default_space);
  Status DefaultSpace(const std::string& user_id, std::string* space_id);
  // kNotFound when the user is not a member of `space_id`.
  Status SetDefaultSpace(const std::string& user_id, const std::string& space_id);

  // Leaves the space; `*left` false when the user was not a member. The
  // owner leaving hands the space to the longest-standing member and
  // cancels the invitations the owner issued; the last member leaving
  // deletes the space. Either way the pending invitations are then deleted
  // in batches (best effort: what a Redis failure leaves of them can no
  // longer be used and expires by itself).
  Status Leave(const std::string& user_id, const std::string& space_id,
               bool* left);
  // Leaves every space (used when a user is deleted).
  Status LeaveAll(const std::string& user_id);

  // Records a seed invitation by `issuer` that expires at `expires_at`
  // (Unix s). No endpoint calls it since the invitation endpoints issue
  // named invitations (issue 14); it is kept as the reference of what the
  // records of seed invitations issued before look like (Join still takes
  // them) and for the tests. kForbidden when the issuer is not the owner (checked with the
  // write), or (details.limit) when the space has `max_pending` invitations
  // pending (issued, unused, unexpired); kNotFound when the space is gone.
  Status AddInvitation(const std::string& space_id, const std::string& issuer,
                       const std::string& nonce, int64_t expires_at,
                       int max_pending);

  // Joins with a named or temporary invitation, in one Lua script with the
  // membership: the invitation must still be live (a named one's record
  // exists and is not revoked, a temporary one's generation is its
  // creator's current one), its creator must own the space (as with the
  // seed invitations, only the owner invites, and an owner who left
  // invites no more), and a named one must have admitted fewer than its
  // usage limit; then its usage count goes up by one with the new member.
  // An already-member join counts nothing (kAlreadyMember). The script's
  // keys span three hash slots (the space's, the joiner's, the creator's):
  // one Redis, not a Cluster (see space_store.cpp). kForbidden
  // (details.limit) as Join.
  Status JoinWithInvitationToken(const std::string& user_id,
                                 const std::string& space_id,
                                 const InvitationToken& invitation,
                                 int max_spaces, JoinResult* result);

  // Whether the seed invitation `nonce` to `space_id` is still pending
  // (issued, unused, unexpired): its record exists.
  Status InvitationPending(const std::string& space_id,
                           const std::string& nonce, bool* pending);

  // kForbidden (details.limit), the invitation left unused, when the user
  // is in `max_spaces` spaces already and `space_id` is not one of them.
  Status Join(const std::string& user_id, const std::string& space_id,
              const std::string& nonce, int max_spaces, JoinResult* result);

 private:
  // Holds one of the user's `max_spaces` places for `space_id`: kForbidden
  // (details.limit) when none is free. `*reservation` names the place, or
  // is empty when the space is listed as the user's already (nothing to
  // hold: joining it again is not one more).
  Status ReservePlace(const std::string& user_id, const std::string& space_id,
                      int max_spaces, std::string* reservation);
  // Gives a place back (best effort: it lapses by itself).
  void ReleasePlace(const std::string& user_id, const std::string& reservation);
  // Adds the space to the user's index, in the place `reservation` held
  // (if any); makes it the default when none.
  Status IndexMembership(const std::string& user_id,
                         const std::string& space_id,
                         const std::string& reservation);
  // Deletes the invitation records whose nonces `pop` takes from a list
  // (kInvitationDeleteBatch at a time; `stride` apart in its answer) until
  // it is empty.
  Status DeleteListedInvitations(const std::string& space_id,
                                 const RedisCommand& pop, size_t stride);

  RedisClient* redis_;
};

}  // namespace tokend
