// Redis key layout, in one place. Every key of one user carries the hash
// tag {<userId>}, and every key of one space {s:<spaceId>}, so that each
// script, transaction and multi-key command touches one Redis Cluster hash
// slot; what spans a user and a space (joining, leaving) is done in ordered
// steps, one slot each (space_store.h). A user id is random (NewRandomId);
// users made before ids became random keep the id they had, the digest of
// their name.
//
//   oz:{n:<digest>}:id   string the id of the user with that name
//                               (digest: UserNameDigest of the name), the
//                               only way from a name to its user; set after
//                               the record is made, deleted after it is
//                               (one naming an id without a record is a
//                               deleted user's: a new user may take it)
//   oz:{uid}:user        hash   name, pw (the slow password hash)
//   oz:{uid}:tokens      zset   "<nonce>:<expiry>" of each token (expiry in
//                               Unix s), scored by minus its creation time
//                               (ms): listing, newest first, is one plain
//                               ZRANGE
//   oz:{uid}t<nonce>     string "1", EXAT the token's expiry (Unix s):
//                               EXPIRETIME gives the expiry back
//   oz:{uid}r<nonce>     string a seed token revoked reversibly through
//                               the named-token API: its t record renamed
//                               (EXAT kept); un-revoking renames it back
//   oz:{uid}:revoked     zset   the :tokens members of those, scored alike
//   oz:{uid}:legacy      hash   the seed tokens as named tokens: "#" the
//                               last number given ("legacy token N", never
//                               reused), n<nonce> name, x<nonce> custom
//                               metadata, N<name> nonce (names unique across
//                               both kinds: the named scripts read it too);
//                               entries of tokens gone are dropped as met;
//                               never expires (the counter outlives the
//                               tokens), deleted with the user
//   oz:{uid}n<id>        hash   a named token (issue 13; id: 32 hex
//                               digits): n name, t type ("a" access, "i"
//                               identity), c its caveats joined by "\n"
//                               (absent when none), m creation time (Unix
//                               s), x custom metadata (absent when {}), r
//                               "1" when revoked (absent otherwise); an
//                               invitation (t "j", issue 14) also has s
//                               its space id, l its usage limit (absent:
//                               infinity), k its usage count as counted
//                               before the count moved to the space's slot
//                               (oz:{s:sid}:uses; absent: 0; read as a
//                               floor, no longer written), v the
//                               privileges it grants joined by ",";
//                               EXPIREAT the token's expiry when it has one.
//                               Never the token itself, nor a secret
//   oz:{uid}:named       zset   ids of the user's named tokens, scored by
//                               their expiry (Unix s; 9e15 for none): the
//                               limit counts it once the expired are pruned
//                               (ZRANGE BYSCORE), listing reads it and sorts
//                               by the records' creation times
//   oz:{uid}:names       hash   name -> id of the user's named tokens, for
//                               names unique among live tokens; an entry
//                               whose token expired blocks nothing and goes
//                               when its id is pruned. Both index keys live
//                               as long as the longest-lived named token
//                               (no EXPIREAT while one never expires)
//   oz:{uid}:spaces      set    ids of the spaces the user is in: an
//                               index of the spaces' members, kept in step
//                               after them and repaired when found behind
//                               or ahead (space_store.h)
//   oz:{uid}:reserved    zset   places among the user's spaces that creates
//                               and joins in progress hold,
//                               "<spaceId>:<random>" (a bare random id in
//                               sets from before), scored by when they
//                               lapse (Unix s); no expiry: a lapsed one may
//                               stand for a join whose index step never
//                               ran, so it stays until a repair has asked
//                               the space
//   oz:users             set    all user names: an index kept before
//                               Redis Cluster, deleted when users are
//                               listed (a SCAN of the records now)
//   oz:migrated:user-ids string set once every user record has its name
//                               key (store/user_id_migration.h)
//   oz:{uid}:fails       string failed logins in the current window
//   oz:{ip:addr}:fails   string failed logins from one client address
//                               (an IPv4 address, or an IPv6 /64)
//   oz:{uid}:fails:addr  string failed logins of the user from that address
//   oz:{uid}:trusted     hash   address -> when the user last logged in
//                               from it (Unix s)
//   oz:{uid}:tmpgen      string the generation of the user's temporary
//                               tokens (absent: 0); only ever incremented,
//                               and never expires, so a revoked generation
//                               never comes back while the user exists
//
// A space's keys carry {s:<spaceId>} instead, so joining (a seed
// invitation, a named one's usage count and the membership together) is
// one atomic script in the space's slot:
//   oz:{s:sid}:space     hash   name, owner, joins (members joined so
//                               far), term (owner handovers so far; absent
//                               before the first)
//   oz:{s:sid}:members   set    member user ids
//   oz:{s:sid}:joined    zset   member user ids scored by their place in
//                               the join order (joins when they joined);
//                               members from before it are not in it until
//                               the owner leaves, then scored 0
//   oz:{s:sid}i<nonce>   string "t<term>": the ownership term the
//                               invitation was issued in (the expiry in
//                               records from before terms); EXPIREAT its
//                               expiry
//   oz:{s:sid}:pending   zset   nonces of the invitations pending, scored
//                               by their expiry (Unix s): counted against
//                               the space's limit, and deleted when the
//                               last member leaves
//   oz:{s:sid}:cancelled:<r>  zset  the pending invitations of an owner
//                               who left (r random), while their records
//                               are deleted
//   oz:{s:sid}:invs      set    the same before the limit (a former key,
//                               only read to delete what it names)
//   oz:{s:sid}:uses      hash   named invitation id -> how many users it
//                               admitted (issue 14; the limit is checked
//                               against it in the join script); deleted
//                               when the last member leaves
//   oz:{s:sid}:uses:expiry  zset  the ids in :uses whose invitations
//                               expire, scored by their expiry (Unix s):
//                               the join script drops from both what
//                               expired kUseExpiryMarginSeconds ago
//   oz:cached:<key>      string "1", EX kCacheMarkSeconds: a worker's
//                               read cache may hold a read of <key> (any
//                               key above; its hash tag comes first here
//                               too). Set before that read, never written
//                               to the AOF; a write of <key> waits for the
//                               invalidation barrier only while it exists
//                               (store/tracked_reads.h)
//
// The per-token records are most of the store, so their keys are short: the
// kind letter ("t" token, "n" named token, "i" invitation) follows the hash
// tag directly.
// They cannot clash with the keys that have names (":tokens", ":named"...),
// which all have ':' there, and neither a nonce (base64url) nor an id (hex)
// contains ':'. So all of one user's keys match
// "oz:{uid}*" (not "oz:{uid}:*"), and all of a space's "oz:{s:sid}*".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tokend/common/text.h"
#include "tokend/token/token_ref.h"

