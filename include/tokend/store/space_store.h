// SpaceStore: spaces, their members and their invitations in Redis (key
// layout in store_keys.h). The space side (members, invitations) is the
// truth; each user's list of spaces and default space is an index that the
// store keeps in step and repairs when it finds it behind.
//
// Joining is one Lua script in the space's hash slot: it checks membership,
// consumes the invitation and adds the member atomically, so two users
// racing with one invitation produce exactly one membership, and a failed
// join does not use the invitation up.
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

enum class JoinResult {
  kJoined,
  kAlreadyMember,      // invitation left unused
  kInvitationGone,     // used, expired or never issued
  kNoSuchSpace,
};

class SpaceStore {
 public:
  explicit SpaceStore(RedisClient* redis) : redis_(redis) {}

  // Creates a space owned (and joined) by `owner`; it becomes the owner's
  // default space when they have none.
  Status Create(const std::string& owner, const std::string& name,
                std::string* space_id);

  // The space, when `user_id` is a member; `*found` false otherwise.
  Status GetForMember(const std::string& space_id, const std::string& user_id,
                      SpaceRecord* space, bool* found);

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
  // last member leaving deletes the space.
  Status Leave(const std::string& user_id, const std::string& space_id,
               bool* left);
  // Leaves every space (used when a user is deleted).
  Status LeaveAll(const std::string& user_id);

  // Records an invitation that expires at `expires_at` (Unix s).
  Status AddInvitation(const std::string& space_id, const std::string& nonce,
                       int64_t expires_at);

  Status Join(const std::string& user_id, const std::string& space_id,
              const std::string& nonce, JoinResult* result);

 private:
  // Adds the space to the user's index; makes it the default when none.
  Status IndexMembership(const std::string& user_id, const std::string& space_id);

  RedisClient* redis_;
};

}  // namespace tokend
