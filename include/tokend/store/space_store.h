// SpaceStore: spaces, their members and their invitations in Redis (key
// layout in store_keys.h). The space side (members, join order, owner,
// term, invitations and their usage counts) is the truth; each user's list
// of spaces and default space is an index that the store keeps in step and
// repairs when it finds it behind or ahead.
//
// Every script and transaction touches one Redis Cluster hash slot (issue
// 15): the space's, or the user's. Joining is one script in the space's
// slot: it checks membership, consumes the invitation (a seed invitation's
// record, or one use of a named invitation's usage limit) and adds the
// member at once, so two users racing with one invitation produce exactly
// one membership, a failed join does not use the invitation up, and joins
// at once never pass a usage limit. The user's side follows in ordered
// steps, one slot each:
//   create, join: hold a place (user), the space side, then list the space
//     and give the place back (user);
//   leave: the space side, unlist the space (user), then ask the space
//     again and list it back if the user is a member by then (a join that
//     finished in between), so that a leave racing a join never leaves the
//     index without a space the user is in. It may name one they have left
//     (a join's index step after the leave's), which reads drop.
// A process that dies between steps leaves the index behind (a held place
// names a space the user is in, unlisted) or ahead (a space listed that no
// longer lists the user). Listing the user's spaces asks every space named
// and repairs both; so do a default that its space disowns, and a create
// or join at the limit (UserSpaces, DefaultSpace, ReservePlace).
//
// A named or temporary invitation lives in its creator's slot: the join
// reads it (record there, revoked, limit; or the current generation) in its
// own round trip just before the space's script, which checks the limit
// against the uses counted in the space's slot. So a revoke, a delete or a
// new generation that lands between that read and the script does not stop
// a join already past the read (one round trip: at most one join per
// joiner in flight). Expiry and ownership are checked in the script.
//
// Ownership: members are kept in join order; when the owner leaves, the
// longest-standing member owns the space and a new ownership term begins.
// Only the owner invites (checked with the write); an invitation records
// the term it was issued in and admits no one once that term has ended.
//
// Both sides are bounded, each checked and changed in one script in its own
// hash slot. A user is in at most `max_spaces` spaces: a create or join
// first holds a place in the user's slot (their spaces plus the places
// held count), then does the space side, then turns the place into a
// listed space, or gives it back. A place older than
// kPlaceReservationSeconds has lapsed: a repair asks its space, lists the
// space if the user is in it and gives the place back either way. A space
// has at most `max_pending` pending seed invitations (AddInvitation);
// expired ones do not count.
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
// How long after a named invitation's expiry the space keeps its usage
// count (s): far longer than the clocks of two workers can differ, so none
// still takes the invitation once its count is gone.
constexpr int kUseExpiryMarginSeconds = 3600;

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

  // The user's spaces (sorted) and default space ("" when none), as the
  // spaces list their members: the index is repaired on the way (one round
  // trip to read it, one to ask the spaces, more only to repair).
  Status UserSpaces(const std::string& user_id, std::vector<std::string>* ids,
                    std::string* default_space);
  // The default space ("" when none); one round trip more to check that the
  // space still lists the user, and a repair when it does not.
  Status DefaultSpace(const std::string& user_id, std::string* space_id);
  // kNotFound when the user is not a member of `space_id` (asked of the
  // space), or left it before the default was written.
  Status SetDefaultSpace(const std::string& user_id, const std::string& space_id);

  // Leaves the space; `*left` false when the user was not a member. The
  // owner leaving hands the space to the longest-standing member and
  // cancels the invitations the owner issued; the last member leaving
  // deletes the space. Either way the pending invitations are then deleted
  // in batches (best effort: what a Redis failure leaves of them can no
  // longer be used and expires by itself). So is the user's index after
  // the space side: a repair finishes what a failure leaves of it.
  Status Leave(const std::string& user_id, const std::string& space_id,
               bool* left);
  // Leaves every space the user's index names, listed or held, and drops
  // the places held (used when a user is deleted).
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

  // Joins with a named or temporary invitation: the invitation must still
  // be live (a named one's record exists, unexpired and not revoked, a
  // temporary one's generation is its creator's current one; read just
  // before the join, see above), its creator must own the space (as with
  // the seed invitations, only the owner invites, and an owner who left
  // invites no more), and a named one must have admitted fewer than its
  // usage limit; then its usage count (in the space's slot) goes up by one
  // with the new member, in one script. An already-member join counts
  // nothing (kAlreadyMember). kForbidden (details.limit) as Join.
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
  // What one call of the index script changes in a user's index.
  struct IndexChange {
    std::vector<std::string> unlist;   // spaces (and the default, if one)
    std::vector<std::string> list;     // spaces (the default when none)
    std::vector<std::string> release;  // places held (reservations)
    bool empty() const {
      return unlist.empty() && list.empty() && release.empty();
    }
  };
  // What a join needs to know of a named or temporary invitation, read in
  // its creator's slot: the script's verdict so far (0 live, or the
  // script's code for gone or revoked), and a named one's limit (0: none),
  // the uses its record counted before the space did, and its expiry (Unix
  // s; 0: none).
  struct InvitationState {
    int verdict = 0;
    int64_t usage_limit = 0;
    int64_t used_before = 0;
    int64_t expires_at = 0;
  };

  // Holds one of the user's `max_spaces` places for `space_id`: kForbidden
  // (details.limit) when none is free, even once the index is repaired.
  // `*reservation` names the place, or is empty when the space is listed
  // as the user's already (nothing to hold: joining it again is not one
  // more).
  Status ReservePlace(const std::string& user_id, const std::string& space_id,
                      int max_spaces, std::string* reservation);
  // Gives a place back (best effort: a repair gives back what is left).
  void ReleasePlace(const std::string& user_id, const std::string& reservation);
  // Lists the space as the user's, in the place `reservation` held (if
  // any); makes it the default when none. Best effort: the space side is
  // done, and what this misses a repair finds by the place still held.
  void IndexMembership(const std::string& user_id, const std::string& space_id,
                       const std::string& reservation);
  // After a join's script: lists the space in the place held for a member
  // (new or not; this also repairs an index an interrupted call left
  // behind), or gives the place back.
  void FinishJoin(const std::string& user_id, const std::string& space_id,
                  const std::string& reservation, JoinResult result);
  // Applies `change` to the user's index, then asks each space it unlisted
  // again and lists back (`*relisted`) those the user is a member of by
  // then. `*default_space` is the default afterwards. Both optional.
  Status ChangeIndex(const std::string& user_id, const IndexChange& change,
                     std::string* default_space = nullptr,
                     std::vector<std::string>* relisted = nullptr);
  // Asks every space named in the user's index (listed, held places, the
  // default) whether it lists the user, and repairs the index to match:
  // `*ids` (sorted) and `*default_space` are what it holds then.
  Status RepairIndex(const std::string& user_id, std::vector<std::string>* ids,
                     std::string* default_space);
  // Which of `space_ids` list the user as a member (one round trip).
  Status SpacesListing(const std::string& user_id,
                       const std::vector<std::string>& space_ids,
                       std::vector<std::string>* listing);
  // Reads the invitation in its creator's slot, just before the join.
  Status ReadInvitation(const std::string& space_id,
                        const InvitationToken& invitation,
                        InvitationState* state);
  // Deletes the invitation records whose nonces `pop` takes from a list
  // (kInvitationDeleteBatch at a time; `stride` apart in its answer) until
  // it is empty.
  Status DeleteListedInvitations(const std::string& space_id,
                                 const RedisCommand& pop, size_t stride);

  RedisClient* redis_;
};

}  // namespace tokend