namespace tokend {

inline std::string UserKey(const std::string& user_id) {
  return "oz:{" + user_id + "}:user";
}
inline std::string TokenListKey(const std::string& user_id) {
  return "oz:{" + user_id + "}:tokens";
}
inline std::string TokenRecordKey(const std::string& user_id,
                                  const std::string& nonce) {
  return "oz:{" + user_id + "}t" + nonce;
}
// A token's member of TokenListKey.
inline std::string TokenListMember(const std::string& nonce, int64_t expires_at) {
  return nonce + ":" + std::to_string(expires_at);
}
// The nonce and expiry of a TokenListMember; false for anything else (such
// as a bare nonce, as lists held before the expiry joined the member).
inline bool ParseTokenListMember(const std::string& member, std::string* nonce,
                                 int64_t* expires_at) {
  size_t colon = member.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  if (!ParseDecimal(std::string_view(member).substr(colon + 1), expires_at)) {
    return false;
  }
  *nonce = member.substr(0, colon);
  return true;
}
// A seed token revoked reversibly (through the named-token API): its
// TokenRecordKey renamed, deadline and all; its list member moves from
// TokenListKey to RevokedTokenListKey, so the seed listing leaves it out.
inline std::string RevokedTokenRecordKey(const std::string& user_id,
                                         const std::string& nonce) {
  return "oz:{" + user_id + "}r" + nonce;
}
inline std::string RevokedTokenListKey(const std::string& user_id) {
  return "oz:{" + user_id + "}:revoked";
}
// What the named-token API keeps of seed tokens: "#" the last number given
// ("legacy token N"), "n<nonce>" its name, "x<nonce>" its custom metadata,
// "N<name>" the nonce holding that name.
inline std::string LegacyNamesKey(const std::string& user_id) {
  return "oz:{" + user_id + "}:legacy";
}
inline std::string NamedTokenRecordKey(const std::string& user_id,
                                       const std::string& id) {
  return "oz:{" + user_id + "}n" + id;
}
inline std::string NamedTokenListKey(const std::string& user_id) {
  return "oz:{" + user_id + "}:named";
}
inline std::string NamedTokenNamesKey(const std::string& user_id) {
  return "oz:{" + user_id + "}:names";
}
inline std::string UserSpacesKey(const std::string& user_id) {
  return "oz:{" + user_id + "}:spaces";
}
inline std::string UserSpaceReservationsKey(const std::string& user_id) {
  return "oz:{" + user_id + "}:reserved";
}
// A member of UserSpaceReservationsKey: the space it holds a place for,
// and a random id that tells apart two requests for the same space.
inline std::string SpaceReservation(const std::string& space_id,
                                    const std::string& random_id) {
  return space_id + ":" + random_id;
}
// The space of a SpaceReservation; "" for a reservation from before they
// named it.
inline std::string ReservedSpace(const std::string& reservation) {
  size_t colon = reservation.find(':');
  return colon == std::string::npos ? "" : reservation.substr(0, colon);
}
inline std::string FormerUserNamesKey() { return "oz:users"; }
// The id in a user record's key "oz:{<id>}:user"; empty for any other key.
inline std::string UserIdOfKey(const std::string& key) {
  const std::string prefix = "oz:{";
  const std::string suffix = "}:user";
  if (key.size() <= prefix.size() + suffix.size() ||
      key.compare(0, prefix.size(), prefix) != 0 ||
      key.compare(key.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return "";
  }
  std::string id =
      key.substr(prefix.size(), key.size() - prefix.size() - suffix.size());
  return IsHexId(id) ? id : "";
}
inline std::string UserNameKey(const std::string& name) {
  return "oz:{n:" + UserNameDigest(name) + "}:id";
}
inline std::string UserIdsMigratedKey() { return "oz:migrated:user-ids"; }
inline std::string CacheMarkKey(const std::string& key) {
  return "oz:cached:" + key;
}

inline std::string LoginFailuresKey(const std::string& user_id) {
  return "oz:{" + user_id + "}:fails";
}
inline std::string AddressFailuresKey(const std::string& address) {
  return "oz:{ip:" + address + "}:fails";
}
// Failed logins of one user from one address (prefix), in the user's slot.
inline std::string PairFailuresKey(const std::string& user_id,
                                   const std::string& address) {
  return "oz:{" + user_id + "}:fails:" + address;
}
// The addresses (prefixes) a user logged in from, with when (Unix s).
inline std::string TrustedAddressesKey(const std::string& user_id) {
  return "oz:{" + user_id + "}:trusted";
}
inline std::string TemporaryGenerationKey(const std::string& user_id) {
  return "oz:{" + user_id + "}:tmpgen";
}

inline std::string SpaceKey(const std::string& space_id) {
  return "oz:{s:" + space_id + "}:space";
}
inline std::string SpaceMembersKey(const std::string& space_id) {
  return "oz:{s:" + space_id + "}:members";
}
inline std::string SpacePendingInvitationsKey(const std::string& space_id) {
  return "oz:{s:" + space_id + "}:pending";
}
inline std::string SpaceJoinOrderKey(const std::string& space_id) {
  return "oz:{s:" + space_id + "}:joined";
}
// Where the pending invitations of an owner who left wait for deletion;
// `handover` (random) tells apart the handovers of one space.
inline std::string CancelledInvitationsKey(const std::string& space_id,
                                           const std::string& handover) {
  return "oz:{s:" + space_id + "}:cancelled:" + handover;
}
inline std::string FormerSpaceInvitationsKey(const std::string& space_id) {
  return "oz:{s:" + space_id + "}:invs";
}
inline std::string InvitationKey(const std::string& space_id,
                                 const std::string& nonce) {
  return "oz:{s:" + space_id + "}i" + nonce;
}
// How many users each named invitation to the space admitted, and when
// those that expire do (the layout above).
inline std::string SpaceInvitationUsesKey(const std::string& space_id) {
  return "oz:{s:" + space_id + "}:uses";
}
inline std::string SpaceInvitationUseExpiriesKey(const std::string& space_id) {
  return "oz:{s:" + space_id + "}:uses:expiry";
}

}  // namespace tokend
