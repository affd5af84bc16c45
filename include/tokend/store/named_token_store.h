// NamedTokenStore: the named tokens of each user in Redis (issue 13, the
// Onezone 20.02 named-token API). A record holds what re-minting needs and
// what the API shows (id, name, type, caveats, creation time, custom
// metadata, the revoked flag), never the token string nor any secret: the
// token is a pure function of its id, its caveats and the master secret.
// A token with a time caveat expires with it: Redis forgets its record at
// the expiry, and the user's index keys are pruned of it as they are met.
// Every key is in the user's hash slot, and every write is one Lua script
// (see store_keys.h for the layout); only an invitation's usage count is in
// its space's slot (SpaceStore counts it), which Get reads separately.
//
// Legacy tokens are named tokens too: every seed access token (TokenStore)
// is listed, read, renamed, revoked reversibly and deleted here under its
// LegacyTokenId, named "legacy token N" (N from a per-user counter, given
// oldest first the first time a script here meets the token; never given
// twice). Names are unique across both kinds.
//
// Live means: the record exists and its expiry, if any, is still ahead.
// Names are unique among a user's live tokens; an expired token's name is
// free again.
//
// Not thread-safe (uses the caller's RedisClient).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tokend/common/status.h"
#include "tokend/store/redis_client.h"
#include "tokend/store/user_store.h"

namespace tokend {

// kInvite: an invitation to join a space (Onezone's inviteToken of type
// userJoinSpace, issue 14); its record also names the space, the usage
// limit and count, and the privileges it grants.
enum class NamedTokenType { kAccess, kIdentity, kInvite };

struct NamedTokenRecord {
  std::string id;  // 32 lowercase hex digits
  std::string name;
  NamedTokenType type = NamedTokenType::kAccess;
  std::vector<std::string> caveats;  // as minted, in order
  int64_t created_at = 0;            // Unix s
  std::string custom_metadata;       // a JSON object's text; "" for {}
  bool revoked = false;
  int64_t expires_at = 0;  // earliest time caveat; 0: none
  // When the token last authenticated a request, as the workers last wrote
  // it (Unix s; 0: never), and the client address it came from.
  int64_t last_used = 0;
  std::string last_used_ip;
  // Invitations only (kInvite): the space, how many joins it admits (0:
  // no limit, Onezone's "infinity"), how many it has admitted (SpaceStore
  // counts them as it adds members), and the privileges it grants.
  std::string invite_space_id;
  int64_t usage_limit = 0;
  int64_t usage_count = 0;
  std::vector<std::string> privileges;
  // A seed access token seen as a named token (id LegacyTokenId of this
  // nonce): the API re-mints the seed token itself. Empty for named ones.
  std::string legacy_nonce;
};

// One use of a named token, to be recorded (RecordUses).
struct NamedTokenUse {
  std::string user_id;
  std::string id;
  int64_t at = 0;  // Unix s
  std::string address;
};

// What PATCH changes; unset optionals are left as they are.
struct NamedTokenUpdate {
  std::optional<std::string> name;
  std::optional<std::string> custom_metadata;
  std::optional<bool> revoked;
};

class NamedTokenStore {
 public:
  explicit NamedTokenStore(RedisClient* redis) : redis_(redis) {}

  // Records a new token atomically (one Lua script). kAlreadyExists when the
  // user has a live token of that name (the caller maps it to Onezone's
  // badValueIdentifierOccupied); kForbidden with AddNumberDetail("limit", n)
  // when the user already holds `max_tokens` live named tokens. A name whose
  // token has expired is free again.
  // The store takes `record.expires_at` as given (the caller derives it from
  // the caveats); `record.revoked` is recorded too. Also: kBadValueName for
  // an empty name; kBadData for an empty caveat or one with a line break
  // (the record joins them with "\n"), or an expiry already past; kNotFound
  // when the user record is gone (a create racing the user's deletion
  // leaves nothing behind); kInternal for an id that is not 32 lowercase
  // hex digits or is taken. An invitation (kInvite) needs a space id, a
  // usage limit >= 0 and privileges without "," (kBadData otherwise); its
  // usage count starts at 0 whatever `record` says.
  Status Create(const std::string& user_id, const NamedTokenRecord& record,
                int max_tokens);

  // `*found` false (and OK) when there is no such live token.
  Status Get(const std::string& user_id, const std::string& id,
             NamedTokenRecord* record, bool* found);
  // The same by name: two round trips (the name's id, then the record).
  Status FindByName(const std::string& user_id, const std::string& name,
                    NamedTokenRecord* record, bool* found);

  // Ids of the user's live named tokens and seed tokens (LegacyTokenId),
  // oldest first (by created_at; the same second in id order, a seed token
  // by its creation time in ms); with `expiring_within` >= 0 only those whose
  // expiry is within that many seconds from `now` (tokens without expiry
  // never are). Expired entries are pruned (best effort) as they are met:
  // those expired by the clock, whatever `now` says. One script: it reads
  // each listed record's creation time.
  Status ListIds(const std::string& user_id, int64_t now,
                 int64_t expiring_within, std::vector<std::string>* ids);

  // Applies `update` atomically. `*found` false when there is no such live
  // token; kAlreadyExists when the new name is another live token's (then
  // nothing changes). kBadValueName for an empty new name.
  Status Update(const std::string& user_id, const std::string& id,
                const NamedTokenUpdate& update, bool* found);

  // Deletes one (`*found` false when absent) / all of the user's named
  // tokens (UserStore::Delete calls DeleteAll).
  Status Delete(const std::string& user_id, const std::string& id, bool* found);
  Status DeleteAll(const std::string& user_id);
  // Deletes every seed token of the user, revoked (reversibly) or not.
  Status DeleteAllLegacy(const std::string& user_id);

  // Records each use whose record still exists and holds no later one (a
  // deleted or expired token is not brought back), in one round trip.
  Status RecordUses(const std::vector<NamedTokenUse>& uses);

  // For authentication, in ONE round trip (a pipeline): whether the named
  // token's record exists and is revoked, how many caveats it was minted
  // with, and the user record. `*found` false when the token record or the
  // user is gone.
  Status FindTokenOwner(const std::string& user_id, const std::string& id,
                        UserRecord* user, bool* found, bool* revoked,
                        size_t* caveat_count);

 private:
  // A seed token as a named token, by nonce or (nonce "") by name.
  Status GetLegacy(const std::string& user_id, const std::string& nonce,
                   const std::string& name, NamedTokenRecord* record,
                   bool* found);

  RedisClient* redis_;
};

}  // namespace tokend
